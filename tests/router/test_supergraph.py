"""Loading supergraphs: @link name resolution, join versions, feature checks, the API schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import print_schema

from router.supergraph import SupergraphError, load_supergraph
from tests.router.canned import case_supergraph

CASES = Path(__file__).parent / "cases"


def sdl(case: str) -> str:
    return case_supergraph(CASES / case).read_text()


@pytest.mark.parametrize(
    ("case", "join"),
    [("shop-basic", "v0.3"), ("override-basic", "v0.4"), ("join-v05-cost", "v0.5")],
)
def test_loads_each_join_version(case: str, join: str) -> None:
    text = sdl(case)
    assert f"https://specs.apollo.dev/join/{join}" in text
    supergraph = load_supergraph(text)
    assert supergraph.graphs and all(g.url.startswith("http://subgraphs/") for g in
                                     supergraph.graphs.values())  # fmt: skip


def test_model_of_the_shop() -> None:
    sg = load_supergraph(sdl("shop-basic"))
    assert set(sg.graphs) == {"accounts", "inventory", "products", "reviews"}
    product = sg.types["Product"]
    assert {k.graph for k in product.keys} == {"inventory", "products", "reviews"}
    estimate = product.fields["shippingEstimate"].sources["inventory"]
    assert estimate.requires_text == "price weight"
    assert product.fields["price"].sources["inventory"].external
    assert not product.fields["price"].sources["products"].external
    author = sg.types["Review"].fields["author"].sources["reviews"]
    assert author.provides_text == "username"
    assert sg.types["User"].fields["username"].shareable is False
    assert sg.root_types == {"query": "Query"}


def test_override_labels_and_union_members() -> None:
    sg = load_supergraph(sdl("override-label-on"))
    carrier = sg.types["Parcel"].fields["carrier"].sources
    assert carrier["new"].overrides == "old" and carrier["new"].override_label == "percent(0)"
    assert carrier["new"].resolvable(frozenset({"percent(0)"}))
    assert not carrier["new"].resolvable(frozenset())
    assert carrier["old"].resolvable(frozenset()) and not carrier["old"].resolvable(
        frozenset({"percent(0)"})
    )
    abstract = load_supergraph(sdl("abstract-union-fragments"))
    assert abstract.possible_in("Featured", "extras") == {"Book", "Song"}
    assert abstract.possible_in("SearchResult", "catalog") == {"Book", "Movie", "Author"}
    assert abstract.possible_in("Item", "extras") == {"Book", "Movie"}


def test_interface_objects() -> None:
    sg = load_supergraph(sdl("ifaceobj-into"))
    media = sg.types["Media"]
    assert media.kind == "interface" and media.interface_object_graphs == {"reviews"}
    assert sg.possible_in("Media", "reviews") == {"Media"}
    assert sg.possible_in("Media", "media") == {"Book", "Film"}
    assert sg.types["Book"].fields["stars"].sources == {}  # inherited via @interfaceObject


def test_api_schema_hides_machinery_and_inaccessible() -> None:
    sg = load_supergraph(sdl("enums-inaccessible-value"))
    printed = print_schema(sg.api_schema)
    for hidden in ("join__", "link__", "@link", "@tag", "@inaccessible", "ssn", "SECRET"):
        assert hidden not in printed
    assert "scalar DateTime" in printed and "RED" in printed
    # ...while the planner still sees everything.
    assert "ssn" in sg.types["Person"].fields


def test_prefix_renamed_with_as() -> None:
    text = (
        sdl("shop-basic")
        .replace("join__", "j__")
        .replace(
            '@link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)',
            '@link(url: "https://specs.apollo.dev/join/v0.3", as: "j", for: EXECUTION)',
        )
    )
    sg = load_supergraph(text)
    assert sg.types["Product"].fields["shippingEstimate"].sources["inventory"].requires_text
    assert "j__" not in print_schema(sg.api_schema)


@pytest.mark.parametrize(
    "link",
    [
        '@link(url: "https://specs.apollo.dev/context/v0.1", for: SECURITY)',
        '@link(url: "https://example.com/mystery/v1.0", for: EXECUTION)',
        '@link(url: "https://specs.apollo.dev/join/v0.9", for: EXECUTION)',
    ],
)
def test_rejects_unsupported_features(link: str) -> None:
    text = sdl("shop-basic").replace(
        '@link(url: "https://specs.apollo.dev/link/v1.0")',
        f'@link(url: "https://specs.apollo.dev/link/v1.0")\n  {link}',
    )
    with pytest.raises(SupergraphError, match="unsupported feature"):
        load_supergraph(text)


def test_accepts_features_without_purpose() -> None:
    text = sdl("shop-basic").replace(
        '@link(url: "https://specs.apollo.dev/link/v1.0")',
        '@link(url: "https://specs.apollo.dev/link/v1.0")\n'
        '  @link(url: "https://specs.apollo.dev/tag/v0.3")',
    )
    assert load_supergraph(text).graphs


@pytest.mark.parametrize(
    "text",
    ["type Query { a: Int }", "schema { query: Query } type Query { a: Int }", "{{{", ""],
)
def test_rejects_what_is_not_a_supergraph(text: str) -> None:
    with pytest.raises(SupergraphError):
        load_supergraph(text)
