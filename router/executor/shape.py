"""Shape merged data into the client's response: requested response keys in query order,
type conditions by `__typename`, @skip/@include, root `__typename`, GraphQL null propagation.

Compiled once per operation (`compile_shape`); at request time it only walks dicts and lists.
Null in a non-null position nulls the nearest nullable ancestor; like Apollo Router, such
value-completion problems are reported in `extensions.valueCompletion`, not in `errors`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLOutputType,
    GraphQLSchema,
    is_abstract_type,
    is_leaf_type,
)

from router.planner.operation import Condition, Field, Fragment, Operation, Selection


class _Bubble(Exception):
    """A null reached a non-null position; caught by the nearest nullable ancestor."""


@dataclass
class ShapedField:
    response_key: str
    name: str
    parent: str
    occurrences: tuple[tuple[Condition, ...], ...]  # one condition list per occurrence
    type: GraphQLOutputType | None
    enum_values: frozenset[str] | None
    child: CompiledSelection | None

    def included(self, variables: Mapping[str, Any]) -> bool:
        for conditions in self.occurrences:
            if all(bool(variables.get(c.variable)) == c.include for c in conditions):
                return True
        return False


@dataclass
class CompiledSelection:
    schema: GraphQLSchema
    parent: str
    selections: tuple[Selection, ...]
    _by_type: dict[str, list[ShapedField]] = field(default_factory=dict)

    def fields_for(self, typename: str) -> list[ShapedField]:
        found = self._by_type.get(typename)
        if found is None:
            found = self._collect(typename)
            self._by_type[typename] = found
        return found

    def _collect(self, typename: str) -> list[ShapedField]:
        grouped: dict[str, list[tuple[tuple[Condition, ...], Field]]] = {}
        self._gather(self.selections, typename, (), grouped)
        out: list[ShapedField] = []
        runtime = self.schema.get_type(typename)
        for key, occurrences in grouped.items():
            first = occurrences[0][1]
            ftype: GraphQLOutputType | None = None
            if first.name in ("__typename", "__schema", "__type"):
                ftype = None
            else:
                definition = getattr(runtime, "fields", {}).get(first.name)
                if definition is None:
                    continue
                ftype = definition.type
            child = None
            if first.selections is not None and ftype is not None:
                merged: list[Selection] = [
                    Fragment(None, conds, occ.selections or ()) for conds, occ in occurrences
                ]
                child = CompiledSelection(self.schema, first.type_name, tuple(merged))
            enum_values = None
            named = _named(ftype) if ftype is not None else None
            if isinstance(named, GraphQLEnumType):
                enum_values = frozenset(named.values)
            out.append(
                ShapedField(
                    key,
                    first.name,
                    typename,
                    tuple(conds for conds, _ in occurrences),
                    ftype,
                    enum_values,
                    child,
                )
            )
        return out

    def _gather(
        self,
        selections: tuple[Selection, ...],
        typename: str,
        conds: tuple[Condition, ...],
        out: dict[str, list[tuple[tuple[Condition, ...], Field]]],
    ) -> None:
        for sel in selections:
            if isinstance(sel, Fragment):
                if sel.type_condition is not None and not self._applies(
                    sel.type_condition, typename
                ):
                    continue
                self._gather(sel.selections, typename, conds + sel.conditions, out)
            else:
                out.setdefault(sel.response_key, []).append((conds + sel.conditions, sel))

    def _applies(self, condition: str, typename: str) -> bool:
        if condition == typename:
            return True
        cond_type = self.schema.get_type(condition)
        runtime = self.schema.get_type(typename)
        if cond_type is None or runtime is None or not is_abstract_type(cond_type):
            return False
        return bool(self.schema.is_sub_type(cond_type, runtime))


def _named(t: Any) -> Any:
    while isinstance(t, GraphQLNonNull | GraphQLList):
        t = t.of_type
    return t


@dataclass
class Shaper:
    """Compiled response shaping for one operation."""

    schema: GraphQLSchema
    root: CompiledSelection
    root_type: str
    intro: Callable[[], dict[str, Any]] | None = None

    def shape(
        self, data: Mapping[str, Any] | None, variables: Mapping[str, Any]
    ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        problems: list[dict[str, Any]] = []
        walker = _Walker(self.schema, variables, problems)
        try:
            out = walker.object(data or {}, self.root, self.root_type, [])
        except _Bubble:
            return None, problems
        return out, problems


class _Walker:
    def __init__(
        self, schema: GraphQLSchema, variables: Mapping[str, Any], problems: list[dict[str, Any]]
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.problems = problems

    def object(
        self,
        obj: Mapping[str, Any],
        selection: CompiledSelection,
        static_type: str,
        path: list[str | int],
    ) -> dict[str, Any]:
        typename = obj.get("__typename")
        if not isinstance(typename, str) or self.schema.get_type(typename) is None:
            typename = static_type
        out: dict[str, Any] = {}
        for f in selection.fields_for(typename):
            if not f.included(self.variables):
                continue
            if f.name == "__typename":
                out[f.response_key] = typename
                continue
            if f.type is None:  # introspection, already answered from the API schema
                out[f.response_key] = obj.get(f.response_key)
                continue
            if f.response_key in out:
                continue
            path.append(f.response_key)
            try:
                out[f.response_key] = self.value(obj.get(f.response_key), f.type, f, path)
            except _Bubble:
                if isinstance(f.type, GraphQLNonNull):
                    raise
                out[f.response_key] = None
            finally:
                path.pop()
        return out

    def value(self, value: Any, t: Any, f: ShapedField, path: list[str | int]) -> Any:
        if isinstance(t, GraphQLNonNull):
            result = self.value(value, t.of_type, f, path)
            if result is None:
                self._problem(f, path)
                raise _Bubble
            return result
        if value is None:
            return None
        if isinstance(t, GraphQLList):
            if not isinstance(value, list):
                return None
            items: list[Any] = []
            item_type = t.of_type
            for index, item in enumerate(value):
                path.append(index)
                try:
                    items.append(self.value(item, item_type, f, path))
                except _Bubble:
                    if isinstance(item_type, GraphQLNonNull):
                        raise
                    items.append(None)
                finally:
                    path.pop()
            return items
        if f.child is None or is_leaf_type(t):
            if f.enum_values is not None and value not in f.enum_values:
                return None
            return value
        if not isinstance(value, dict):
            return None
        return self.object(value, f.child, t.name, path)

    def _problem(self, f: ShapedField, path: list[str | int]) -> None:
        last = path[-1] if path else f.response_key
        where = (
            f"field {f.parent}.{f.name}"
            if isinstance(last, str)
            else f"array element at index {last}"
        )
        self.problems.append(
            {"message": f"Cannot return null for non-nullable {where}.", "path": list(path)}
        )


def compile_shape(schema: GraphQLSchema, operation: Operation) -> Shaper:
    root = CompiledSelection(schema, operation.root_type, operation.selections)
    return Shaper(schema, root, operation.root_type)


_ = is_abstract_type
