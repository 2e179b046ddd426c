"""The compiled representation builder (`Representations`) against the general path
(`representation` + `dedup_key` per object), and `objects_at` with its per-stage cache."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from router.executor.merge import (
    PathCache,
    Representations,
    apply_rewrites,
    dedup_key,
    objects_at,
    representation,
)
from router.planner.plan import InputField, InputFragment, OutputRewrite

POSSIBLE: Mapping[str, frozenset[str]] = {
    "Node": frozenset({"Book", "Movie"}),
    "Media": frozenset({"Book", "Movie"}),
}

Result = tuple[list[dict[str, Any]], list[list[int]]]


def general(
    objects: list[dict[str, Any]], requires: tuple[InputFragment, ...]
) -> tuple[list[dict[str, Any]], list[list[int]]]:
    """The reference: one `representation` per object, deduplicated by `dedup_key`."""
    reps: list[dict[str, Any]] = []
    targets: list[list[int]] = []
    index: dict[Hashable, int] = {}
    for obj in objects:
        rep = representation(obj, requires, POSSIBLE)
        if rep is None:
            continue
        key = dedup_key(rep)
        if key in index:
            targets[index[key]].append(id(obj))
        else:
            index[key] = len(reps)
            reps.append(rep)
            targets.append([id(obj)])
    return reps, targets


def compiled(objects: list[dict[str, Any]], requires: tuple[InputFragment, ...]) -> Result:
    reps, targets = Representations(requires, POSSIBLE).collect(objects)
    return reps, [[id(obj) for obj in objs] for objs in targets]


def assert_same(objects: list[dict[str, Any]], requires: tuple[InputFragment, ...]) -> Result:
    expected = general(objects, requires)
    got = compiled(objects, requires)
    assert got == expected
    # the same key order too: the representations are sent as JSON
    assert [list(rep) for rep in got[0]] == [list(rep) for rep in expected[0]]
    return got


def keys(type_condition: str, *names: str, typename_as: str | None = None) -> InputFragment:
    fields = (InputField("__typename", True), *(InputField(n, True) for n in names))
    return InputFragment(type_condition, fields, typename_as)


def test_composite_key_is_deduplicated_on_all_its_fields() -> None:
    requires = (keys("Product", "upc", "sku"),)
    objects = [
        {"__typename": "Product", "upc": "1", "sku": "a", "name": "x"},
        {"__typename": "Product", "upc": "1", "sku": "b"},
        {"__typename": "Product", "sku": "a", "upc": "1"},
    ]
    reps, targets = assert_same(objects, requires)
    assert reps == [
        {"__typename": "Product", "upc": "1", "sku": "a"},
        {"__typename": "Product", "upc": "1", "sku": "b"},
    ]
    assert targets == [[id(objects[0]), id(objects[2])], [id(objects[1])]]


def test_requires_fields_follow_the_keys_and_nulls_there_are_kept() -> None:
    requires = (
        InputFragment(
            "Product",
            (
                InputField("__typename", True),
                InputField("upc", True),
                InputField("price", False),
                InputField("weight", False),
            ),
        ),
    )
    objects = [
        {"__typename": "Product", "upc": "1", "price": 10, "weight": 2},
        {"__typename": "Product", "upc": "2", "price": None, "weight": 3},  # null: kept
        {"__typename": "Product", "upc": "3", "weight": 3},  # missing: left out
        {"__typename": "Product", "price": 1, "weight": 1},  # no key: no representation
        {"__typename": "Product", "upc": None, "price": 1, "weight": 1},  # null key: none
        {"__typename": "Product", "upc": "1", "price": 10, "weight": 2},
    ]
    reps, targets = assert_same(objects, requires)
    assert reps == [
        {"__typename": "Product", "upc": "1", "price": 10, "weight": 2},
        {"__typename": "Product", "upc": "2", "price": None, "weight": 3},
        {"__typename": "Product", "upc": "3", "weight": 3},
    ]
    assert [len(t) for t in targets] == [2, 1, 1]


def test_nested_key_takes_the_general_path_and_agrees() -> None:
    location = InputFragment("", (InputField("lat", True), InputField("lng", True)))
    requires = (
        InputFragment(
            "Store",
            (InputField("__typename", True), InputField("location", True, (location,))),
        ),
    )
    objects = [
        {"__typename": "Store", "location": {"lat": 1, "lng": 2, "name": "x"}},
        {"__typename": "Store", "location": {"lng": 2, "lat": 1}},
        {"__typename": "Store", "location": {"lat": 1}},  # a nested key field missing
        {"__typename": "Store", "location": None},
    ]
    reps, targets = assert_same(objects, requires)
    assert reps == [{"__typename": "Store", "location": {"lat": 1, "lng": 2}}]
    assert len(targets[0]) == 2


def test_keys_with_lists_and_objects_as_values() -> None:
    requires = (keys("Shelf", "ids", "meta"),)
    objects = [
        {"__typename": "Shelf", "ids": ["1", "2"], "meta": {"a": 1, "b": [1]}},
        {"__typename": "Shelf", "ids": ["1", "2"], "meta": {"b": [1], "a": 1}},
        {"__typename": "Shelf", "ids": ["2", "1"], "meta": {"a": 1, "b": [1]}},
        {"__typename": "Shelf", "ids": "1", "meta": 2},
        {"__typename": "Shelf", "ids": "1", "meta": 2},
    ]
    _, targets = assert_same(objects, requires)
    assert [len(t) for t in targets] == [2, 1, 2]


def test_interfaces_and_renamed_typenames() -> None:
    requires = (
        keys("Book", "isbn"),
        keys("Node", "id"),  # Movie, and Book objects without an isbn do not fall back here
        keys("Media", "id", typename_as="Media"),  # never reached: Node comes first
    )
    objects = [
        {"__typename": "Book", "isbn": "9", "id": "1"},
        {"__typename": "Movie", "id": "1"},
        {"__typename": "Book", "id": "1"},
        {"__typename": "Song", "id": "1"},  # no fragment applies
        {"id": "1"},  # no __typename
        {"__typename": "Movie", "id": "1"},
    ]
    reps, targets = assert_same(objects, requires)
    assert reps == [{"__typename": "Book", "isbn": "9"}, {"__typename": "Movie", "id": "1"}]
    assert [len(t) for t in targets] == [1, 2]

    renamed = (keys("Media", "id", typename_as="Media"),)
    reps, targets = assert_same(objects, renamed)
    # Book and Movie objects with one id become one representation of the interface object
    assert reps == [{"__typename": "Media", "id": "1"}]
    assert len(targets[0]) == 4


def test_numbers_compare_by_value_booleans_do_not_equal_numbers() -> None:
    requires = (keys("T", "n"),)
    objects = [
        {"__typename": "T", "n": 1},
        {"__typename": "T", "n": 1.0},
        {"__typename": "T", "n": True},
        {"__typename": "T", "n": 0},
        {"__typename": "T", "n": False},
        {"__typename": "T", "n": -0.0},
        {"__typename": "T", "n": "1"},
    ]
    reps, targets = assert_same(objects, requires)
    assert [rep["n"] for rep in reps] == [1, True, 0, False, "1"]
    assert [len(t) for t in targets] == [2, 1, 2, 1, 1]


def test_null_entities_in_lists_are_skipped() -> None:
    data = {
        "a": [
            {"p": {"__typename": "P", "id": "1"}},
            None,
            {"p": None},
            {"p": [{"__typename": "P", "id": "2"}, None, [{"__typename": "P", "id": "1"}]]},
            {"q": 1},
        ]
    }
    objects = objects_at(data, ("a", "@", "p"))
    reps, targets = assert_same(objects, (keys("P", "id"),))
    assert reps == [{"__typename": "P", "id": "1"}, {"__typename": "P", "id": "2"}]
    assert [len(t) for t in targets] == [2, 1]


def test_objects_at_cache_reuses_prefixes_and_gives_the_same_objects() -> None:
    data = {
        "users": [
            {"id": "1", "reviews": [{"product": {"upc": "1", "reviews": [{"author": {}}]}}]},
            None,
            {"id": "2", "reviews": [{"product": None}, {"product": {"upc": "2"}}]},
        ]
    }
    paths = [
        ("users", "@", "reviews", "@", "product"),
        ("users", "@", "reviews", "@", "product", "reviews", "@", "author"),
        ("users", "@"),
        ("users", "@", "reviews", "@", "product"),
        ("missing", "@"),
    ]
    cache = PathCache()
    for path in paths:
        fresh = objects_at(data, path)
        cached = objects_at(data, path, cache)
        assert [id(o) for o in cached] == [id(o) for o in fresh]
    assert [o["upc"] for o in objects_at(data, paths[0], cache)] == ["1", "2"]
    assert ("users", "@") in cache.values
    cache.clear()
    assert not cache.values and not cache.objects


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 2),
    st.sampled_from([0.0, -0.0, 1.0, 1.5]),
    st.sampled_from(["1", "2", "a"]),
    st.lists(st.sampled_from(["1", "2"]), max_size=2),
)
FIELDS = ["id", "upc", "n"]


@st.composite
def objects(draw: st.DrawFn) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    if draw(st.integers(0, 5)):
        obj["__typename"] = draw(st.sampled_from(["Book", "Movie", "Song", None]))
    for name in FIELDS:
        if draw(st.integers(0, 4)):
            obj[name] = draw(SCALARS)
    return obj


@st.composite
def requires_sets(draw: st.DrawFn) -> tuple[InputFragment, ...]:
    out: list[InputFragment] = []
    for _ in range(draw(st.integers(1, 3))):
        condition = draw(st.sampled_from(["Book", "Movie", "Node", "Media"]))
        names = draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3, unique=True))
        fields = [InputField("__typename", True)]
        fields += [InputField(n, draw(st.booleans())) for n in names]
        renamed = draw(st.sampled_from([None, None, "Media"]))
        out.append(InputFragment(condition, tuple(fields), renamed))
    return tuple(out)


@settings(max_examples=300, deadline=None)
@given(st.lists(objects(), max_size=12), requires_sets())
def test_compiled_equals_general_path_on_generated_objects(
    objs: list[dict[str, Any]], requires: tuple[InputFragment, ...]
) -> None:
    # duplicates: the same dicts again and equal copies
    objs = objs + objs[: len(objs) // 2] + [dict(o) for o in objs[: len(objs) // 3]]
    assert_same(objs, requires)


def test_path_cache_forgets_only_paths_through_added_keys() -> None:
    data: dict[str, Any] = {
        "users": [{"id": "1", "reviews": [{"product": {"upc": "1"}}]}, {"id": "2"}],
    }
    cache = PathCache()
    through_reviews = ("users", "@", "reviews", "@", "product")
    objects_at(data, through_reviews, cache)
    users = objects_at(data, ("users", "@"), cache)
    # what an entity fetch at users.@ does when its entities only add fields
    users[1].update({"reviews": [{"product": {"upc": "2"}}], "name": "b"})
    cache.forget({"reviews", "name"})
    assert ("users", "@") in cache.objects  # unchanged: kept
    assert through_reviews not in cache.objects and through_reviews[:3] not in cache.values
    for path in (through_reviews, ("users", "@")):
        assert [id(o) for o in objects_at(data, path, cache)] == [
            id(o) for o in objects_at(data, path)
        ]
    assert [o["upc"] for o in objects_at(data, through_reviews, cache)] == ["1", "2"]


def test_output_rewrites_rename_aliases_back_through_lists_and_nesting() -> None:
    """`code__alias_0` (a Guest's code, aliased apart from a Member's `code: String!`) becomes
    `code` again; outer renames run first, so inner paths name the data's own keys."""
    data: dict[str, Any] = {
        "people": [
            {"__typename": "Member", "code": "M-1"},
            {"__typename": "Guest", "code__alias_0": None},
            None,
            {"__typename": "Guest", "code__alias_0": "G-2", "box__alias_1": {"n__alias_2": 1}},
        ]
    }
    apply_rewrites(
        data,
        (
            OutputRewrite(("people",), "code__alias_0", "code"),
            OutputRewrite(("people",), "box__alias_1", "box"),
            OutputRewrite(("people", "box"), "n__alias_2", "n"),
        ),
        frozenset(),
    )
    assert data == {
        "people": [
            {"__typename": "Member", "code": "M-1"},
            {"__typename": "Guest", "code": None},
            None,
            {"__typename": "Guest", "code": "G-2", "box": {"n": 1}},
        ]
    }


def test_output_rewrite_merges_into_a_field_already_there() -> None:
    data: dict[str, Any] = {"a": {"x": 1}, "a__alias_0": {"y": 2}, "b": None, "b__alias_1": 3}
    rewrites = (OutputRewrite((), "a__alias_0", "a"), OutputRewrite((), "b__alias_1", "b"))
    apply_rewrites(data, rewrites, frozenset())
    assert data == {"a": {"x": 1, "y": 2}, "b": 3}
