"""Differential tests: the same query against Apollo Gateway and the system under test.

The system under test is Mosaic's router unless MOSAIC_DIFF_TARGET says otherwise (`apollo`
runs a second Apollo Gateway, `hive` Hive Gateway: self-checks of the harness). Both sides get
their own live subgraphs (tests/router/differential/subgraphs) serving the same fixed data.
"""

from __future__ import annotations

import pytest

from tests.router.differential.cases import Case, load_all, load_xfails
from tests.router.differential.compare import diff
from tests.router.differential.harness import Differential, target_from_env

pytestmark = pytest.mark.peers

CASES = load_all()
XFAILS = load_xfails()


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
