"""The running differential setup: a reference side (Apollo Gateway), a candidate side and,
when Mosaic is the candidate, a second oracle (Hive Gateway).

Each side has its own subgraph process, so mutations on one never change what another
sees; the mutation counter of every side is reset before every case.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.router.differential.cases import Case
from tests.router.differential.compare import Response, compare
from tests.router.differential.processes import TARGETS, Side, starting, wait_healthy

HEADERS = {"content-type": "application/json", "accept": "application/json"}
IDLE_SECONDS = 1.0  # how long the client keeps an idle keep-alive connection


def target_from_env() -> str:
    """MOSAIC_DIFF_TARGET: the system under test, `mosaic` (default), `apollo` or `hive`."""
    target = os.environ.get("MOSAIC_DIFF_TARGET", "mosaic").strip().lower() or "mosaic"
    if target not in TARGETS:
        raise ValueError(f"MOSAIC_DIFF_TARGET={target!r}: expected one of {', '.join(TARGETS)}")
    return target


@dataclass
class Differential:
    reference: Side
    candidate: Side
    target: str
    client: httpx.Client
    hive: Side | None = None  # the second oracle (Hive Gateway), when Mosaic is the candidate
    # (Apollo Gateway's, Hive Gateway's) answers per case id, taken in the round that judged the
    # candidate (one reset, no second request to Apollo Gateway).
    hive_answers: dict[str, tuple[Response | None, Response]] = field(default_factory=dict)

    def send(self, which: Side, case: Case) -> Response:
        return post(self.client, which.endpoints[case.supergraph], case.payload())

    def reset(self) -> None:
        for which in (self.reference, self.candidate, self.hive):
            if which is not None:
                self.client.post(which.reset_url).raise_for_status()

    def run(self, case: Case) -> tuple[Response, Response]:
        self.reset()
        reference, candidate = self.send(self.reference, case), self.send(self.candidate, case)
        if self.hive is not None:
            self.hive_answers[case.id] = (reference, self.send(self.hive, case))
        return reference, candidate

    def judge_hive(self, case: Case) -> Verdict:
        """Hive Gateway against the truth: `expected` where a case has it, else Apollo Gateway."""
        assert self.hive is not None
        if case.id not in self.hive_answers:
            self.judge(case)
        reference, hive = self.hive_answers.pop(case.id)
        if case.expected is not None:
            against = f"the expected response ({case.reference_wrong})"
            baseline = Response(status=200, body=case.expected, text="")
        else:
            assert reference is not None
            against, baseline = "Apollo Gateway", reference
        problems = compare(baseline, hive, error_paths=case.error_paths)
        return Verdict(reference or baseline, hive, against, baseline, problems)

    def judge(self, case: Case) -> Verdict:
        """Run a case and compare; where Apollo Gateway is known wrong, against `expected`."""
        if case.skip_reference:
            self.reset()
            candidate = self.send(self.candidate, case)
            if self.hive is not None:
                self.hive_answers[case.id] = (None, self.send(self.hive, case))
            reference = Response(
                status=0, body=None, text="(not sent: Apollo Gateway cannot plan it)"
            )
        else:
            reference, candidate = self.run(case)
        against, baseline = "Apollo Gateway", reference
        if case.expected is not None and self.target == "mosaic":
            against = f"the expected response ({case.reference_wrong})"
            baseline = Response(status=200, body=case.expected, text="")
        problems = compare(baseline, candidate, error_paths=case.error_paths)
        return Verdict(reference, candidate, against, baseline, problems)


@dataclass(frozen=True)
class Verdict:
    reference: Response  # what Apollo Gateway answered
    candidate: Response
    against: str  # what the candidate was compared with
    baseline: Response
    problems: list[str]


def post(client: httpx.Client, url: str, payload: object) -> Response:
    reply = client.post(url, json=payload, headers=HEADERS)
    try:
        body = reply.json()
    except ValueError:
        body = None
    return Response(status=reply.status_code, body=body, text=reply.text)


@contextlib.contextmanager
def differential(
    target: str, work: Path | None = None, hive: bool = False
) -> Iterator[Differential]:
    """Start the sides; `hive`: also Hive Gateway as a second oracle."""
    with contextlib.ExitStack() as stack:
        if work is None:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mosaic-diff-")))
        # Start every side before waiting for any: startup dominates a short run.
        reference, checks = stack.enter_context(starting("reference", "apollo", work))
        candidate, more = stack.enter_context(starting("candidate", target, work))
        checks += more
        oracle = None
        if hive:
            oracle, more = stack.enter_context(starting("oracle", "hive", work))
            checks += more
        for running, url in checks:
            wait_healthy(running, url)
        # Idle connections are dropped long before the servers drop them (5 s: uvicorn's and
        # Node's default): one the server is closing as a request goes out fails the request.
        limits = httpx.Limits(keepalive_expiry=IDLE_SECONDS)
        client = stack.enter_context(httpx.Client(timeout=30.0, limits=limits))
        yield Differential(
            reference=reference, candidate=candidate, target=target, client=client, hive=oracle
        )
