"""The domain benchmark: Mosaic's own supergraph on PostgreSQL and Redis.

`python -m bench.domain.run` (from the repository root). Starts a throwaway PostgreSQL (with
pg_stat_statements) and Redis, migrates and seeds each present subgraph of BENCH_DOMAIN_SUBGRAPHS
(default users,tasks,catalog), serves them with uvicorn, points the committed
schema/supergraph.graphql at them, starts `mosaic router`, signs in the demo users, and runs each
scenario (bench/domain/scenarios.py) whose subgraphs exist: RPS, latency, SQL statements per
request, and an N+1 check (statements per request must not grow with the list length).
Results go to bench/results/<date>-domain.md.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.federation.gateways import BENCH_DIR, REPO_DIR
from bench.federation.run import wait_graphql
from bench.harness.env import BenchSettings, load_averages, machine_description, read_settings
from bench.harness.k6 import LoadResult, run_load
from bench.harness.procs import Process, free_port, post_json, wait_http
from bench.harness.services import Postgres, start_redis

from .scenarios import ADD_TO_CART, CHECKOUT, CHECKOUT_NEEDS, PENDING, SCENARIOS, Scenario

BENCH_PASSWORD = "Bench-password-2026!"

JOIN_GRAPH = re.compile(r'(@join__graph\(name: "(\w+)", url: ")([^"]*)(")')


@dataclass(frozen=True)
class ScenarioResult:
    scenario: Scenario
    load: LoadResult | None
    statements_per_request: float | None  # under load, per client request
    statements_one_request: int | None  # one request alone
    growth: str
    problem: str | None
    top_statements: tuple[tuple[str, int, str], ...] = ()  # of one request alone


def python() -> str:
    venv = REPO_DIR / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def present_subgraphs(wanted: list[str]) -> list[str]:
    sys.path.insert(0, str(REPO_DIR))
    from mosaic.subgraphs import discover

    found = {info.name for info in discover()}
    return [name for name in wanted if name in found]


def point_supergraph(source: Path, urls: dict[str, str], out: Path) -> None:
    """The committed supergraph with each running subgraph's URL replaced."""

    def replace(match: re.Match[str]) -> str:
        url = urls.get(match.group(2), match.group(3))
        return f"{match.group(1)}{url}{match.group(4)}"

    out.write_text(JOIN_GRAPH.sub(replace, source.read_text()))


def sign_in(router_url: str, email: str, password: str) -> dict[str, str]:
    body = {
        "query": "mutation SignIn($e: String!, $p: String!) { login(email: $e, password: $p)"
        " { accessToken } }",
        "variables": {"e": email, "p": password},
    }
    status, answer = post_json(router_url, json.dumps(body).encode())
    document = json.loads(answer)
    if status != 200 or document.get("errors"):
        raise RuntimeError(f"sign-in as {email} failed: {answer[:300]!r}")
    return {"authorization": f"Bearer {document['data']['login']['accessToken']}"}


def request_body(scenario: Scenario, variables: dict[str, object] | None = None) -> bytes:
    payload = {
        "query": scenario.query,
        "operationName": scenario.operation_name,
        "variables": variables if variables is not None else scenario.variables,
    }
    return json.dumps(payload).encode()


