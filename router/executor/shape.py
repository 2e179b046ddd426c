"""Shape merged data into the client's response: requested response keys in query order,
type conditions by `__typename`, @skip/@include, root `__typename`, GraphQL null propagation.

Compiled once per operation (`compile_shape`): for each selection and runtime type, the first
request generates a Python function that builds the response object field by field (leaves are
one line each, no per-field dispatch), so at request time only these functions run. Null in a
non-null position nulls the nearest nullable ancestor; like Apollo Router, such
value-completion problems are reported in `extensions.valueCompletion`, not in `errors`: when
one happens, `_Walker` walks the data again to find the paths (the rare, slow path).
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


TYPENAME, LEAF, ENUM, COMPOSITE, PASSTHROUGH = range(5)


@dataclass
class ShapedField:
    response_key: str
    name: str
    parent: str
    occurrences: tuple[tuple[Condition, ...], ...]  # one condition list per occurrence
    type: GraphQLOutputType | None
    enum_values: frozenset[str] | None
    child: CompiledSelection | None
    # compiled: what to do at request time
    kind: int = LEAF
    conditional: bool = False
    wrappers: tuple[bool, ...] = ()  # outside in: True = non-null, False = list
    named: str = ""
    nonnull: bool = False
    simple: bool = False  # a nullable leaf: copy the value as is

    def __post_init__(self) -> None:
        self.conditional = not any(not conds for conds in self.occurrences)
        if self.name == "__typename":
            self.kind = TYPENAME
            return
        if self.type is None:
            self.kind = PASSTHROUGH
            return
        wrappers: list[bool] = []
        t: Any = self.type
        while isinstance(t, GraphQLNonNull | GraphQLList):
            wrappers.append(isinstance(t, GraphQLNonNull))
            t = t.of_type
        self.wrappers = tuple(wrappers)
        self.named = t.name
        self.nonnull = bool(wrappers) and wrappers[0]
        if self.child is not None and not is_leaf_type(t):
            self.kind = COMPOSITE
        elif self.enum_values is not None:
            self.kind = ENUM
        else:
            self.kind = LEAF
            self.simple = not wrappers

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
    _code: dict[str, ShapeObject] = field(default_factory=dict)  # typename -> generated

    def code_for(self, typename: str) -> ShapeObject:
        """The generated function that shapes an object of `typename` for this selection."""
        found = self._code.get(typename)
        if found is None:
            found = self._code[typename] = _generate(self, typename)
        return found

    def shape(
        self, obj: Mapping[str, Any], static_type: str, variables: Mapping[str, Any], flag: Flag
    ) -> dict[str, Any]:
        """Like `_Walker.object` (without path tracking), by the generated functions."""
        typename = obj.get("__typename")
        if typename.__class__ is not str or typename not in self.schema.type_map:
            typename = static_type
        return self.code_for(typename)(obj, variables, flag)

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

    def shape(
        self, data: Mapping[str, Any] | None, variables: Mapping[str, Any]
    ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        flag: Flag = [False]  # set when a null reaches a non-null position
        try:
            out: dict[str, Any] | None = self.root.shape(
                data or {}, self.root_type, variables, flag
            )
        except _Bubble:
            out = None
        if not flag[0]:
            return out, []
        # Rare: a null reached a non-null position. Walk again, tracking paths for the report.
        tracker = _Walker(self.schema, variables, track=True)
        try:
            tracker.object(data or {}, self.root, self.root_type)
        except _Bubble:
            pass
        return out, tracker.problems


class _Walker:
    def __init__(self, schema: GraphQLSchema, variables: Mapping[str, Any], track: bool) -> None:
        self.types = schema.type_map
        self.variables = variables
        self.track = track
        self.bubbled = False
        self.problems: list[dict[str, Any]] = []
        self.path: list[str | int] = []

    def object(
        self, obj: Mapping[str, Any], selection: CompiledSelection, static_type: str
    ) -> dict[str, Any]:
        typename = obj.get("__typename")
        if typename.__class__ is not str or typename not in self.types:
            typename = static_type
        out: dict[str, Any] = {}
        variables = self.variables
        track = self.track
        for f in selection.fields_for(typename):
            if f.conditional and not f.included(variables):
                continue
            key = f.response_key
            if f.simple:
                out[key] = obj.get(key)
                continue
            kind = f.kind
            if kind == TYPENAME:
                out[key] = typename
                continue
            if kind == PASSTHROUGH:  # introspection, already answered from the API schema
                out[key] = obj.get(key)
                continue
            if track:
                self.path.append(key)
            try:
                out[key] = self.value(obj.get(key), f, 0)
            except _Bubble:
                if f.nonnull:
                    raise
                out[key] = None
            finally:
                if track:
                    self.path.pop()
        return out

    def value(self, value: Any, f: ShapedField, i: int) -> Any:
        wrappers = f.wrappers
        if i < len(wrappers):
            if wrappers[i]:  # non-null
                result = self.value(value, f, i + 1)
                if result is None:
                    self.bubbled = True
                    if self.track:
                        self._problem(f)
                    raise _Bubble
                return result
            if value is None:
                return None
            if not isinstance(value, list):
                return None
            item_nonnull = i + 1 < len(wrappers) and wrappers[i + 1]
            items: list[Any] = []
            track = self.track
            for index, item in enumerate(value):
                if track:
                    self.path.append(index)
                try:
                    items.append(self.value(item, f, i + 1))
                except _Bubble:
                    if item_nonnull:
                        raise
                    items.append(None)
                finally:
                    if track:
                        self.path.pop()
            return items
        if value is None:
            return None
        kind = f.kind
        if kind == COMPOSITE:
            if not isinstance(value, dict):
                return None
            typename = value.get("__typename")
            if typename is not None and (
                typename.__class__ is not str or typename not in self.types
            ):
                return None  # a type the API schema does not have (@inaccessible)
            assert f.child is not None
            return self.object(value, f.child, f.named)
        if kind == ENUM and (value.__class__ is not str or value not in f.enum_values):  # type: ignore[operator]
            return None
        return value

    def _problem(self, f: ShapedField) -> None:
        last = self.path[-1] if self.path else f.response_key
        where = (
            f"field {f.parent}.{f.name}"
            if isinstance(last, str)
            else f"array element at index {last}"
        )
        self.problems.append(
            {"message": f"Cannot return null for non-nullable {where}.", "path": list(self.path)}
        )


Flag = list[bool]
ShapeObject = Callable[[Mapping[str, Any], Mapping[str, Any], Flag], dict[str, Any]]


def _generate(selection: CompiledSelection, typename: str) -> ShapeObject:
    """Python source for shaping one object of `typename`, compiled with `exec`.

    The generated code does what `_Walker.object`/`_Walker.value` do for each field, with the
    field's kind and wrappers decided here instead of at request time; `tests/router/
    test_shape.py` checks it against the walker. Response keys are GraphQL names; they are
    still embedded with `repr`, and everything else is passed in the function's namespace.
    """
    code = _Code(selection.schema.type_map)
    body = ["out = {}"]
    for f in selection.fields_for(typename):
        key = repr(f.response_key)
        if f.kind == TYPENAME:
            lines = [f"out[{key}] = {typename!r}"]
        elif f.simple or f.kind == PASSTHROUGH:
            lines = [f"out[{key}] = obj.get({key})"]
        else:
            x = code.var()
            value, result, raises = code.value(f, 0, x)
            lines = [f"{x} = obj.get({key})", *value]
            if raises and not f.nonnull:  # the nearest nullable position: null it
                lines = ["try:", *_indent(lines), f"    out[{key}] = {result}"]
                lines += ["except _Bubble:", f"    out[{key}] = None"]
            else:
                lines.append(f"out[{key}] = {result}")
        if f.conditional:
            lines = [f"if {code.const(f)}.included(variables):", *_indent(lines)]
        body.extend(lines)
    body.append("return out")
    source = "def shape(obj, variables, flag):\n" + "\n".join(_indent(body)) + "\n"
    namespace: dict[str, Any] = {"_Bubble": _Bubble, "types": code.types, **code.consts}
    exec(compile(source, f"<shape {selection.parent} as {typename}>", "exec"), namespace)
    shape: ShapeObject = namespace["shape"]
    return shape


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


class _Code:
    """Variables and constants of one generated function."""

    def __init__(self, types: Mapping[str, Any]) -> None:
        self.types = types
        self.consts: dict[str, Any] = {}
        self.count = 0

    def var(self) -> str:
        self.count += 1
        return f"v{self.count}"

    def const(self, value: Any) -> str:
        name = f"c{len(self.consts)}"
        self.consts[name] = value
        return name

    def value(self, f: ShapedField, i: int, x: str) -> tuple[list[str], str, bool]:
        """Lines completing the value in variable `x` at wrapper level `i` (`_Walker.value`):
        (lines, the variable with the result, whether they can raise _Bubble)."""
        wrappers = f.wrappers
        if i < len(wrappers):
            if wrappers[i]:  # non-null
                lines, result, _ = self.value(f, i + 1, x)
                lines += [f"if {result} is None:", "    flag[0] = True", "    raise _Bubble"]
                return lines, result, True
            out, item = self.var(), self.var()
            inner, result, raises = self.value(f, i + 1, item)
            item_nonnull = i + 1 < len(wrappers) and wrappers[i + 1]
            append = [*inner, f"{out}.append({result})"]
            if raises and not item_nonnull:
                append = ["try:", *_indent(append), "except _Bubble:"]
                append.append(f"    {out}.append(None)")
            lines = [f"if isinstance({x}, list):", f"    {out} = []", f"    for {item} in {x}:"]
            lines += ["        " + line for line in append]
            lines += ["else:", f"    {out} = None"]
            return lines, out, raises and item_nonnull
        if f.kind == COMPOSITE:
            assert f.child is not None
            out, t = self.var(), self.var()
            child, code = self.const(f.child), self.const(f.child._code)
            shape = f"({code}.get({t}) or {child}.code_for({t}))"
            lines = [
                f"if isinstance({x}, dict):",
                f"    {t} = {x}.get('__typename')",
                f"    if {t} is None:",
                f"        {t} = {f.named!r}",
                # else a type the API schema does not have (@inaccessible): null
                f"    if {t}.__class__ is str and {t} in types:",
                f"        {out} = {shape}({x}, variables, flag)",
                "    else:",
                f"        {out} = None",
                "else:",
                f"    {out} = None",
            ]
            return lines, out, True
        if f.kind == ENUM:
            values = self.const(f.enum_values)
            line = f"{x} = {x} if {x}.__class__ is str and {x} in {values} else None"
            return [line], x, False
        return [], x, False


def compile_shape(schema: GraphQLSchema, operation: Operation) -> Shaper:
    root = CompiledSelection(schema, operation.root_type, operation.selections)
    return Shaper(schema, root, operation.root_type)
