"""Mutable selection sets the planner builds per fetch, printed compactly (subgraph operations)
or prettily (plan snapshots)."""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import ArgumentNode, DirectiveNode, print_ast

from router.planner.compact import compact_arguments, compact_directive
from router.planner.operation import Condition


@dataclass
class FieldItem:
    response_key: str
    name: str
    arguments: tuple[ArgumentNode, ...]
    conditions: tuple[Condition, ...]
    directives: tuple[DirectiveNode, ...]
    children: SelectionSet | None
    internal: bool = False  # added by the planner (a key or @requires input), not the client
    printed_as: str | None = None  # an alias in the subgraph operation only (output rewrite)

    @property
    def wire_key(self) -> str:
        """The response key in the subgraph operation."""
        return self.printed_as or self.response_key

    def head(self, compact: bool) -> str:
        key = self.wire_key
        text = self.name if key == self.name else f"{key}: {self.name}"
        if compact and key != self.name:
            text = f"{key}:{self.name}"
        if compact:
            text += compact_arguments(self.arguments)
        elif self.arguments:
            text += "(" + ", ".join(print_ast(a) for a in self.arguments) + ")"
        text += _directives(self.conditions, self.directives, compact)
        return text


@dataclass
class FragmentItem:
    type_condition: str | None
    conditions: tuple[Condition, ...]
    children: SelectionSet

    def head(self, compact: bool) -> str:
        text = "..." if compact else "... "
        if self.type_condition:
            text += f"on {self.type_condition}"
        directives = _directives(self.conditions, (), compact)
        return text + (directives if self.type_condition else directives.lstrip())


def _directives(
    conditions: tuple[Condition, ...], others: tuple[DirectiveNode, ...], compact: bool
) -> str:
    if compact:
        parts = [f"@{'include' if c.include else 'skip'}(if:${c.variable})" for c in conditions]
        parts += [compact_directive(d) for d in others]
    else:
        parts = [c.render() for c in conditions] + [print_ast(d) for d in others]
    if not parts:
        return ""
    return " " + " ".join(parts)


Item = FieldItem | FragmentItem


def args_text(arguments: tuple[ArgumentNode, ...]) -> str:
    return " ".join(print_ast(a) for a in arguments)


class Items(dict[tuple[object, ...], Item]):
    """A selection set's items, with its fields indexed by response key and by name: adding a
    field looks up the fields it could conflict with instead of scanning them all (a selection
    of n fields took O(n²) to plan). Field keys are ("f", response key, conditions); the index
    uses the key's response key, so it stays right when an item is re-keyed by del + set."""

    def __init__(self) -> None:
        super().__init__()
        self.by_key: dict[object, list[FieldItem]] = {}
        self.by_name: dict[object, list[FieldItem]] = {}

    def __setitem__(self, key: tuple[object, ...], item: Item) -> None:
        if key in self:
            self._forget(key, self[key])
        super().__setitem__(key, item)
        if isinstance(item, FieldItem):
            self.by_key.setdefault(key[1], []).append(item)
            self.by_name.setdefault(item.name, []).append(item)

    def __delitem__(self, key: tuple[object, ...]) -> None:
        self._forget(key, self[key])
        super().__delitem__(key)

    def _forget(self, key: tuple[object, ...], item: Item) -> None:
        if isinstance(item, FieldItem):
            for index, name in ((self.by_key, key[1]), (self.by_name, item.name)):
                found = index.get(name, [])
                found[:] = [i for i in found if i is not item]

    def fields_keyed(self, response_key: str) -> list[FieldItem]:
        return [i for i in self.by_key.get(response_key, ()) if i.response_key == response_key]

    def fields_named(self, name: str) -> list[FieldItem]:
        return self.by_name.get(name, [])