def post_with_headers(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        url, data=body, headers={"content-type": "application/json", **headers}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read()


def statements_for_one(
    postgres: Postgres, databases: list[str], url: str, body: bytes, headers: dict[str, str]
) -> int:
    postgres.reset_statement_counts()
    post_with_headers(url, body, headers)
    return postgres.statement_count(databases)


N_PLUS_ONE_TOLERANCE = 2  # statements; more growth than this between the two sizes is an N+1


def n_plus_one_verdict(variable: str, small: int, large: int, at_small: int, at_large: int) -> str:
    verdict = "flat" if at_large - at_small <= N_PLUS_ONE_TOLERANCE else "GROWS (N+1)"
    return f"{verdict}: {at_small} at {variable}={small}, {at_large} at {variable}={large}"


def run_scenario(
    scenario: Scenario,
    *,
    settings: BenchSettings,
    vus: int,
    url: str,
    headers: dict[str, str],
    postgres: Postgres,
    databases: list[str],
    work: Path,
) -> ScenarioResult:
    slug = scenario.name.replace(" ", "-")
    body = request_body(scenario)
    status, answer = post_with_headers(url, body, headers)
    document = json.loads(answer) if answer.startswith(b"{") else {}
    if status != 200 or document.get("errors") or not document.get("data"):
        return ScenarioResult(scenario, None, None, None, "–", f"first answer: {answer[:300]!r}")
    body_file = work / f"{slug}-body.json"
    body_file.write_bytes(body)
    expected_file = None
    if scenario.read_only:
        expected_file = work / f"{slug}-expected.json"
        expected_file.write_text(json.dumps({"data": document["data"]}))
    one = statements_for_one(postgres, databases, url, body, headers)
    top = tuple(postgres.top_statements(databases))
    growth = "–"
    if scenario.grows:
        variable, small, large = scenario.grows
        # Fewest of three tries per size: how loaders split batches varies with timing by a
        # statement or two; an N+1 adds statements per item.
        counts = [
            min(
                statements_for_one(
                    postgres,
                    databases,
                    url,
                    request_body(scenario, {**scenario.variables, variable: size}),
                    headers,
                )
                for _ in range(3)
            )
            for size in (small, large)
        ]
        growth = n_plus_one_verdict(variable, small, large, counts[0], counts[1])

    def load(duration: str, summary: str) -> LoadResult:
        return run_load(
            endpoint=url,
            body_file=body_file,
            expected_file=expected_file,
            vus=vus,
            duration=duration,
            summary_file=work / f"{slug}-{summary}",
            log_file=work / f"{slug}-k6.log",
            cpus=settings.loadgen_cpus,
            headers=headers,
        )

    load(settings.warmup, "warmup.json")
    postgres.reset_statement_counts()
    result = load(settings.duration, "summary.json")
    statements = postgres.statement_count(databases) / max(result.requests, 1)
    problem = None if result.all_correct else f"{result.failed_checks} failed checks"
    return ScenarioResult(scenario, result, statements, one, growth, problem, top)


def graphql_as(
    url: str, query: str, variables: dict[str, object], headers: dict[str, str]
) -> dict[str, object]:
    """POST one operation; its data (raises on errors)."""
    body = json.dumps({"query": query, "variables": variables}).encode()
    status, answer = post_with_headers(url, body, headers)
    document = json.loads(answer) if answer.startswith(b"{") else {}
    if status != 200 or document.get("errors") or not isinstance(document.get("data"), dict):
        raise RuntimeError(f"{query[:60]}...: {answer[:300]!r}")
    data: dict[str, object] = document["data"]
    return data


def run_checkout(
    *,
    settings: BenchSettings,
    vus: int,
    url: str,
    admin: dict[str, str],
    postgres: Postgres,
    databases: list[str],
    work: Path,
) -> ScenarioResult:
    """Add to cart + check out per iteration, one registered user per virtual user."""
    scenario = Scenario(
        name="checkout",
        needs=CHECKOUT_NEEDS,
        operation_name="Checkout",
        query=CHECKOUT,
        read_only=False,
    )
    listing = graphql_as(url, "{ products(first: 1) { edges { node { id } } } }", {}, admin)
    product_id = listing["products"]["edges"][0]["node"]["id"]  # type: ignore[index]
    graphql_as(
        url,
        "mutation Stock($id: ID!) { adjustInventory(productId: $id, delta: 1000000) { stock } }",
        {"id": product_id},
        admin,
    )
    tokens: list[dict[str, str]] = []
    for index in range(vus):
        email = f"bench-buyer-{index}@mosaic.dev"
        graphql_as(
            url,
            "mutation Register($input: RegisterInput!) { register(input: $input) { id } }",
            {"input": {"email": email, "password": BENCH_PASSWORD, "name": f"Buyer {index}"}},
            {},
        )
        tokens.append(sign_in(url, email, BENCH_PASSWORD))
    add = {
        "query": ADD_TO_CART,
        "operationName": "AddToCart",
        "variables": {"productId": product_id},
    }
    buy = {"query": CHECKOUT, "operationName": "Checkout", "variables": {}}
    graphql_as(url, ADD_TO_CART, {"productId": product_id}, tokens[0])
    postgres.reset_statement_counts()
    graphql_as(url, CHECKOUT, {}, tokens[0])
    one = postgres.statement_count(databases)
    top = tuple(postgres.top_statements(databases))
    body_file = work / "checkout-body.json"
    body_file.write_text(json.dumps([add, buy]))

    def load(duration: str, summary: str) -> LoadResult:
        return run_load(
            endpoint=url,
            body_file=body_file,
            expected_file=None,
            vus=vus,
            duration=duration,
            summary_file=work / f"checkout-{summary}",
            log_file=work / "checkout-k6.log",
            cpus=settings.loadgen_cpus,
            headers=tokens,
        )

    load(settings.warmup, "warmup.json")
    postgres.reset_statement_counts()
    result = load(settings.duration, "summary.json")
    statements = postgres.statement_count(databases) / max(result.requests, 1)
    problem = None if result.all_correct else f"{result.failed_checks} failed checks"
    growth = "– (RPS counts both requests of an iteration)"
    return ScenarioResult(scenario, result, statements, one, growth, problem, top)


def render(
    settings: BenchSettings,
    vus: int,
    subgraphs: list[str],
    results: list[ScenarioResult],
    started: dt.datetime,
) -> str:
    lines = [
        f"# Domain benchmark, {started:%Y-%m-%d %H:%M} UTC",
        "",
        "Mosaic's own supergraph (schema/supergraph.graphql) on PostgreSQL (pg_stat_statements",
        "counts the SQL) and Redis (event backend), through `mosaic router` (default settings).",
        "SQL for one request: the statements one request alone causes. SQL per request under",
        "load is lower when the router shares identical in-flight subgraph requests (its",
        "default, MOSAIC_ROUTER_DEDUP_SUBGRAPH_REQUESTS=true) among identical clients.",
        "",
        f"- Machine: {machine_description()}; load average at start {load_averages()}.",
        f"- Subgraphs running: {', '.join(subgraphs) or 'none'}.",
        f"- Load: {vus} VUs, {settings.duration} measured after a {settings.warmup} warm-up.",
        f"- Pinning (taskset): router on CPU {settings.gateway_cpus}, k6 on CPU"
        f" {settings.loadgen_cpus}; subgraphs, PostgreSQL and Redis unpinned.",
        "",
        "| scenario | RPS | p50 ms | p95 ms | p99 ms | SQL, 1 request | SQL/request under load"
        " | N+1 check | failed checks | problem |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for item in results:
        r = item.load
        if r is None:
            lines.append(
                f"| {item.scenario.name} | – | – | – | – | – | – | – | – | {item.problem} |"
            )
            continue
        lines.append(
            f"| {item.scenario.name} | {r.rps:.0f} | {r.p50_ms:.1f} | {r.p95_ms:.1f} |"
            f" {r.p99_ms:.1f} | {item.statements_one_request} |"
            f" {item.statements_per_request or 0:.2f} | {item.growth} |"
            f" {r.failed_checks} | {item.problem or 'none'} |"
        )
    for item in results:
        if item.top_statements:
            lines += ["", f"SQL of one `{item.scenario.name}` request (most frequent first):", ""]
            lines += ["| database | calls | statement |", "|---|---|---|"]
            for database, calls, statement in item.top_statements:
                text = statement.replace("|", "\\|")
                lines.append(f"| {database} | {calls} | `{text}` |")
    missing = list(PENDING)
    skipped = [s for s in SCENARIOS if not set(s.needs) <= set(subgraphs)]
    if missing or skipped:
        lines += ["", "Not measured:", ""]
        lines += [f"- {s.name} (needs {', '.join(s.needs)}: not all running)" for s in skipped]
        lines += [f"- {name} (subgraphs {', '.join(needs)}; scenario not written yet)"
                  for name, needs in missing]  # fmt: skip
    lines.append("")
    return "\n".join(lines)


def main() -> int:
    settings = read_settings(BENCH_DIR)
    vus = int(os.environ.get("BENCH_DOMAIN_VUS", "20"))
    wanted = os.environ.get("BENCH_DOMAIN_SUBGRAPHS", "users,tasks,catalog").split(",")
    names = present_subgraphs([name.strip() for name in wanted if name.strip()])
    started = dt.datetime.now(dt.UTC)
    work = settings.work_dir / f"domain-{started:%Y%m%d-%H%M%S}"
    work.mkdir(parents=True, exist_ok=True)
    settings.results_dir.mkdir(parents=True, exist_ok=True)
    print(f"domain benchmark ({', '.join(names) or 'no subgraphs'}); logs in {work}", flush=True)

    postgres = Postgres(work / "postgres")
    redis, redis_url = start_redis(work)
    processes: list[Process] = [redis]
    results: list[ScenarioResult] = []
    try:
        for name in names:
            postgres.create_database(name)
        env = {
            "MOSAIC_ENV": "dev",
            "MOSAIC_DATABASE_URL": postgres.url("{subgraph}"),
            "MOSAIC_EVENT_BACKEND": "redis",
            "MOSAIC_REDIS_URL": redis_url,
            "MOSAIC_DATA_DIR": str(work / "data"),
            "MOSAIC_LOG_LEVEL": "warning",
        }
        full_env = {**os.environ, **env}
        for command in ("db", "seed"):
            argv = [python(), "-m", "mosaic", command]
            argv += ["upgrade", *names] if command == "db" else names
            subprocess.run(argv, cwd=REPO_DIR, env=full_env, check=True, capture_output=True)
        urls: dict[str, str] = {}
        for name in names:
            port = free_port()
            argv = [python(), "-m", "uvicorn", f"subgraphs.{name}.app:app", "--port", str(port)]
            argv += ["--loop", "uvloop", "--http", "httptools", "--log-level", "warning"]
            process = Process(
                f"subgraph {name}", argv, log_path=work / f"{name}.log", cwd=REPO_DIR, env=env
            )
            processes.append(process)
            wait_http(f"http://127.0.0.1:{port}/health", process)
            urls[name] = f"http://127.0.0.1:{port}/graphql"
        supergraph = work / "supergraph.graphql"
        point_supergraph(REPO_DIR / "schema" / "supergraph.graphql", urls, supergraph)
        port = free_port()
        argv = [python(), "-m", "mosaic", "router", "--supergraph", str(supergraph)]
        argv += ["--port", str(port), "--workers", str(settings.mosaic_workers)]
        router = Process(
            "mosaic router",
            argv,
            log_path=work / "router.log",
            cwd=REPO_DIR,
            env=env,
            cpus=settings.gateway_cpus,
        )
        processes.append(router)
        url = f"http://127.0.0.1:{port}/graphql"
        wait_graphql(url, router)
        password = os.environ.get("MOSAIC_SEED_PASSWORD", "mosaic-demo-1")
        for scenario in SCENARIOS:
            if not set(scenario.needs) <= set(names):
                continue
            print(f"  {scenario.name}", flush=True)
            try:
                headers = sign_in(url, scenario.as_user, password) if scenario.as_user else {}
                results.append(
                    run_scenario(
                        scenario,
                        settings=settings,
                        vus=vus,
                        url=url,
                        headers=headers,
                        postgres=postgres,
                        databases=names,
                        work=work,
                    )
                )
            except RuntimeError as error:
                problem = str(error).replace("\n", " ")[-300:]
                results.append(ScenarioResult(scenario, None, None, None, "–", problem))
            time.sleep(1)
        if set(CHECKOUT_NEEDS) <= set(names):
            print("  checkout", flush=True)
            try:
                admin = sign_in(url, "admin@mosaic.dev", password)
                results.append(
                    run_checkout(
                        settings=settings,
                        vus=vus,
                        url=url,
                        admin=admin,
                        postgres=postgres,
                        databases=names,
                        work=work,
                    )
                )
            except RuntimeError as error:
                scenario = Scenario("checkout", CHECKOUT_NEEDS, "Checkout", CHECKOUT)
                problem = str(error).replace("\n", " ")[-300:]
                results.append(ScenarioResult(scenario, None, None, None, "–", problem))
    finally:
        for process in reversed(processes):
            process.stop()
        postgres.stop()
    report = render(settings, vus, names, results, started)
    out = settings.results_dir / f"{started:%Y-%m-%d}-domain.md"
    out.write_text(report)
    print(report)
    print(f"written to {out}")
    return 0 if all(item.problem is None for item in results) else 1


if __name__ == "__main__":
    sys.exit(main())
