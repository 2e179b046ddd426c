"""Fetch groups: what one subgraph request at one merge path will select, and its inputs."""

from __future__ import annotations

from dataclasses import dataclass, field

from router.planner.operation import Condition, Field, Fragment, Selection
from router.planner.plan import InputField, InputFragment
from router.planner.selection import FieldItem, SelectionSet, args_text


@dataclass
class InputsBuilder:
    """`... on Type { __typename key requires }`, accumulated for one type condition."""

    type_condition: str
    typename_as: str | None = None
    fields: dict[str, InputsField] = field(default_factory=dict)

    def add(
        self, selections: tuple[Selection, ...], key: bool, cursor: SelectionSet | None = None
    ) -> None:
        """Add key or @requires fields; `cursor` is where the parent fetch selects them (the
        representation reads each from its response key there, an alias if it got one)."""
        _add_fields(self.fields, selections, key, cursor)

    def compatible(self, selections: tuple[Selection, ...]) -> bool:
        """Whether these inputs can share one representation with those already here: one
        field name cannot carry two argument sets (`fee(region: "EU")` and `"US"`)."""
        return _compatible(self.fields, selections)

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
    arguments: str = ""  # printed arguments: one representation field has one argument set
    item: FieldItem | None = None  # the parent fetch's field it is read from

    @property
    def source(self) -> str | None:
        """The response key to read when it is not the field's name (read when frozen, so
        an alias given after the inputs were built counts)."""
        if self.item is None or self.item.response_key == self.item.name:
            return None
        return self.item.response_key

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
    target: dict[str, InputsField],
    selections: tuple[Selection, ...],
    key: bool,
    cursor: SelectionSet | None,
    type_condition: str | None = None,
) -> None:
    for sel in selections:
        if isinstance(sel, Fragment):
            _add_fields(target, sel.selections, key, cursor, sel.type_condition)
            continue
        _add_field(target, sel, key, cursor, type_condition)


def _add_field(
    target: dict[str, InputsField],
    sel: Field,
    key: bool,
    cursor: SelectionSet | None,
    type_condition: str | None,
) -> None:
    existing = target.get(sel.name)
    if existing is None:
        existing = target[sel.name] = InputsField(key, arguments=args_text(sel.arguments))
    existing.key = existing.key or key
    if existing.item is None and cursor is not None:
        existing.item = cursor.find(sel.name, sel.arguments, type_condition)
    if sel.selections is None:
        return
    if existing.children is None:
        existing.children = {}
    inner = existing.item.children if existing.item is not None else None
    for child in sel.selections:
        if isinstance(child, Fragment):
            bucket = existing.children.setdefault(child.type_condition, {})
            _add_fields(bucket, child.selections, key, inner, child.type_condition)
        else:
            bucket = existing.children.setdefault(None, {})
            _add_field(bucket, child, key, inner, None)


def _compatible(target: dict[str, InputsField], selections: tuple[Selection, ...]) -> bool:
    for sel in selections:
        if isinstance(sel, Fragment):
            if not _compatible(target, sel.selections):
                return False
            continue
        existing = target.get(sel.name)
        if existing is None:
            continue
        if existing.arguments != args_text(sel.arguments):
            return False
        if sel.selections and existing.children:
            for bucket in existing.children.values():
                if not _compatible(bucket, sel.selections):
                    return False
    return True


def inputs_compatible(a: dict[str, InputsBuilder], b: dict[str, InputsBuilder]) -> bool:
    """Whether two groups' inputs can merge (no field with two argument sets)."""
    return all(
        _fields_compatible(builder.fields, b[tc].fields) for tc, builder in a.items() if tc in b
    )


def _fields_compatible(a: dict[str, InputsField], b: dict[str, InputsField]) -> bool:
    for name, mine in a.items():
        other = b.get(name)
        if other is None:
            continue
        if mine.arguments != other.arguments:
            return False
        if mine.children and other.children:
            for tc, bucket in mine.children.items():
                if tc in other.children and not _fields_compatible(bucket, other.children[tc]):
                    return False
    return True


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
