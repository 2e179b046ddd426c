"""Uploads through the router vs straight to the subgraph, and the router's memory while a large
file streams through it. Prints Markdown; never a test.

Processes: the subgraph (CPU 1, with this client), the router (`uvicorn --factory
router.server.app:create_app_from_env`, CPU 0, signing its subgraph requests). Two subgraphs:
- `sink`: tests/router/uploads/subgraphs.py's `files` subgraph, which reads each file and
  hashes it: what the upload path itself costs (parsing, spooling, signing, forwarding);
- `media`: the real media subgraph (Pillow decodes, re-encodes and makes two WebP variants of
  every image; a noise PNG, so the file is as large as its pixels), to show what share of a real
  upload the router is.
Each target gets the same uploads (`--uploads` files of `--mb` MB, `--concurrency` at a time)
through the router and directly, in one run: MB/s and uploads/s from the wall time.

Memory: the router's RSS (/proc/PID/status VmRSS) sampled every 5 ms while one `--rss-mb` MB
file streams through it to the sink, sent at about `--rss-seconds` seconds' pace (so the upload
lasts long enough to be watched), after one unmeasured upload of the same size. Baseline = the
RSS just before; the point: peak minus baseline stays far below the file's size.

    .venv/bin/python -m bench.uploads.run --uploads 20 --mb 1 --concurrency 4
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import jwt
from PIL import Image

from bench.harness.procs import Process, cpu_seconds, free_port, wait_http
from db import migrations
from mosaic.subgraphs import discover
from router.compose import SubgraphSource, compose
from tests.router.uploads.subgraphs import SCHEMAS, SIGNING_KEY

ROOT = Path(__file__).resolve().parents[2]
HS256 = "bench-uploads-hs256-secret-0123456789abcdef"
QUERIES = {
    "sink": "mutation ($f: Upload!) { store(file: $f) { size } }",
    "media": "mutation ($f: Upload!) { uploadMedia(file: $f) { id size } }",
}


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def noise_png(megabytes: float) -> bytes:
    """A PNG of random pixels: incompressible, so about 3 bytes per pixel."""
    side = int((megabytes * 1024 * 1024 / 3) ** 0.5)
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def multipart(query: str, name: str, data: bytes) -> tuple[str, bytes]:
    boundary = "bench-" + os.urandom(8).hex()
    operations = json.dumps({"query": query, "variables": {"f": None}}).encode()
    parts = [
        (b'name="operations"', operations),
        (b'name="map"', b'{"0":["variables.f"]}'),
        (b'name="0"; filename="' + name.encode() + b'"\r\ncontent-type: image/png', data),
    ]
    body = b"".join(
        b"--%s\r\ncontent-disposition: form-data; %s\r\n\r\n%s\r\n" % (boundary.encode(), h, d)
        for h, d in parts
    )
    return f"multipart/form-data; boundary={boundary}", body + f"--{boundary}--\r\n".encode()


def token() -> str:
    now = int(time.time())
    claims = {"sub": "bench-user", "iat": now, "exp": now + 3600, "roles": ["USER"],
              "iss": "mosaic", "aud": "mosaic"}  # fmt: skip
    return jwt.encode(claims, HS256, algorithm="HS256")


async def upload_many(
    url: str, query: str, data: bytes, uploads: int, concurrency: int
) -> tuple[float, int]:
    """(wall seconds, failures) for `uploads` uploads of `data`, `concurrency` at a time."""
    content_type, body = multipart(query, "bench.png", data)
    headers = {"content-type": content_type, "apollo-require-preflight": "1",
               "authorization": f"Bearer {token()}"}  # fmt: skip
    failures = 0
    queue = list(range(uploads))

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal failures
        while queue:
            queue.pop()
            response = await client.post(url, content=body, headers=headers)
            if response.status_code != 200 or "errors" in response.json():
                failures += 1
                if failures == 1:
                    print(
                        f"  failed: {response.status_code} {response.text[:300]}", file=sys.stderr
                    )

    async with httpx.AsyncClient(timeout=300) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        return time.perf_counter() - started, failures


async def paced(body: bytes, seconds: float) -> AsyncIterator[bytes]:
    step = 64 * 1024
    pause = seconds / max(1, len(body) // step)
    for start in range(0, len(body), step):
        yield body[start : start + step]
        await asyncio.sleep(pause)


async def rss_while_streaming(router: Process, url: str, megabytes: float, seconds: float) -> str:
    data = os.urandom(int(megabytes * 1024 * 1024))
    content_type, body = multipart(QUERIES["sink"], "big.bin", data)
    headers = {"content-type": content_type, "apollo-require-preflight": "1"}
    async with httpx.AsyncClient(timeout=300) as client:
        warm = await client.post(url, content=body, headers=headers)  # code paths, buffers
        assert warm.json() == {"data": {"store": {"size": len(data)}}}, warm.text[:300]
        baseline = rss_bytes(router.pid)
        samples: list[int] = []
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                samples.append(rss_bytes(router.pid))
                time.sleep(0.005)

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            response = await client.post(url, content=paced(body, seconds), headers=headers)
        finally:
            done.set()
            sampler.join()
    assert response.json() == {"data": {"store": {"size": len(data)}}}, response.text[:300]
    peak = max(samples)
    mib = 1024 * 1024
    return (
        f"| {megabytes:g} MB file, sent over ~{seconds:g} s | {len(samples)} | "
        f"{baseline / mib:.1f} MiB | {peak / mib:.1f} MiB | {(peak - baseline) / mib:.2f} MiB |"
    )


def start_router(tmp: Path, supergraph: str, port: int) -> Process:
    env = {
        "MOSAIC_ROUTER_SUPERGRAPH": supergraph,
        "MOSAIC_ROUTER_SIGNING_KEY": SIGNING_KEY,
        "MOSAIC_ROUTER_HOT_RELOAD": "false",
        "MOSAIC_ROUTER_UPLOAD_MAX_FILE_BYTES": str(64 * 1024 * 1024),
    }
    argv = [sys.executable, "-m", "uvicorn", "--factory", "router.server.app:create_app_from_env",
            "--port", str(port), "--log-level", "warning", "--no-access-log"]  # fmt: skip
    return Process("router", argv, log_path=tmp / "router.log", cwd=ROOT, env=env, cpus="0")


async def main(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-uploads-"))
    env = {
        "MOSAIC_ENV": "dev",
        "MOSAIC_DATA_DIR": str(tmp),
        "MOSAIC_ROUTER_SIGNING_KEY": SIGNING_KEY,  # checked when present, not required
        "MOSAIC_JWT_HS256_SECRET": HS256,
        "MOSAIC_MEDIA_MAX_UPLOAD_BYTES": str(64 * 1024 * 1024),
    }
    media_db = f"sqlite+aiosqlite:///{tmp}/media.db"
    info = next(i for i in discover() if i.name == "media")
    assert info.migrations_dir is not None
    await migrations.upgrade(media_db, info.migrations_dir, "media")
    ports = {"sink": free_port(), "media": free_port(), "router": free_port()}
    uvicorn = [sys.executable, "-m", "uvicorn", "--log-level", "warning", "--no-access-log"]
    sink = Process("sink", [*uvicorn, "--factory", "tests.router.uploads.subgraphs:sink_app",
                            "--port", str(ports["sink"])],
                   log_path=tmp / "sink.log", cwd=ROOT, env=env, cpus="1")  # fmt: skip
    media = Process("media", [*uvicorn, "subgraphs.media.app:app", "--port", str(ports["media"])],
                    log_path=tmp / "media.log", cwd=ROOT, env=env, cpus="1")  # fmt: skip
    base = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    composed = compose(
        [
            SubgraphSource("sink", f"{base['sink']}/graphql", SCHEMAS["files"].as_str()),
            SubgraphSource("media", f"{base['media']}/graphql",
                           (ROOT / "schema/subgraphs/media.graphql").read_text()),
        ]
    )  # fmt: skip
    assert composed.supergraph_sdl is not None, [str(e) for e in composed.errors]
    supergraph = tmp / "supergraph.graphql"
    supergraph.write_text(composed.supergraph_sdl)
    router = start_router(tmp, str(supergraph), ports["router"])
    processes = [sink, media, router]
    try:
        for process, url in ((sink, base["sink"]), (media, base["media"] + "/health"),
                             (router, base["router"] + "/health")):  # fmt: skip
            wait_http(url if process is not sink else url + "/graphql", process)
        os.sched_setaffinity(0, {1})  # this client shares CPU 1 with the subgraphs
        print(f"{args.uploads} uploads of {args.mb:g} MB, {args.concurrency} at a time; "
              "router on CPU 0, subgraphs and client on CPU 1\n")  # fmt: skip
        print("| subgraph | path | MB/s | uploads/s | wall s | router CPU ms/upload | failed |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for target in ("sink", "media"):
            data = (
                os.urandom(int(args.mb * 1024 * 1024)) if target == "sink" else noise_png(args.mb)
            )
            for path, url in (("router", base["router"]), ("direct", base[target])):
                await upload_many(f"{url}/graphql", QUERIES[target], data, 2, 1)  # warm-up
                cpu = cpu_seconds([router.pid])
                wall, failed = await upload_many(
                    f"{url}/graphql", QUERIES[target], data, args.uploads, args.concurrency
                )
                router_ms = (cpu_seconds([router.pid]) - cpu) / args.uploads * 1000
                megabytes = len(data) * args.uploads / 1024 / 1024
                print(f"| {target} | {path} | {megabytes / wall:.1f} | {args.uploads / wall:.1f} "
                      f"| {wall:.2f} | {router_ms:.1f} | {failed} |")  # fmt: skip
        print("\nRouter RSS while one file streams through it to the sink:\n")
        print("| upload | samples | RSS before | peak RSS | peak - before |")
        print("| --- | --- | --- | --- | --- |")
        line = await rss_while_streaming(
            router, f"{base['router']}/graphql", args.rss_mb, args.rss_seconds
        )
        print(line)
    finally:
        for process in processes:
            process.stop()


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--mb", type=float, default=1.0, help="size of each upload")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rss-mb", type=float, default=10.0)
    parser.add_argument("--rss-seconds", type=float, default=3.0)
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse()))
