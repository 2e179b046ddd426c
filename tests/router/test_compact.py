"""The compact printer of subgraph operations keeps every value exactly (it prints from the AST,
never by editing printed text)."""

from __future__ import annotations

from graphql import parse, parse_value, print_ast
from graphql.language import OperationDefinitionNode
from hypothesis import given
from hypothesis import strategies as st

from router.planner.compact import compact_value, compact_variable_definition

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)  # no lone surrogates
KEYS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True)
SCALARS = st.one_of(
    TEXT.map(lambda s: ("string", s)),
    st.integers(-(2**40), 2**40).map(lambda i: ("int", i)),
    st.booleans().map(lambda b: ("bool", b)),
    st.sampled_from(["RED", "GREEN_1"]).map(lambda e: ("enum", e)),
    st.just(("null", None)),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda xs: ("list", xs)),
        st.dictionaries(KEYS, inner, max_size=4).map(lambda d: ("object", d)),
    ),
    max_leaves=12,
)


def _source(value: tuple[str, object]) -> str:
    """A pretty GraphQL literal (graphql-core's own printer output, spaces after , and :)."""
    kind, payload = value
    if kind == "list":
        return "[" + ", ".join(_source(v) for v in payload) + "]"  # type: ignore[attr-defined]
    if kind == "object":
        items = payload.items()  # type: ignore[attr-defined]
        return "{" + ", ".join(f"{k}: {_source(v)}" for k, v in items) + "}"
    if kind == "string":
        from graphql.language.print_string import print_string

        return print_string(payload)  # type: ignore[arg-type]
    if kind == "bool":
        return "true" if payload else "false"
    return "null" if kind == "null" else str(payload)


@given(VALUES)
def test_compact_value_round_trips(value: tuple[str, object]) -> None:
    node = parse_value(_source(value))
    compact = compact_value(node)
    assert print_ast(parse_value(compact)) == print_ast(node)


def test_block_string_keeps_its_value() -> None:
    node = parse_value('"""\n    a, b: "c"\n      \\""" d\n  """')
    compact = compact_value(node)
    assert compact == '"a, b: \\"c\\"\\n  \\"\\"\\" d"'
    assert parse_value(compact).value == node.value  # type: ignore[attr-defined]


def test_variable_definition_keeps_its_default() -> None:
    document = parse('query ($f: Filter = {q: "a, b: c", t: ["x, y"]} @d(r: ", :")) { f }')
    definition = document.definitions[0]
    assert isinstance(definition, OperationDefinitionNode)
    compact = compact_variable_definition(definition.variable_definitions[0])
    assert compact == '$f:Filter={q:"a, b: c",t:["x, y"]} @d(r:", :")'
