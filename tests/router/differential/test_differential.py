"""Differential tests: the same query against Apollo Gateway and the system under test, and
against Hive Gateway as a second oracle.

The system under test is Mosaic's router unless MOSAIC_DIFF_TARGET says otherwise (`apollo`
runs a second Apollo Gateway, `hive` Hive Gateway: self-checks of the harness). Every side gets
its own live subgraphs (tests/router/differential/subgraphs) serving the same fixed data.
With Mosaic as the candidate, Hive Gateway answers every case too and is held to the same truth
(Apollo Gateway's answer, or `expected` where Apollo is wrong); the cases where it differs are
listed in hive.yaml with the DISAGREEMENTS.md entry that says who is right and why.
"""

from __future__ import annotations

import pytest

from tests.router.differential.cases import Case, load_all, load_hive_differences, load_xfails
from tests.router.differential.compare import diff
from tests.router.differential.harness import Differential, target_from_env

pytestmark = pytest.mark.peers

CASES = load_all()
XFAILS = load_xfails()
HIVE_DIFFERENCES = load_hive_differences()


def _params() -> list[object]:
    mosaic = target_from_env() == "mosaic"
    params = []
    for case in CASES:
        marks = []
        if mosaic and case.id in XFAILS:
            marks.append(pytest.mark.xfail(strict=True, reason=XFAILS[case.id]))
        params.append(pytest.param(case, id=case.id, marks=marks))
    return params


def test_case_ids_are_unique_and_xfails_exist() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    assert not set(XFAILS) - set(ids), "xfail.yaml names cases that do not exist"
    assert not set(HIVE_DIFFERENCES) - set(ids), "hive.yaml names cases that do not exist"


@pytest.mark.parametrize("case", _params())
def test_same_result_as_apollo_gateway(case: Case, sides: Differential) -> None:
    if case.skip_reference and sides.target != "mosaic":
        pytest.skip("Apollo Gateway cannot answer this case; it only checks Mosaic")
    verdict = sides.judge(case)
    reference = verdict.reference
    # The harness checks itself: a hand-written query must mean what it says.
    if case.skip_reference:
        pass
    elif case.invalid:
        assert reference.data is None and reference.errors, "reference accepted an invalid case"
    else:
        assert isinstance(reference.body, dict) and "data" in reference.body, (
            f"reference rejected the query: {reference.text}"
        )
    assert not verdict.problems, (
        f"{sides.target} disagrees with {verdict.against} on {case.id}: "
        f"{'; '.join(verdict.problems)}\n{diff(verdict.baseline, verdict.candidate)}"
    )


def _hive_params() -> list[object]:
    params = []
    for case in CASES:
        reason = HIVE_DIFFERENCES.get(case.id)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(case, id=case.id, marks=marks))
    return params


@pytest.mark.parametrize("case", _hive_params())
def test_hive_gateway_agrees(case: Case, sides: Differential) -> None:
    """Hive Gateway, the second oracle, against the truth Mosaic is held to. A difference not
    in hive.yaml fails: record who is right in DISAGREEMENTS.md (and, where Hive is right and
    Apollo Gateway wrong, give the case `expected` + `reference_wrong`)."""
    if sides.hive is None:
        pytest.skip("Hive Gateway is the second oracle only when Mosaic is the candidate")
    verdict = sides.judge_hive(case)
    assert not verdict.problems, (
        f"Hive Gateway disagrees with {verdict.against} on {case.id}: "
        f"{'; '.join(verdict.problems)}\n{diff(verdict.baseline, verdict.candidate)}"
    )
