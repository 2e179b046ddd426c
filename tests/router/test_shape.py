"""Response shaping: the generated per-selection functions against `_Walker` (the reference
walk, also used to report value-completion problems) on generated data: aliases, fragments on
interfaces and unions, @skip/@include, __typename, enums, nested lists, null propagation."""

from __future__ import annotations

from typing import Any

from graphql import build_schema, parse
from hypothesis import given, settings
from hypothesis import strategies as st

from router.executor.shape import Shaper, _Bubble, _Walker, compile_shape
from router.planner.operation import normalize

SCHEMA = build_schema(
    """
    type Query {
      node: Node
      nodes: [Node!]
      things: [[Thing]!]
      req: Item!
      items: [Item!]!
      color: Color
      colors: [Color!]
    }
    interface Node { id: ID! }
    type Item implements Node {
      id: ID!
      name: String
      tags: [String!]
      color: Color!
      next: Item
      kids: [Item]
    }
    type Other implements Node { id: ID! size: Int! }
    union Thing = Item | Other
    enum Color { RED GREEN }
    """
)

QUERY = """
query Q($a: Boolean!, $b: Boolean!) {
  __typename
  node { __typename id ... on Item { name tags } ... on Other { size } }
  nodes { id ...ItemBits kind: __typename }
  things { ... on Item { id color next { id name @skip(if: $a) } } ... on Other { size } }
  req { id name color }
  items { ...ItemBits kids { id nick: name kids { id } } }
  color
  colors @include(if: $b)
  again: color @include(if: $a)
  again: color @skip(if: $b)
}
fragment ItemBits on Item { name @include(if: $a) color tags next { id } }
"""

KEYS = [
    "__typename", "node", "nodes", "things", "req", "items", "color", "colors", "again",
    "id", "name", "tags", "size", "next", "kids", "nick", "kind",
]  # fmt: skip
TYPENAMES = st.sampled_from(["Item", "Other", "Hidden", "Query", None])
LEAVES = st.one_of(
    st.none(),
    st.sampled_from(["RED", "GREEN", "BLUE", "x", ""]),
    st.integers(0, 3),
)


def _objects(
    children: st.SearchStrategy[Any], typenames: st.SearchStrategy[str | None] = TYPENAMES
) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with random fields; the non-null ones (id, color, size) are mostly there and
    valid, so that most nulls land deep inside the data rather than nulling all of it."""
    return st.builds(
        lambda typename, values, required: {
            **({} if typename is None else {"__typename": typename}),
            **values,
            **required,
        },
        typenames,
        st.dictionaries(st.sampled_from(KEYS[1:]), children, max_size=5),
        st.fixed_dictionaries(
            {
                "id": st.sampled_from(["1", "2", "3", "4", "5", None]),
                "color": st.sampled_from(["RED", "GREEN", "RED", "GREEN", "BLUE"]),
            },
            optional={"size": st.sampled_from([1, 2, None])},
        ),
    )


VALUES = st.recursive(
    LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(_objects(inner), min_size=1, max_size=3)
        | _objects(inner)
    ),
    max_leaves=30,
)
ITEMS = _objects(VALUES, st.sampled_from(["Item", "Item", None]))
ROOTS = st.builds(
    lambda root, req, items: {**root, "req": req, "items": items},
    _objects(VALUES),
    ITEMS,
    st.lists(ITEMS, max_size=2),
)


def walk(shaper: Shaper, data: dict[str, Any], variables: dict[str, Any]) -> tuple[Any, bool]:
    walker = _Walker(shaper.schema, variables, track=False)
    try:
        out: Any = walker.object(data, shaper.root, shaper.root_type)
    except _Bubble:
        out = None
    return out, walker.bubbled


SHAPER = compile_shape(SCHEMA, normalize(SCHEMA, parse(QUERY), None))


@settings(max_examples=200, deadline=None)
@given(ROOTS, st.booleans(), st.booleans())
def test_generated_code_equals_the_walker(data: dict[str, Any], a: bool, b: bool) -> None:
    shaper = SHAPER  # generated functions accumulate across examples, as across requests
    variables = {"a": a, "b": b}
    expected, bubbled = walk(shaper, data, variables)
    shaped, problems = shaper.shape(data, variables)
    assert shaped == expected
    assert list(_keys(shaped)) == list(_keys(expected))  # same order at every level
    assert bool(problems) == bubbled


def _keys(value: Any) -> Any:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def test_null_propagation_and_problems() -> None:
    shaper = compile_shape(SCHEMA, normalize(SCHEMA, parse(QUERY), None))
    item = {"__typename": "Item", "id": "1", "color": "RED", "name": "n"}
    data = {
        "node": {"__typename": "Other", "id": None, "size": 1},  # nullable: just this field
        "nodes": [{"__typename": "Item", "id": "2", "color": "BLUE"}],  # bad enum, non-null
        "things": [[item, {"__typename": "Hidden"}], None],  # [Thing]! inside a list
        "req": item,
        "items": [dict(item, kids=[None, {"id": None}])],
        "color": "GREEN",
        "colors": ["RED", None],
        "again": "GREEN",  # merged data is keyed by response key
    }
    shaped, problems = shaper.shape(data, {"a": True, "b": True})
    assert shaped is not None
    assert shaped["node"] is None
    assert shaped["nodes"] is None
    assert shaped["things"] is None  # the null inner list is non-null: its parent goes
    assert shaped["req"] == {"id": "1", "name": "n", "color": "RED"}
    assert shaped["items"][0]["kids"] == [None, None]
    assert shaped["colors"] is None
    assert shaped["again"] == "GREEN"
    assert [p["path"] for p in problems] == [
        ["node", "id"],
        ["nodes", 0, "color"],
        ["things", 1],
        ["items", 0, "kids", 1, "id"],
        ["colors", 1],
    ]
    # a null for `req: Item!` nulls the whole data
    shaped, problems = shaper.shape(dict(data, req=None), {"a": True, "b": True})
    assert shaped is None
    assert {"message": "Cannot return null for non-nullable field Query.req.", "path": ["req"]} in (
        problems
    )
