"""Walk merged data along plan paths, build entity representations, deep-merge results."""

from __future__ import annotations

import operator
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from router.planner.plan import InputField, InputFragment, OutputRewrite

Path = tuple[str | int, ...]


class PathCache:
    """Values found at path prefixes of the data; cleared whenever the data changes, except
    that fields merely added to objects only drop the paths through their keys (`forget`)."""

    __slots__ = ("objects", "values")

    def __init__(self) -> None:
        self.values: dict[tuple[str, ...], list[Any]] = {}  # prefix -> values at it
        self.objects: dict[tuple[str, ...], list[dict[str, Any]]] = {}  # objects_at results

    def clear(self) -> None:
        if self.objects:
            self.values.clear()
            self.objects.clear()

    def forget(self, keys: set[str]) -> None:
        """Drop what was found along paths through `keys`: new fields under those keys were
        added to objects (and nothing else changed), so only such paths can find more."""
        if not self.objects or not keys:
            return
        for found in (self.values, self.objects):
            for path in [path for path in found if not keys.isdisjoint(path)]:
                del found[path]


def objects_at(
    data: Any, path: tuple[str, ...], cache: PathCache | None = None
) -> list[dict[str, Any]]:
    """Every object at `path` ("@" expands lists, nested lists flatten); nulls are skipped.

    With `cache` (valid only while the data is not changed), the values found at each prefix
    of the path are kept and reused: fetches of one plan stage often share a path's prefix.
    """
    start = 0
    current: list[Any] = [data]
    if cache is not None:
        found = cache.objects.get(path)
        if found is not None:
            return found
        for start in range(len(path), 0, -1):
            prefix = cache.values.get(path[:start])
            if prefix is not None:
                current = prefix
                break
        else:
            start = 0
    for n in range(start, len(path)):
        step = path[n]
        following: list[Any] = []
        if step == "@":
            for value in current:
                if isinstance(value, list):
                    following.extend(value)
        else:
            for value in current:
                if isinstance(value, dict):
                    child = value.get(step)
                    if child is not None:
                        following.append(child)
                elif isinstance(value, list):  # a list level the path does not name
                    following.extend(_dig(value, step))
        current = following
        if cache is not None:
            cache.values[path[: n + 1]] = current
    out: list[dict[str, Any]] = []
    for value in current:
        if isinstance(value, dict):
            out.append(value)
        elif isinstance(value, list):
            out.extend(v for v in _flatten(value) if isinstance(v, dict))
    if cache is not None:
        cache.objects[path] = out
    return out


def _dig(values: list[Any], step: str) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if isinstance(value, dict):
            child = value.get(step)
            if child is not None:
                out.append(child)
        elif isinstance(value, list):
            out.extend(_dig(value, step))
    return out


