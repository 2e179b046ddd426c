"""`mosaic check`: breaking, dangerous and federation changes; exit codes; baselines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from router.compose import SubgraphSource, compose
from router.compose.checks import compare_supergraphs

FED = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.11", '
    'import: ["@key", "@shareable", "@override"])\n'
)
USERS = (
    FED
    + """
type User @key(fields: "id") { id: ID! name: String email: String }
input UserFilter { nameContains: String role: String }
type Query { user(id: ID!): User users(filter: UserFilter, first: Int): [User!]! }
"""
)
TASKS = (
    FED
    + """
type User @key(fields: "id") { id: ID! tasks: [String!]! }
type Query { openTasks: Int }
"""
)


def supergraph(users: str = USERS, tasks: str = TASKS) -> str:
    result = compose([
        SubgraphSource("users", "http://users/graphql", users),
        SubgraphSource("tasks", "http://tasks/graphql", tasks),
    ])  # fmt: skip
    assert result.supergraph_sdl is not None, result.errors
    return result.supergraph_sdl


def breaking_types(old: str, new: str) -> set[str]:
    return {c.type for c in compare_supergraphs(old, new) if c.kind == "breaking"}


def test_removed_field_is_breaking() -> None:
    new = supergraph(users=USERS.replace(" email: String", ""))
    assert breaking_types(supergraph(), new) == {"FIELD_REMOVED"}


def test_changed_argument_type_is_breaking() -> None:
    new = supergraph(users=USERS.replace("first: Int)", "first: String)"))
    assert breaking_types(supergraph(), new) == {"ARG_CHANGED_KIND"}


def test_newly_non_null_input_is_breaking() -> None:
    new = supergraph(users=USERS.replace("role: String }", "role: String! }"))
    changes = compare_supergraphs(supergraph(), new)
    assert {c.type for c in changes if c.kind == "breaking"} == {"FIELD_CHANGED_KIND"}
    assert any("UserFilter.role" in c.description for c in changes)


def test_additions_are_not_breaking_but_some_are_dangerous() -> None:
    new = supergraph(users=USERS.replace("first: Int)", "first: Int, after: String)"))
    changes = compare_supergraphs(supergraph(), new)
    assert not [c for c in changes if c.kind == "breaking"]
    assert [c.type for c in changes if c.kind == "dangerous"] == ["OPTIONAL_ARG_ADDED"]
    enum_old = supergraph(users=USERS + "enum Role { A }\nextend type Query { role: Role }")
    enum_new = supergraph(users=USERS + "enum Role { A B }\nextend type Query { role: Role }")
    dangerous = [c for c in compare_supergraphs(enum_old, enum_new) if c.kind == "dangerous"]
    assert [c.type for c in dangerous] == ["VALUE_ADDED_TO_ENUM"]


def test_field_moving_to_another_subgraph_is_a_federation_change() -> None:
    moved_users = USERS.replace(" email: String", "")
    moved_tasks = TASKS.replace("tasks: [String!]! }", "tasks: [String!]! email: String }")
    changes = compare_supergraphs(supergraph(), supergraph(moved_users, moved_tasks))
    assert not [c for c in changes if c.kind == "breaking"]
    [moved] = [c for c in changes if c.type == "FIELD_OWNER_CHANGED"]
    assert moved.kind == "federation"
    assert moved.description == "User.email is now resolved by tasks (was users)."


def test_subgraph_url_change_and_removal_are_reported() -> None:
    old = supergraph()
    new = old.replace('url: "http://tasks/graphql"', 'url: "http://tasks-v2/graphql"')
    [change] = [c for c in compare_supergraphs(old, new) if c.kind == "federation"]
    assert change.type == "ROUTING_URL_CHANGED"


# -- the command, in a throwaway git repository -------------------------------------------------


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def mosaic(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mosaic", *args], cwd=repo, capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).parents[3])},
    )  # fmt: skip


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "schema" / "subgraphs").mkdir(parents=True)
    (tmp_path / "schema" / "subgraphs" / "users.graphql").write_text(USERS)
    (tmp_path / "schema" / "subgraphs" / "tasks.graphql").write_text(TASKS)
    (tmp_path / "supergraph.yaml").write_text(
        "federation_version: =2.11.0\nsubgraphs:\n"
        "  users:\n    routing_url: http://users/graphql\n"
        "    schema:\n      file: ./schema/subgraphs/users.graphql\n"
        "  tasks:\n    routing_url: http://tasks/graphql\n"
        "    schema:\n      file: ./schema/subgraphs/tasks.graphql\n"
    )
    git(tmp_path, "init", "-q")
    git(tmp_path, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "--allow-empty",
        "-m", "empty")  # fmt: skip
    return tmp_path


def test_check_without_baseline_passes(repo: Path) -> None:
    done = mosaic(repo, "check")
    assert done.returncode == 0, done.stderr
    assert "no baseline" in done.stdout


def test_check_against_an_unknown_ref_or_file_fails(repo: Path) -> None:
    for against in ("no-such-ref", "missing/supergraph.graphql", "HEAD~5"):
        done = mosaic(repo, "check", "--against", against)
        assert done.returncode == 2, (against, done.stdout, done.stderr)
        assert f"error: --against {against}: neither a file nor a commit" in done.stderr
        assert "no baseline" not in done.stdout
        done = mosaic(repo, "check", "--against", against, "--format", "json")
        payload = json.loads(done.stdout)
        assert done.returncode == 2 and payload["ok"] is False
        assert "neither a file nor a commit" in payload["errors"][0]


def test_check_against_a_file_that_is_no_supergraph_fails_clearly(repo: Path) -> None:
    baseline = repo / "old.graphql"
    for text in ("type Query { a: Int }", "not graphql {"):
        baseline.write_text(text)
        done = mosaic(repo, "check", "--against", str(baseline))
        assert done.returncode == 2, (text, done.stdout, done.stderr)
        assert "is not a supergraph the router can serve" in done.stderr
        assert "Traceback" not in done.stderr


def test_check_exit_codes_and_json(repo: Path) -> None:
    assert mosaic(repo, "compose").returncode == 0
    git(repo, "add", "-A")
    git(repo, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "-m", "v1")
    users = repo / "schema" / "subgraphs" / "users.graphql"
    users.write_text(USERS.replace(" email: String", ""))
    done = mosaic(repo, "check")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "BREAKING   FIELD_REMOVED: Field User.email was removed." in done.stdout
    assert mosaic(repo, "check", "--allow-breaking").returncode == 0
    as_json = mosaic(repo, "check", "--format", "json")
    payload = json.loads(as_json.stdout)
    assert as_json.returncode == 1
    assert payload["ok"] is False
    assert payload["baseline"] == "HEAD:schema/supergraph.graphql"
    assert [c["type"] for c in payload["breaking"]] == ["FIELD_REMOVED"]
    # Against a file: the committed supergraph, copied elsewhere.
    baseline = repo / "old.graphql"
    baseline.write_text((repo / "schema" / "supergraph.graphql").read_text())
    assert mosaic(repo, "check", "--against", str(baseline)).returncode == 1
    # A composition error is exit 2, also with --allow-breaking.
    users.write_text(USERS.replace("type Query {", "type Query { openTasks: Int "))
    failed = mosaic(repo, "check", "--allow-breaking", "--format", "json")
    assert failed.returncode == 2
    assert "INVALID_FIELD_SHARING" in json.loads(failed.stdout)["errors"][0]


def test_compose_command_reports_errors_with_codes(repo: Path) -> None:
    users = repo / "schema" / "subgraphs" / "users.graphql"
    users.write_text(USERS.replace('@key(fields: "id")', '@key(fields: "uuid")', 1))
    done = mosaic(repo, "compose", "--output", "-")
    assert done.returncode == 2
    assert "error[KEY_INVALID_FIELDS]: [users]" in done.stderr
    assert not (repo / "schema" / "supergraph.graphql").exists()
