"""@authenticated, @requiresScopes and @policy on an interface, an interface field or an
@interfaceObject type are refused exactly as @apollo/composition refuses them (same code, same
message, same order); on a field of an interface object they are accepted, as by Apollo."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from router.compose import compose
from tests.router.compose.oracle_support import FIXTURES, load_fixture, run_oracle

pytestmark = pytest.mark.peers
SETS = {p.stem: load_fixture(p) for p in sorted(FIXTURES.glob("*auth_on_interface*.graphql"))}


def test_messages_are_apollos() -> None:
    assert len([n for n in SETS if n.startswith("fail_")]) >= 5
    apollo = run_oracle([{"name": n, "subgraphs": [asdict(s) for s in v]} for n, v in SETS.items()])
    for name, sources in SETS.items():
        ours = compose(sources)
        theirs = apollo[name]
        assert ours.ok is theirs["ok"] is name.startswith("ok_"), name
        assert [(e.code, e.message) for e in ours.errors] == [
            (e["code"], e["message"]) for e in theirs.get("errors") or ()
        ], name
