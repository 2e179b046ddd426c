"""Walk merged data along plan paths, build entity representations, deep-merge results."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from router.planner.plan import InputField, InputFragment

Path = tuple[str | int, ...]


def objects_at(
    data: Any, path: tuple[str, ...], at: Path = ()
) -> list[tuple[dict[str, Any], Path]]:
    """Every object at `path` ("@" expands lists) with its response path; nulls are skipped."""
    out: list[tuple[dict[str, Any], Path]] = []
    _collect(data, path, 0, at, out)
    return out


def _collect(
    value: Any, path: tuple[str, ...], i: int, at: Path, out: list[tuple[dict[str, Any], Path]]
) -> None:
    if value is None:
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _collect(
                item, path, i + 1 if i < len(path) and path[i] == "@" else i, (*at, index), out
            )
        return
    if i == len(path):
        if isinstance(value, dict):
            out.append((value, at))
        return
    step = path[i]
    if step == "@":  # a list expected but an object found: nothing to do here
        return
    if isinstance(value, dict):
        _collect(value.get(step), path, i + 1, (*at, step), out)


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