def _flatten(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if isinstance(value, list):
            out.extend(_flatten(value))
        elif value is not None:
            out.append(value)
    return out


def paths_of(data: Any, path: tuple[str, ...]) -> dict[int, Path]:
    """id(object) -> response path, for the objects at `path` (only used to report errors)."""
    out: dict[int, Path] = {}

    def walk(value: Any, i: int, at: Path) -> None:
        if isinstance(value, list):
            step_i = i + 1 if i < len(path) and path[i] == "@" else i
            for index, item in enumerate(value):
                walk(item, step_i, (*at, index))
        elif isinstance(value, dict):
            if i == len(path):
                out[id(value)] = at
            elif path[i] != "@":
                walk(value.get(path[i]), i + 1, (*at, path[i]))

    walk(data, 0, ())
    return out


def _matches(typename: str | None, condition: str, possible: Mapping[str, frozenset[str]]) -> bool:
    if typename is None:
        return False
    return typename == condition or typename in possible.get(condition, ())


class _Missing(Exception):
    pass


def representation(
    obj: Mapping[str, Any],
    requires: tuple[InputFragment, ...],
    possible: Mapping[str, frozenset[str]],
) -> dict[str, Any] | None:
    """The representation of `obj` for an entity fetch, or None when it has none."""
    typename = obj.get("__typename")
    for fragment in requires:
        if not _matches(typename, fragment.type_condition, possible):
            continue
        try:
            rep = _select(obj, fragment.fields, possible)
        except _Missing:
            return None
        if fragment.typename_as is not None:
            rep["__typename"] = fragment.typename_as
        return rep
    return None


def _select(
    obj: Mapping[str, Any], fields: tuple[InputField, ...], possible: Mapping[str, frozenset[str]]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in fields:
        value = obj.get(field.source or field.name)
        if value is None:
            if field.key:
                raise _Missing  # never send a representation with a null key field
            if field.name in obj:
                out[field.name] = None
            continue
        if field.children is not None:
            value = _select_value(value, field.children, possible)
        out[field.name] = value
    return out


def _select_value(
    value: Any, fragments: tuple[InputFragment, ...], possible: Mapping[str, frozenset[str]]
) -> Any:
    if isinstance(value, list):
        return [_select_value(v, fragments, possible) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    typename = value.get("__typename")
    for fragment in fragments:
        if fragment.type_condition and not _matches(typename, fragment.type_condition, possible):
            continue
        out.update(_select(value, fragment.fields, possible))
    return out


def dedup_key(rep: dict[str, Any]) -> Hashable:
    """Equal for equal representations, comparing as JSON values in JavaScript do (the
    reference gateway's model): numbers by value (1 and 1.0 are one), true and 1 differ.
    The sorted JSON text when a value is a list or an object."""
    names = tuple(sorted(rep))
    values = tuple([rep[name] for name in names])
    key = _key(names, values)
    try:
        hash(key)
    except TypeError:
        return orjson.dumps(rep, option=orjson.OPT_SORT_KEYS)
    return key


def _key(names: tuple[str, ...], values: tuple[Any, ...]) -> Hashable:
    if True in values or False in values:  # also 1 and 0: mark which are booleans
        return (names, values, tuple([type(v) is bool for v in values]))
    return (names, values)


@dataclass(frozen=True)
class _FlatFragment:
    """A requires fragment of scalar fields only, read with one itemgetter."""

    fragment: InputFragment
    names: tuple[str, ...]  # the representation's field names, sorted (as in dedup_key)
    read: Callable[[Mapping[str, Any]], tuple[Any, ...]]  # their values, in that order
    order: tuple[tuple[str, int], ...]  # (name, index in the values) in the fragment's order


_NO_FRAGMENT: Any = object()


class Representations:
    """A fetch's `requires`, compiled: deduplicated representations of objects and, per
    representation, the objects it stands for. Equal to `representation` + `dedup_key`, and
    faster for the usual case (a fragment of scalar fields, no renamed `__typename`): the key
    values are read into a tuple, deduplicated on it, and a dict is built once per distinct
    representation. Objects with a null or missing value, a list or object value, or a
    composite field in the fragment take the general path."""

    def __init__(
        self, requires: tuple[InputFragment, ...], possible: Mapping[str, frozenset[str]]
    ) -> None:
        self.requires = requires
        self.possible = possible
        by_type: dict[str, InputFragment] = {}
        for fragment in requires:
            for name in (fragment.type_condition, *possible.get(fragment.type_condition, ())):
                by_type.setdefault(name, fragment)
        self.flat: dict[str, _FlatFragment | None] = {
            name: _flat(fragment) for name, fragment in by_type.items()
        }

    def collect(
        self, objects: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
        reps: list[dict[str, Any]] = []
        targets: list[list[dict[str, Any]]] = []
        index: dict[Hashable, int] = {}
        flat_for = self.flat
        for obj in objects:
            typename = obj.get("__typename")
            if type(typename) is not str:
                continue
            flat = flat_for.get(typename, _NO_FRAGMENT)
            if flat is _NO_FRAGMENT:
                continue  # no fragment applies: no representation
            if flat is not None:
                try:
                    values = flat.read(obj)
                    if None not in values:
                        # as _key(flat.names, values), inlined: this loop is the hot path
                        if True in values or False in values:
                            marks = tuple([type(v) is bool for v in values])
                            key: Hashable = (flat.names, values, marks)
                        else:
                            key = (flat.names, values)
                        i = index.get(key)
                        if i is not None:
                            targets[i].append(obj)
                        else:
                            index[key] = len(reps)
                            reps.append({name: values[n] for name, n in flat.order})
                            targets.append([obj])
                        continue
                except (KeyError, TypeError):  # a missing field; a list or object value
                    pass
            rep = representation(obj, self.requires, self.possible)
            if rep is None:
                continue
            key = dedup_key(rep)
            i = index.get(key)
            if i is None:
                index[key] = len(reps)
                reps.append(rep)
                targets.append([obj])
            else:
                targets[i].append(obj)
        return reps, targets


def _flat(fragment: InputFragment) -> _FlatFragment | None:
    fields = fragment.fields
    if (
        fragment.typename_as is not None
        or not fields
        or fields[0].name != "__typename"
        or fields[0].source is not None
        or any(f.children is not None for f in fields)
        or len({f.name for f in fields}) != len(fields)
    ):
        return None
    names = tuple(sorted(f.name for f in fields))
    source = {f.name: f.source or f.name for f in fields}
    read: Callable[[Mapping[str, Any]], tuple[Any, ...]] = operator.itemgetter(
        *[source[name] for name in names]
    )
    if len(names) == 1:  # an itemgetter of one item returns the value, not a 1-tuple
        only = names[0]

        def read(obj: Mapping[str, Any]) -> tuple[Any, ...]:
            return (obj[only],)

    order = tuple((f.name, names.index(f.name)) for f in fields)
    return _FlatFragment(fragment, names, read, order)


def deep_merge(target: dict[str, Any], source: Mapping[str, Any], abstract: frozenset[str]) -> None:
    """Merge `source` into `target`: objects by key, lists element-wise; nulls never overwrite."""
    if target.keys().isdisjoint(source):  # the usual entity: only new fields
        target.update(source)
        return
    for key, value in source.items():
        if key not in target:
            target[key] = value
            continue
        current = target[key]
        if key == "__typename":
            if current is None or current in abstract:
                target[key] = value
            continue
        if value is None:
            continue
        if isinstance(current, dict) and isinstance(value, dict):
            deep_merge(current, value, abstract)
        elif isinstance(current, list) and isinstance(value, list):
            for i, item in enumerate(value):
                if i >= len(current):
                    current.append(item)
                elif isinstance(current[i], dict) and isinstance(item, dict):
                    deep_merge(current[i], item, abstract)
                elif item is not None:
                    current[i] = item
        else:
            target[key] = value


def apply_rewrites(
    value: Any, rewrites: tuple[OutputRewrite, ...], abstract: frozenset[str]
) -> None:
    """Rename the planner's aliases back (`OutputRewrite`) in fetched data, before the merge.
    Only fetches with aliased conflicting fields carry rewrites (rare)."""
    for rewrite in rewrites:
        for obj in objects_at(value, rewrite.path):
            if rewrite.alias not in obj:
                continue
            moved = obj.pop(rewrite.alias)
            current = obj.get(rewrite.name)
            if isinstance(current, dict) and isinstance(moved, dict):
                deep_merge(current, moved, abstract)
            elif current is None:
                obj[rewrite.name] = moved
