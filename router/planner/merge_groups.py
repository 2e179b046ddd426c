"""Merge pass over fetch groups: one fetch per (subgraph, path) where dependencies allow.

Two entity groups for the same subgraph and path, where one's dependencies are a subset of the
other's, become one group that runs at the later point (Apollo and Hive do the same): the
earlier group's fields wait for the later one's inputs, and its dependents follow it.
"""

from __future__ import annotations

from router.planner.groups import Group, InputsBuilder, InputsField, inputs_compatible
from router.planner.selection import FieldItem, FragmentItem, SelectionSet, args_text

MAX_MERGE_ROUNDS = 50


def merge_same_path_groups(groups: list[Group]) -> list[Group]:
    for _ in range(MAX_MERGE_ROUNDS):
        pair = _find_pair(groups)
        if pair is None:
            break
        early, late = pair
        _absorb(late, early)
        groups = [g for g in groups if g is not early]
        for g in groups:
            if early.id in g.deps:
                g.deps = frozenset((g.deps - {early.id}) | ({late.id} if g is not late else set()))
    return groups


def _ancestors(group: Group, by_id: dict[int, Group]) -> set[int]:
    seen: set[int] = set()
    stack = list(group.deps)
    while stack:
        gid = stack.pop()
        if gid in seen or gid not in by_id:
            continue
        seen.add(gid)
        stack.extend(by_id[gid].deps)
    return seen


def _find_pair(groups: list[Group]) -> tuple[Group, Group] | None:
    by_id = {g.id: g for g in groups}
    for early in groups:
        if not early.entity:
            continue
        for late in groups:
            if (
                late is early
                or not late.entity
                or late.subgraph != early.subgraph
                or late.path != early.path
                or late.block != early.block
                or not early.deps <= late.deps
                or not inputs_compatible(early.inputs, late.inputs)
            ):
                continue
            ancestors = _ancestors(late, by_id)
            if early.id in ancestors:
                continue
            # No dependent of `early` may be something `late` waits for (that would be a cycle).
            if any(early.id in _ancestors(by_id[a], by_id) | by_id[a].deps for a in ancestors):
                continue
            return early, late
    return None


def _absorb(target: Group, source: Group) -> None:
    merge_selection(target.selection, source.selection)
    for tc, builder in source.inputs.items():
        mine = target.inputs_for(tc, builder.typename_as)
        _merge_inputs(mine, builder)
    if source.conditions is not None:
        target.note_conditions(source.conditions)


def merge_selection(target: SelectionSet, source: SelectionSet) -> None:
    for key, item in source.items.items():
        existing = target.items.get(key)
        if (
            isinstance(item, FieldItem)
            and isinstance(existing, FieldItem)
            and (item.name, args_text(item.arguments))
            != (existing.name, args_text(existing.arguments))
        ):
            # two internal aliases that took one name: the incoming one gets another
            item.response_key = target.fresh_alias(item.name)
            target.items[("f", item.response_key, item.conditions)] = item
            continue
        if existing is None:
            target.items[key] = item
            continue
        if isinstance(item, FieldItem) and isinstance(existing, FieldItem):
            if item.children is not None:
                if existing.children is None:
                    existing.children = SelectionSet()
                merge_selection(existing.children, item.children)
        elif isinstance(item, FragmentItem) and isinstance(existing, FragmentItem):
            merge_selection(existing.children, item.children)


def _merge_inputs(target: InputsBuilder, source: InputsBuilder) -> None:
    _merge_input_fields(target.fields, source.fields)


def _merge_input_fields(target: dict[str, InputsField], source: dict[str, InputsField]) -> None:
    for name, field in source.items():
        existing = target.get(name)
        if existing is None:
            target[name] = field
            continue
        existing.key = existing.key or field.key
        existing.item = existing.item or field.item
        if field.children is not None:
            if existing.children is None:
                existing.children = {}
            for tc, fields in field.children.items():
                _merge_input_fields(existing.children.setdefault(tc, {}), fields)
