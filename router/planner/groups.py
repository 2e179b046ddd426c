"""Fetch groups: what one subgraph request at one merge path will select, and its inputs."""

from __future__ import annotations

from dataclasses import dataclass, field

from router.planner.operation import Condition, Field, Fragment, Selection
from router.planner.plan import InputField, InputFragment
from router.planner.selection import SelectionSet


@dataclass
class InputsBuilder:
    """`... on Type { __typename key requires }`, accumulated for one type condition."""

    type_condition: str
    typename_as: str | None = None
    fields: dict[str, InputsField] = field(default_factory=dict)

    def add(
        self, selections: tuple[Selection, ...], key: bool, renamed: dict[str, str] | None = None
    ) -> None:
        _add_fields(self.fields, selections, key)
        for name, alias in (renamed or {}).items():
            if name in self.fields:
                self.fields[name].source = alias

    def freeze(self) -> InputFragment:
        names = ["__typename", *[n for n in self.fields if n != "__typename"]]
        fields = tuple(
            InputField("__typename", True) if n == "__typename" else self.fields[n].freeze(n)
            for n in names
        )
        return InputFragment(self.type_condition, fields, self.typename_as)

    def pretty(self, indent: int) -> list[str]:
        pad = "  " * indent
        lines = [f"{pad}... on {self.type_condition} {{", f"{pad}  __typename"]
        for name, f in self.fields.items():
            if name != "__typename":
                lines.extend(f.pretty(name, indent + 1))
        lines.append(pad + "}")
        return lines


@dataclass
class InputsField:
    key: bool
    children: dict[str | None, dict[str, InputsField]] | None = None  # type condition -> fields
    source: str | None = None

    def freeze(self, name: str) -> InputField:
        if self.children is None:
            return InputField(name, self.key, None, self.source)
        fragments = tuple(
            InputFragment(tc or "", tuple(f.freeze(n) for n, f in fields.items()))
            for tc, fields in self.children.items()
        )
        return InputField(name, self.key, fragments, self.source)

    def pretty(self, name: str, indent: int) -> list[str]:
        pad = "  " * indent
        if self.children is None:
            return [pad + name]
        lines = [pad + name + " {"]
        for tc, fields in self.children.items():
            inner = indent + 1
            if tc:
                lines.append(f"{pad}  ... on {tc} {{")
                inner += 1
            for n, f in fields.items():
                lines.extend(f.pretty(n, inner))
            if tc:
                lines.append(pad + "  }")
        lines.append(pad + "}")
        return lines


def _add_fields(
    target: dict[str, InputsField], selections: tuple[Selection, ...], key: bool
) -> None:
    for sel in selections:
        if isinstance(sel, Fragment):
            _add_fields(target, sel.selections, key)
            continue
        _add_field(target, sel, key, None)


def _add_field(target: dict[str, InputsField], sel: Field, key: bool, _: None) -> None:
    existing = target.get(sel.name)
    if existing is None:
        existing = target[sel.name] = InputsField(key)
    existing.key = existing.key or key
    if sel.selections is None:
        return
    if existing.children is None:
        existing.children = {}
    for child in sel.selections:
        if isinstance(child, Fragment):
            bucket = existing.children.setdefault(child.type_condition, {})
            _add_fields(bucket, child.selections, key)
        else:
            bucket = existing.children.setdefault(None, {})
            _add_field(bucket, child, key, None)


@dataclass(eq=False)
class Group:
    id: int
    subgraph: str
    path: tuple[str, ...]
    entity: bool
    block: int
    deps: frozenset[int] = frozenset()
    selection: SelectionSet = field(default_factory=SelectionSet)
    inputs: dict[str, InputsBuilder] = field(default_factory=dict)
    conditions: tuple[Condition, ...] | None = None  # common to everything it fetches

    def note_conditions(self, conditions: tuple[Condition, ...]) -> None:
        if self.conditions is None:
            self.conditions = conditions
        else:
            self.conditions = tuple(c for c in self.conditions if c in conditions)

    def inputs_for(self, type_condition: str, typename_as: str | None) -> InputsBuilder:
        builder = self.inputs.get(type_condition)
        if builder is None:
            builder = self.inputs[type_condition] = InputsBuilder(type_condition, typename_as)
        return builder
