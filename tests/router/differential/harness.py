"""The running differential setup: a reference side (Apollo Gateway) and a candidate side.

Each side has its own subgraph process, so mutations on one never change what the other
sees; the mutation counter of both is reset before every case.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.router.differential.cases import Case
from tests.router.differential.compare import Response, compare
from tests.router.differential.processes import TARGETS, Side, starting, wait_healthy

HEADERS = {"content-type": "application/json", "accept": "application/json"}


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

    def send(self, which: Side, case: Case) -> Response:
        return post(self.client, which.endpoints[case.supergraph], case.payload())

    def reset(self) -> None:
        for which in (self.reference, self.candidate):
            self.client.post(which.reset_url).raise_for_status()

    def run(self, case: Case) -> tuple[Response, Response]:
        self.reset()
        return self.send(self.reference, case), self.send(self.candidate, case)

    def judge(self, case: Case) -> Verdict:
        """Run a case and compare; where Apollo Gateway is known wrong, against `expected`."""
        if case.skip_reference:
            self.reset()
            candidate = self.send(self.candidate, case)
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
def differential(target: str, work: Path | None = None) -> Iterator[Differential]:
    with contextlib.ExitStack() as stack:
        if work is None:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mosaic-diff-")))
        # Start both sides before waiting for either: startup dominates a short run.
        reference, ref_checks = stack.enter_context(starting("reference", "apollo", work))
        candidate, cand_checks = stack.enter_context(starting("candidate", target, work))
        for running, url in ref_checks + cand_checks:
            wait_healthy(running, url)
        client = stack.enter_context(httpx.Client(timeout=30.0))
        yield Differential(reference=reference, candidate=candidate, target=target, client=client)
