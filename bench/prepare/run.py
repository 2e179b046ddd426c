"""Preparation cost against document size: how the time to prepare a new document (parse, limits,
validate, normalize, plan, compile the shaper: the router's document stages) grows with the
number of aliases and fields, and the time to refuse the 100,000-alias document.

`python -m bench.prepare.run` (from the repository root; no services needed). For each shape it
prepares documents of 1k, 2k, ..., 64k selections with the limits off (the limits exist to stop
such documents; here the stages behind them are measured), prints the best of a few runs per
size and the growth exponent k of time ~ size^k (least squares on log-log; 1.0 is linear),
with the garbage-collector settings of a serving router (with CPython's defaults, full
collections over the growing heap add a superlinear term of their own).
Then it sends the 100,000-alias document (1.9 MB) through the whole pipeline with the default
limits, as a client would, and prints how long the refusal took. BENCH_PREPARE_MAX (default
65536) caps the largest size; BENCH_PREPARE_REPEAT (default 3) the runs per size.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from router.pipeline import HttpRequest, Pipeline
from router.server import gctune
from router.settings import RouterSettings
from router.supergraph import load_supergraph

ROOT = Path(__file__).resolve().parents[2]
SUPERGRAPH = ROOT / "schema" / "supergraph.graphql"
UNLIMITED = {
    "max_tokens": 0,
    "max_depth": 0,
    "max_aliases": 0,
    "max_root_fields": 0,
    "max_directives": 0,
    "cost_mode": "off",
    "cache_size": 1,
}


def aliases(n: int) -> str:
    return "{" + " ".join(f"a{i}: __typename" for i in range(n)) + "}"


def fields(n: int) -> str:
    """n aliased root fields, each a real field planned to a subgraph with a sub-selection."""
    return "{" + " ".join(f'p{i}: product(id: "{i}") {{ id name }}' for i in range(n)) + "}"


def nested(n: int) -> str:
    """One root field with n aliased leaf fields under it (a wide selection set)."""
    return '{ product(id: "1") { ' + " ".join(f"f{i}: name" for i in range(n)) + " } }"


SHAPES: dict[str, Callable[[int], str]] = {
    "aliases of __typename": aliases,
    "aliased root fields with selections": fields,
    "aliased fields in one selection": nested,
}


def exponent(points: list[tuple[int, float]]) -> float:
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


def measure(pipeline: Pipeline, query: str, repeat: int) -> float:
    best = math.inf
    for _ in range(repeat):
        pipeline.preparer.cache = type(pipeline.preparer.cache)(1)  # a new document each time
        started = time.perf_counter()
        pipeline.preparer.prepare_now(query, None, frozenset())
        best = min(best, time.perf_counter() - started)
    return best


async def refuse_100k() -> tuple[float, str]:
    pipeline = Pipeline(load_supergraph(SUPERGRAPH.read_text()), RouterSettings())
    body = orjson.dumps({"query": aliases(100_000)})
    started = time.perf_counter()
    http = HttpRequest("POST", "/graphql", ((b"content-type", b"application/json"),), b"", body,
                       "bench", started)  # fmt: skip
    response = await pipeline.handle(http)
    elapsed = time.perf_counter() - started
    await pipeline.close()
    code = orjson.loads(response.body)["errors"][0]["extensions"]["code"]
    return elapsed, f"{code}, {len(body) / 1e6:.1f} MB"


def main() -> None:
    largest = int(os.environ.get("BENCH_PREPARE_MAX", "65536"))
    repeat = int(os.environ.get("BENCH_PREPARE_REPEAT", "3"))
    gctune.tune()  # the serving process's collector settings (router/server/gctune.py)
    settings = RouterSettings(**UNLIMITED)  # type: ignore[arg-type]
    pipeline = Pipeline(load_supergraph(SUPERGRAPH.read_text()), settings)
    sizes = [n for n in (1 << k for k in range(10, 17)) if n <= largest]
    for name, shape in SHAPES.items():
        print(f"\n{name}")
        print(f"{'selections':>10} {'bytes':>10} {'prepare s':>10} {'µs/selection':>13}")
        points = []
        for n in sizes:
            query = shape(n)
            seconds = measure(pipeline, query, repeat)
            points.append((n, seconds))
            print(f"{n:>10} {len(query):>10} {seconds:>10.3f} {seconds / n * 1e6:>13.1f}")
        print(f"growth exponent k (time ~ size^k): {exponent(points):.2f}")
    elapsed, what = asyncio.run(refuse_100k())
    print(f"\nthe 100,000-alias document through the pipeline: refused in {elapsed * 1000:.1f} ms"
          f" ({what})")  # fmt: skip


if __name__ == "__main__":
    main()
