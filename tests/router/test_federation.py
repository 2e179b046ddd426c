"""The federation spec package: one field-set parser, one API schema for the router and for
`mosaic check`, one reader of the join directives."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import GraphQLSyntaxError, print_ast, print_schema

from router.compose import SubgraphSource, compose
from router.compose.checks import compare_supergraphs
from router.compose.join_metadata import join_metadata
from router.federation import api_schema, parse_field_set
from router.supergraph import SupergraphError, load_supergraph
from tests.router.canned import case_supergraph

SCHEMAS = Path(__file__).parent / "schemas"
SUPERGRAPHS = sorted(SCHEMAS.glob("*/supergraph.graphql"))


@pytest.mark.parametrize("text", ["id } name", "id } { name", "id }", "a { b } } c"])
def test_field_set_parser_rejects_trailing_tokens(text: str) -> None:
    with pytest.raises(GraphQLSyntaxError):
        parse_field_set(text)


def test_field_set_parser_reads_nested_sets_and_fragments() -> None:
    parsed = parse_field_set("id org { id ... on Team { name } }")
    assert " ".join(print_ast(parsed).split()) == "{ id org { id ... on Team { name } } }"


def test_router_refuses_a_key_with_trailing_tokens() -> None:
    text = (SCHEMAS / "keys" / "supergraph.graphql").read_text()
    assert 'key: "id"' in text
    with pytest.raises(SupergraphError, match="invalid field set"):
        load_supergraph(text.replace('key: "id"', 'key: "id } extra"', 1))


def test_composition_refuses_a_key_with_trailing_tokens() -> None:
    sdl = (
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])\n'
        'type Query { a: A }\ntype A @key(fields: "id } name") { id: ID! name: String }\n'
    )
    result = compose([SubgraphSource("one", "http://one", sdl)])
    assert result.supergraph_sdl is None
    assert [e.code for e in result.errors] == ["KEY_INVALID_FIELDS"]


@pytest.mark.parametrize("path", SUPERGRAPHS, ids=[p.parent.name for p in SUPERGRAPHS])
def test_check_compares_the_api_schema_the_router_serves(path: Path) -> None:
    text = path.read_text()
    served = load_supergraph(text).api_schema
    assert print_schema(api_schema(text)) == print_schema(served)
    assert compare_supergraphs(text, text) == []


def test_an_inaccessible_field_is_a_breaking_change_for_check_and_gone_for_the_router() -> None:
    before = (SCHEMAS / "enums" / "supergraph.graphql").read_text()
    after = before.replace("ssn: String @inaccessible", "ssn: String", 1)
    assert after != before
    assert "ssn" not in load_supergraph(before).api_schema.type_map["Person"].fields  # type: ignore[attr-defined]
    assert "ssn" in load_supergraph(after).api_schema.type_map["Person"].fields  # type: ignore[attr-defined]
    hiding = compare_supergraphs(after, before)
    assert [(c.kind, c.type) for c in hiding] == [("breaking", "FIELD_REMOVED")]
    assert "ssn" in hiding[0].description


def test_join_metadata_and_router_model_read_the_same_joins() -> None:
    text = case_supergraph(Path(__file__).parent / "cases" / "override-label-on").read_text()
    meta = join_metadata(text)
    model = load_supergraph(text)
    assert set(meta.graphs) == set(model.graphs)
    for type_name, t in model.types.items():
        for field_name, f in t.fields.items():
            owners = meta.owners(f"{type_name}.{field_name}")
            if owners:
                assert owners == {g for g, s in f.sources.items() if not s.external}
