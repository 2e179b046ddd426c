"""CI gates on the repository itself (run by `make test`).

1. The committed schema/subgraphs/*.graphql are what the code prints.
2. Every subgraph package is in supergraph.yaml, and the committed schema/supergraph.graphql is
   the composition of the committed SDLs.
3. `mosaic check` against the previous commit's supergraph finds no breaking change, unless
   the last commit's message says `[allow-breaking]`. No previous commit (first commit, shallow
   clone) or no supergraph in it means there is nothing to compare, which passes.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mosaic.commands.check import run_check
from mosaic.commands.schema import discover, export
from router.compose.config import load_config
from router.compose.output import compose_config

ROOT = Path(__file__).parents[3]
CONFIG = ROOT / "supergraph.yaml"
SUPERGRAPH = ROOT / "schema" / "supergraph.graphql"


def test_committed_subgraph_sdls_match_the_code() -> None:
    subgraphs_dir, output_dir = ROOT / "subgraphs", ROOT / "schema" / "subgraphs"
    assert export(output_dir, subgraphs_dir, check=True) == [], (
        "run `mosaic schema export` and commit schema/subgraphs/"
    )
    committed = sorted(p.stem for p in output_dir.glob("*.graphql"))
    assert committed == discover(subgraphs_dir), "stale or missing files in schema/subgraphs/"


def test_committed_supergraph_is_the_composition() -> None:
    config = load_config(CONFIG, {})
    assert sorted(s.name for s in config.subgraphs) == discover(ROOT / "subgraphs"), (
        "every subgraphs/<name>/schema.py must be listed in supergraph.yaml"
    )
    if not config.subgraphs:
        assert not SUPERGRAPH.exists()
        return
    result = compose_config(config)
    assert result.supergraph_sdl is not None, "\n".join(str(e) for e in result.errors)
    assert SUPERGRAPH.read_text() == result.supergraph_sdl, "run `mosaic compose` and commit"


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)


def test_no_breaking_change_against_the_previous_commit() -> None:
    if not load_config(CONFIG, {}).subgraphs:
        return
    if _git("rev-parse", "--verify", "--quiet", "HEAD~1^{commit}").returncode != 0:
        if _git("rev-parse", "--is-shallow-repository").stdout.strip() == "true":
            pytest.skip("shallow clone: the previous commit is not here to compare with")
        assert _git("rev-list", "--count", "HEAD").stdout.strip() == "1"
        return  # the first commit: nothing to compare
    report, errors = run_check(CONFIG, "HEAD~1", "schema/supergraph.graphql", cwd=ROOT)
    assert errors == []
    message = _git("log", "-1", "--format=%B").stdout
    if "[allow-breaking]" in message:
        return
    assert report.breaking == [], "\n".join(c.description for c in report.breaking)
