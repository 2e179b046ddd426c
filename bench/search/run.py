"""The search benchmark: indexing throughput and query latency of the embedded backends.

`python -m bench.search.run [--documents N] [--queries N] [--backends sqlite,postgres]` (from
the repository root). For each backend: a fresh index (SQLite file; a throwaway PostgreSQL
server), N synthetic documents (products, and tasks of 200 projects) indexed in batches of
1,000 through `SearchBackend.upsert` (documents per second, the vocabulary included), then
queries one at a time as the resolvers send them: one word, one word with a typo, two words,
a category filter, an empty query with facets, and suggestions (p50 and p99 in ms). Prints a
Markdown table; a benchmark never fails a run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import string
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.harness.services import Postgres
from subgraphs.search.backends import SearchBackend
from subgraphs.search.backends.postgres import PostgresBackend
from subgraphs.search.backends.sqlite import SQLiteBackend
from subgraphs.search.documents import (
    PRODUCT,
    TASK,
    Document,
    Filters,
    SearchQuery,
    SuggestQuery,
)

BATCH = 1_000
PROJECTS = 200
REAL_WORDS = (
    "laptop phone headphones speaker kettle knife skillet espresso keyboard monitor mouse "
    "charger cable battery camera lens tripod backpack bottle lamp desk chair table shelf "
    "report budget review launch design release invoice roadmap meeting deploy"
).split()


def vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    """Real words plus pseudo-words (4-10 letters): a vocabulary the size of a shop's."""
    made = {"".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 10))) for _ in range(size)}
    return REAL_WORDS + sorted(made)


def documents(count: int, rng: random.Random) -> list[Document]:
    words = vocabulary(rng)
    start = datetime(2026, 1, 1, tzinfo=UTC)

    def text(n: int) -> str:
        # Zipf-like: real words are common, the long tail is rare.
        return " ".join(
            rng.choice(REAL_WORDS) if rng.random() < 0.3 else rng.choice(words) for _ in range(n)
        )

    found = []
    for i in range(count):
        task = i % 5 == 0
        found.append(
            Document(
                type=TASK if task else PRODUCT,
                id=f"doc-{i}",
                version=1,
                name=text(rng.randint(2, 4)).title(),
                description=text(rng.randint(8, 25)),
                tags=tuple(rng.sample(REAL_WORDS[:12], 2)),
                category_id=None if task else f"cat-{i % 20}",
                project_id=f"proj-{i % PROJECTS}" if task else None,
                created_at=start + timedelta(minutes=i),
            )
        )
    return found


def typo(word: str, rng: random.Random) -> str:
    at = rng.randrange(1, len(word) - 1)
    return word[:at] + word[at + 1 :]  # one letter dropped


async def timed(calls: list[Callable[[], Awaitable[object]]]) -> tuple[list[float], float]:
    """Wall milliseconds of each call, and this process's CPU milliseconds per call (the
    machine is shared: CPU time is the steadier number; PostgreSQL's own CPU is not in it)."""
    took = []
    cpu = time.process_time()
    for call in calls:
        began = time.perf_counter()
        await call()
        took.append((time.perf_counter() - began) * 1000)
    return took, (time.process_time() - cpu) * 1000 / max(len(calls), 1)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99


async def measure(
    name: str, backend: SearchBackend, docs: list[Document], queries: int, rng: random.Random
) -> list[str]:
    await backend.setup()
    for project in range(PROJECTS):
        await backend.set_members(f"proj-{project}", ["viewer"], 1)
    began, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(docs), BATCH):
        await backend.upsert(docs[start : start + BATCH])
    indexing = len(docs) / (time.perf_counter() - began)
    indexing_cpu = len(docs) / (time.process_time() - cpu)

    def search(text: str, **options: object) -> Callable[[], Awaitable[object]]:
        query = SearchQuery(text=text, viewer="viewer", facets=False, **options)  # type: ignore[arg-type]
        return lambda: backend.search(query)

    kinds: dict[str, Callable[[], Callable[[], Awaitable[object]]]] = {
        "one word": lambda: search(rng.choice(REAL_WORDS)),
        "one word, a typo": lambda: search(typo(rng.choice(REAL_WORDS[:24]), rng)),
        "two words": lambda: search(" ".join(rng.sample(REAL_WORDS, 2))),
        "word + category": lambda: search(
            rng.choice(REAL_WORDS), filters=Filters(category_id=f"cat-{rng.randrange(20)}")
        ),
        "no words, facets": lambda: (
            lambda: backend.search(
                SearchQuery(text="", viewer="viewer", facets=True, filters=Filters(tags=("lamp",)))
            )
        ),
        "word, facets": lambda: (
            lambda: backend.search(
                SearchQuery(text=rng.choice(REAL_WORDS), viewer="viewer", facets=True)
            )
        ),
        "suggest": lambda: (
            lambda: backend.suggest(SuggestQuery(rng.choice(REAL_WORDS)[:3], viewer="viewer"))
        ),
    }
    rows = [
        f"| {name} | indexing | {len(docs):,} documents | {indexing:,.0f} docs/s "
        f"| {indexing_cpu:,.0f} docs per CPU-second |"
    ]
    print(rows[-1], flush=True)  # each row as soon as it is measured
    for kind, make in kinds.items():
        calls = [make() for _ in range(queries)]
        await timed(calls[: max(queries // 10, 1)])  # warm-up
        took, cpu_ms = await timed(calls)
        p50, p99 = percentiles(took)
        rows.append(
            f"| {name} | {kind} | {queries} queries | p50 {p50:.2f} ms, p99 {p99:.2f} ms "
            f"| {cpu_ms:.2f} CPU ms/query |"
        )
        print(rows[-1], flush=True)
    await backend.close()
    return rows


async def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args(argv)
    rng = random.Random(2026)
    docs = documents(args.documents, rng)
    rows = [
        "| backend | what | size | wall time | this process's CPU |",
        "| --- | --- | --- | --- | --- |",
    ]
    print("\n".join(rows), flush=True)
    with tempfile.TemporaryDirectory(prefix="mosaic-bench-search-") as work:
        os.chmod(work, 0o755)  # PostgreSQL runs as its own user (root may not run it)
        for name in args.backends.split(","):
            if name == "sqlite":
                backend: SearchBackend = SQLiteBackend(f"sqlite+aiosqlite:///{work}/search.db")
                rows += await measure("SQLite FTS5", backend, docs, args.queries, rng)
            elif name == "postgres":
                server = Postgres(Path(work) / "pg")
                try:
                    server.create_database("search")
                    backend = PostgresBackend(server.url("search"))
                    rows += await measure("PostgreSQL", backend, docs, args.queries, rng)
                finally:
                    server.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
