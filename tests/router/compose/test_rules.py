"""Errors name the subgraph, type and field; the supergraph carries the join__ metadata."""

from __future__ import annotations

from router.compose import SubgraphSource, compose
from router.compose.join_metadata import join_metadata
from tests.router.compose.oracle_support import FIXTURES, load_fixture

FED = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.11", '
    'import: ["@key", "@shareable", "@external", "@requires", "@override"])\n'
)


def errors_of(**subgraphs: str) -> list[tuple[str, str | None, str | None, str | None]]:
    result = compose(
        [SubgraphSource(n, f"http://{n}/graphql", FED + s) for n, s in subgraphs.items()]
    )
    assert result.supergraph_sdl is None
    return [(e.code, e.subgraph, e.type, e.field) for e in result.errors]


def test_invalid_field_sharing_names_type_and_field() -> None:
    found = errors_of(
        a='type User @key(fields: "id") { id: ID! name: String }\ntype Query { me: User }',
        b='type User @key(fields: "id") { id: ID! name: String }',
    )
    assert found == [("INVALID_FIELD_SHARING", None, "User", "name")]


def test_subgraph_errors_name_the_subgraph() -> None:
    found = errors_of(
        a='type Product @key(fields: "id") { id: ID! weight: Int }\ntype Query { p: Product }',
        b='type Product @key(fields: "id") { id: ID! size: Int @shareable '
        'cost: Int @requires(fields: "size") }',
    )
    assert found == [("REQUIRES_FIELDS_MISSING_EXTERNAL", "b", "Product", "cost")]


def test_satisfiability_error_shows_the_query() -> None:
    result = compose(load_fixture(FIXTURES / "fail_satisfiability_keys_differ.graphql"))
    # Like Apollo: one error per unreachable field (sku, stock), each with a query reaching it.
    assert [(e.code, e.type, e.field) for e in result.errors] == [
        ("SATISFIABILITY_ERROR", "Product", "sku"),
        ("SATISFIABILITY_ERROR", "Product", "stock"),
    ]
    assert "products {\n    stock\n  }" in result.errors[1].message
    assert (
        'cannot move to subgraph "b" using @key(fields: "sku") of "Product", the key field(s) '
        'cannot be resolved from subgraph "a".'
    ) in result.errors[1].message


def test_every_error_of_a_set_is_reported_not_just_the_first() -> None:
    found = errors_of(
        a='type Query { x: Int }\ntype T @key(fields: "nope") { id: ID! }\n'
        'type U @key(fields: "alsoNope") { id: ID! }\nextend type Query { t: T u: U }',
    )
    assert [(code, t) for code, _, t, _ in found] == [
        ("KEY_INVALID_FIELDS", "T"),
        ("KEY_INVALID_FIELDS", "U"),
    ]


def test_progressive_override_metadata() -> None:
    result = compose(load_fixture(FIXTURES / "ok_override_progressive_label.graphql"))
    assert result.supergraph_sdl is not None
    routes = join_metadata(result.supergraph_sdl).fields["Task.title"]
    assert [(r[0], r[5], r[7]) for r in routes] == [
        ("a", "", "percent(25)"),
        ("b", "a", "percent(25)"),
    ]
    assert (
        'title: String @join__field(graph: A, overrideLabel: "percent(25)") '
        '@join__field(graph: B, override: "a", overrideLabel: "percent(25)")'
    ) in result.supergraph_sdl


def test_unsupported_federation_features_fail_loudly() -> None:
    sdl = (
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.11", '
        'import: ["@key", "@fromContext"])\n'
        'type Query { secret(a: String @fromContext(field: "$c { a }")): String public: String }'
    )
    result = compose([SubgraphSource("a", "http://a/graphql", sdl)])
    assert [(e.code, e.subgraph, e.type, e.field) for e in result.errors] == [
        ("UNSUPPORTED_FEATURE", "a", "Query", "a")
    ]
