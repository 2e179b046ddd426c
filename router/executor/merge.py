"""Walk merged data along plan paths, build entity representations, deep-merge results."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from router.planner.plan import InputField, InputFragment

Path = tuple[str | int, ...]


def objects_at(data: Any, path: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every object at `path` ("@" expands lists, nested lists flatten); nulls are skipped."""
    current: list[Any] = [data]
    for step in path:
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
    out: list[dict[str, Any]] = []
    for value in current:
        if isinstance(value, dict):
            out.append(value)
        elif isinstance(value, list):
            out.extend(v for v in _flatten(value) if isinstance(v, dict))
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


def dedup_key(rep: dict[str, Any]) -> bytes:
    return orjson.dumps(rep, option=orjson.OPT_SORT_KEYS)


def deep_merge(target: dict[str, Any], source: Mapping[str, Any], abstract: frozenset[str]) -> None:
    """Merge `source` into `target`: objects by key, lists element-wise; nulls never overwrite."""
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