@dataclass
class SelectionSet:
    items: Items = field(default_factory=Items)
    aliases: int = 0  # internal aliases handed out here

    def _conflict(
        self, response_key: str, name: str, arguments: tuple[ArgumentNode, ...]
    ) -> FieldItem | None:
        for item in self.items.fields_keyed(response_key):
            if item.name != name or args_text(item.arguments) != args_text(arguments):
                return item
        return None

    def fresh_alias(self, name: str) -> str:
        taken = {i.response_key for i in self.items.values() if isinstance(i, FieldItem)}
        while True:
            alias = f"{name}__alias_{self.aliases}"
            self.aliases += 1
            if alias not in taken:
                return alias

    def _move(self, item: FieldItem) -> None:
        """Give a planner-added field an internal alias: a client field needs its key."""
        for key, found in list(self.items.items()):
            if found is item:
                del self.items[key]
                item.response_key = self.fresh_alias(item.name)
                self.items[("f", item.response_key, item.conditions)] = item

    def find(
        self, name: str, arguments: tuple[ArgumentNode, ...], type_condition: str | None = None
    ) -> FieldItem | None:
        """The field selecting `name(arguments)` (in `... on type_condition` when given),
        a client's field under its own key first."""
        scope: SelectionSet | None = self
        if type_condition is not None:
            frag = self.items.get(("t", type_condition, ()))
            scope = frag.children if isinstance(frag, FragmentItem) else None
        if scope is None:
            return None
        wanted = args_text(arguments)
        found = [i for i in scope.items.fields_named(name) if args_text(i.arguments) == wanted]
        found.sort(key=lambda i: (i.response_key != name, i.internal))
        return found[0] if found else None

    def field(
        self,
        response_key: str,
        name: str,
        arguments: tuple[ArgumentNode, ...] = (),
        conditions: tuple[Condition, ...] = (),
        directives: tuple[DirectiveNode, ...] = (),
        composite: bool = False,
        internal: bool = False,
    ) -> FieldItem:
        conflict = self._conflict(response_key, name, arguments)
        if conflict is not None:
            # FieldsInSetCanMerge: the planner's field takes an internal alias (Apollo's
            # __alias_N); the client's keeps its response key, whichever came first.
            if internal or not conflict.internal:
                response_key = next(
                    (
                        i.response_key
                        for i in self.items.fields_named(name)
                        if i.internal
                        and args_text(i.arguments) == args_text(arguments)
                        and i.conditions == conditions
                    ),
                    None,
                ) or self.fresh_alias(name)  # fmt: skip
            else:
                self._move(conflict)
        key = ("f", response_key, conditions)
        item = self.items.get(key)
        if isinstance(item, FieldItem):
            if composite and item.children is None:
                item.children = SelectionSet()
            item.internal = item.internal and internal
            return item
        new = FieldItem(
            response_key, name, arguments, conditions, directives,
            SelectionSet() if composite else None, internal,
        )  # fmt: skip
        self.items[key] = new
        return new

    def fragment(
        self, type_condition: str | None, conditions: tuple[Condition, ...] = ()
    ) -> SelectionSet:
        key = ("t", type_condition, conditions)
        item = self.items.get(key)
        if not isinstance(item, FragmentItem):
            item = FragmentItem(type_condition, conditions, SelectionSet())
            self.items[key] = item
        return item.children

    def typename(self) -> None:
        self.field("__typename", "__typename")

    def __bool__(self) -> bool:
        return bool(self.items)

    def sorted_typename_first(self) -> list[Item]:
        """Items with `__typename` first (Apollo's order for planner-added typenames)."""
        items = list(self.items.values())
        tn = [i for i in items if isinstance(i, FieldItem) and i.name == "__typename"
              and i.response_key == "__typename" and not i.conditions]  # fmt: skip
        return tn + [i for i in items if i not in tn]

    def print_compact(self) -> str:
        parts: list[str] = []
        for item in self.sorted_typename_first():
            children = item.children
            text = item.head(True)
            if children is not None:
                if not children:
                    continue  # a selection with nothing under it is dropped
                text += children.print_compact()
            parts.append(text)
        return "{" + " ".join(parts) + "}"

    def print_pretty(self, indent: int) -> list[str]:
        pad = "  " * indent
        lines = [pad + "{"]
        lines.extend(self.print_items(indent + 1))
        lines.append(pad + "}")
        return lines

    def print_items(self, indent: int) -> list[str]:
        pad = "  " * indent
        lines: list[str] = []
        for item in self.sorted_typename_first():
            children = item.children
            if children is None:
                lines.append(pad + item.head(False))
            elif children:
                lines.append(pad + item.head(False) + " {")
                lines.extend(children.print_items(indent + 1))
                lines.append(pad + "}")
        return lines

    def variables(self, out: set[str]) -> None:
        for item in self.items.values():
            for cond in item.conditions:
                out.add(cond.variable)
            if isinstance(item, FieldItem):
                for arg in item.arguments:
                    _collect_variables(arg, out)
                for d in item.directives:
                    _collect_variables(d, out)
            if item.children is not None:
                item.children.variables(out)


def _collect_variables(node: object, out: set[str]) -> None:
    from graphql import VariableNode, visit
    from graphql.language import Visitor

    class _Vars(Visitor):
        def enter_variable(self, v: VariableNode, *_: object) -> None:
            out.add(v.name.value)

    visit(node, _Vars())  # type: ignore[arg-type]
