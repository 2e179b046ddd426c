"""Route each field of a normalized operation to a subgraph and collect fetch groups.

Design (FEDERATION-NOTES §7): walk the operation top-down with a current group (one subgraph,
one merge path). A field the group's subgraph resolves (or that a @provides covers) joins it;
any other field jumps through a @key into a dependent group, reused per (subgraph, path,
dependencies). Key fields and @requires fields are planned as *conditions* at the current
position, so key-conversion hops and third-subgraph requires fall out of the same walk.
Search effort is capped (jump depth, subtree checks).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from router.planner.coverage import Coverage, PlanningError, Provided
from router.planner.groups import Group
from router.planner.operation import (
    Condition,
    Field,
    Fragment,
    Operation,
    Selection,
)
from router.planner.selection import SelectionSet
from router.planner.split import only, partition
from router.supergraph.model import Key, Supergraph

MAX_JUMP_DEPTH = 12


@dataclass(frozen=True, slots=True)
class Site:
    """Where the walk plans selections: the current group and its cursor, the parent type, the
    merge path, what a @provides covers here, the conditions so far, and whether the group's
    own conditions still follow this field's (`top`)."""

    group: Group
    cursor: SelectionSet
    type_name: str
    path: tuple[str, ...]
    provided: Provided | None
    conds: tuple[Condition, ...]
    top: bool
    internal: bool = False  # planning key or @requires inputs, not the client's fields


class Router(Coverage):
    """The walk: plans the operation's selections into fetch groups."""

    def __init__(self, supergraph: Supergraph, operation: Operation, labels: frozenset[str]):
        super().__init__(supergraph, labels)
        self.op = operation
        self.groups: list[Group] = []
        self.block = 0
        self._jumps: list[tuple[str, str, str]] = []
        self._root_tried: frozenset[str] = frozenset()  # root subgraphs given part of a field

    # -- groups -----------------------------------------------------------------------------
    def new_group(
        self, subgraph: str, path: tuple[str, ...], entity: bool, deps: frozenset[int]
    ) -> Group:
        group = Group(len(self.groups), subgraph, path, entity, self.block, deps)
        self.groups.append(group)
        return group

    def entity_group(
        self,
        subgraph: str,
        path: tuple[str, ...],
        deps: frozenset[int],
        type_name: str | None = None,
        inputs: tuple[Selection, ...] = (),
    ) -> Group:
        """The group for entities at `path` in `subgraph`: a new one when the existing one's
        representation cannot carry these `inputs` too (one field, two argument sets)."""
        for group in self.groups:
            if (
                group.entity
                and group.block == self.block
                and group.subgraph == subgraph
                and group.path == path
                and group.deps == deps
                and (type_name not in group.inputs or group.inputs[type_name].compatible(inputs))
            ):
                return group
        return self.new_group(subgraph, path, True, deps)

    # -- the walk ---------------------------------------------------------------------------
    def plan_selections(self, at: Site, selections: tuple[Selection, ...]) -> set[int]:
        touched: set[int] = set()
        for sel in selections:
            if isinstance(sel, Fragment):
                touched |= self.plan_fragment(at, sel)
            else:
                touched |= self.plan_field(at, sel)
        return touched

    def plan_fragment(self, at: Site, frag: Fragment) -> set[int]:
        graph, type_name, cursor, provided = at.group.subgraph, at.type_name, at.cursor, at.provided
        target = frag.type_condition or type_name
        inner_conds = at.conds + frag.conditions
        if target == type_name or (
            not self.sg.is_abstract(type_name) and type_name in self.sg.possible.get(target, ())
        ):
            inner = cursor.fragment(None, frag.conditions) if frag.conditions else cursor
            return self.plan_selections(
                replace(at, cursor=inner, conds=inner_conds), frag.selections
            )
        if self.is_interface_object(type_name, graph):
            # Only a subgraph with the real interface knows the concrete type.
            return self.downcast(at, (frag,))
        if not self.sg.is_abstract(type_name):
            return set()  # an object of another type never matches
        here = self.sg.possible_in(type_name, graph)
        matching = sorted(here & self.sg.possible.get(target, frozenset()))
        if not matching:
            return set()
        if self.sg.is_abstract(target) and not self.abstract_in(target, graph):
            matching = sorted(matching)
        elif (
            self.sg.is_abstract(target)
            and graph in self.sg.types[target].graphs
            # a type that implements `target` only in other subgraphs needs its own fragment
            and set(matching) <= self.sg.possible_in(target, graph)
        ):
            ok = all(
                self.local_ok(graph, obj, frag.selections, provided)[0]
                and self._all_local_fields(obj, frag.selections, graph, provided)
                for obj in matching
            )
            if ok:
                inner = cursor.fragment(target, frag.conditions)
                return self.plan_selections(
                    replace(at, cursor=inner, type_name=target, conds=inner_conds),
                    frag.selections,
                )
        touched: set[int] = set()
        for obj in matching:
            inner = cursor.fragment(obj, frag.conditions)
            touched |= self.plan_selections(
                replace(at, cursor=inner, type_name=obj, conds=inner_conds), frag.selections
            )
        return touched

    def plan_field(self, at: Site, field: Field, requires_ok: bool = False) -> set[int]:
        """Plan one field; `requires_ok` when its @requires inputs are in the representation."""
        group, type_name, provided = at.group, at.type_name, at.provided
        graph = group.subgraph
        if field.name == "__typename":
            if self.is_interface_object(type_name, graph):
                return self.downcast(at, (field,))
            if at.top:
                group.note_conditions(at.conds + field.conditions)
            at.cursor.field("__typename", "__typename", (), field.conditions)
            return {group.id}
        if self.abstract_in(type_name, graph):
            return self.plan_abstract_field(at, field)
        if self.resolvable(type_name, field.name, graph, provided) and (
            requires_ok or not self.has_requires(type_name, field.name, graph)
        ):
            child_provided = self.child_provided(type_name, field, graph, provided)
            returns = self.returns_in(type_name, field.name, graph, field.type_name)
            ok = self.local_ok(graph, returns, field.selections, child_provided)[0]
            if ok or not self._better_elsewhere(type_name, field, graph):
                if not ok and field.selections and self._shared_elsewhere(at, field):
                    return self.split(at, field, returns, child_provided)
                return self.add_local(at, field, child_provided)
        return self.jump(at, field)

    def _shared_elsewhere(self, at: Site, field: Field) -> bool:
        """Whether another subgraph (not yet given part of this root field) resolves it."""
        model = self.sg.types[at.type_name].fields.get(field.name)
        tried = {at.group.subgraph}
        if self._at_root(at):
            tried |= self._root_tried
        return model is not None and any(
            other not in tried and self.resolvable(at.type_name, field.name, other, None)
            for other in model.sources
        )

    def _at_root(self, at: Site) -> bool:
        return not at.group.entity and not at.path and at.type_name == self.op.root_type

    def split(
        self, at: Site, field: Field, returns: str, child_provided: Provided | None
    ) -> set[int]:
        """No subgraph serves the whole selection: this one takes its part, another subgraph
        with the (shareable) field the rest: through the parent's key, or at the root directly."""
        assert field.selections is not None
        graph = at.group.subgraph
        here, rest = partition(self, graph, returns, field.selections, child_provided)
        if not rest:
            return self.add_local(at, field, child_provided)
        touched: set[int] = set()
        if here:
            touched |= self.add_local(at, only(field, here), child_provided)
        remaining = only(field, rest)
        if not self._at_root(at):
            return touched | self.jump(at, remaining)
        if self.op.kind == "mutation":
            raise PlanningError(
                f'Cannot plan mutation field "{field.name}": no one subgraph resolves all of '
                "its selection, and a mutation must run once."
            )
        return touched | self.plan_root_field(remaining, None, self._root_tried | {graph})

    def add_local(self, at: Site, field: Field, child_provided: Provided | None) -> set[int]:
        """Add the field to the current group; `child_provided` is what @provides covers below."""
        group, type_name, path = at.group, at.type_name, at.path
        if at.top:
            group.note_conditions(at.conds + field.conditions)
        item = at.cursor.field(
            field.response_key,
            field.name,
            field.arguments,
            field.conditions,
            field.directives,
            composite=field.selections is not None,
            internal=at.internal,
        )
        touched = {group.id}
        if field.selections is not None and item.children is not None:
            depth = self.list_depth(type_name, field.name)
            child_path = (*path, field.response_key, *("@",) * depth)
            if self.abstract_in(field.type_name, group.subgraph):
                item.children.typename()
            inner = Site(
                group,
                item.children,
                self.returns_in(type_name, field.name, group.subgraph, field.type_name),
                child_path,
                child_provided,
                at.conds + field.conditions,
                False,
                at.internal,
            )
            touched |= self.plan_selections(inner, field.selections)
        return touched

    def plan_abstract_field(self, at: Site, field: Field) -> set[int]:
        graph, type_name, provided = at.group.subgraph, at.type_name, at.provided
        objects = sorted(self.sg.possible_in(type_name, graph))
        if self.resolvable(type_name, field.name, graph, provided) and all(
            self.resolvable(obj, field.name, graph, provided)
            and not self.has_requires(obj, field.name, graph)
            for obj in objects
        ):
            child_provided = self.child_provided(type_name, field, graph, provided)
            returns = self.returns_in(type_name, field.name, graph, field.type_name)
            ok = self.local_ok(graph, returns, field.selections, child_provided)[0]
            if ok:
                return self.add_local(at, field, child_provided)
        if self._interface_object_graph(type_name, field.name) is not None and self.resolving_keys(
            type_name, graph
        ):
            return self.jump(at, field)
        touched: set[int] = set()
        for obj in objects:
            touched |= self.plan_field(
                replace(at, cursor=at.cursor.fragment(obj), type_name=obj), field
            )
        return touched

    # -- jumps ------------------------------------------------------------------------------
    def _candidates(self, type_name: str, field: Field, graph: str) -> list[tuple[str, str]]:
        """(target subgraph, type to jump as) pairs that resolve the field."""
        out: list[tuple[str, str]] = []
        model = self.sg.types.get(type_name)
        fm = model.fields.get(field.name) if model is not None else None
        if fm is not None:
            for other in sorted(fm.sources):
                # A @requires field is fetched with its inputs, even from the same subgraph.
                same_ok = other == graph and self.has_requires(type_name, field.name, graph)
                if (other != graph or same_ok) and self.resolvable(
                    type_name, field.name, other, None
                ):
                    out.append((other, type_name))
        if not out and model is not None and model.kind == "object":
            for iface in sorted(self._interfaces_of(type_name)):
                target = self._interface_object_graph(iface, field.name)
                if target is not None and target != graph:
                    out.append((target, iface))
        return out

    def jump(self, at: Site, field: Field) -> set[int]:
        """Resolve the field in another subgraph: plan the key (and @requires) fields here, then
        the field in a dependent entity group."""
        group, cursor, type_name, path = at.group, at.cursor, at.type_name, at.path
        graph = group.subgraph
        options: list[tuple[tuple[int, int, int, int, int], str, str, Key]] = []
        for target, as_type in self._candidates(type_name, field, graph):
            keys = self.resolving_keys(as_type, target)
            if not keys:
                continue
            local = [k for k in keys if self._key_local(type_name, k, graph)]
            key = local[0] if local else keys[0]
            target_provided = self.child_provided(as_type, field, target, None)
            returns = self.returns_in(as_type, field.name, target, field.type_name)
            ok, jumps, coverage = self.local_ok(target, returns, field.selections, target_provided)
            reuse = any(
                g.entity and g.subgraph == target and g.path == path and g.block == self.block
                for g in self.groups
            )
            score = (0 if ok else 1, 0 if local else 1, 0 if reuse else 1, jumps, -coverage)
            options.append((score, target, as_type, key))
        if not options:
            raise PlanningError(
                f'Cannot plan field "{type_name}.{field.name}": no subgraph reachable from '
                f'"{graph}" resolves it.'
            )
        options.sort(key=lambda o: (o[0], o[1]))
        _, target, as_type, key = options[0]
        marker = (type_name, field.name, graph)
        if marker in self._jumps or len(self._jumps) >= MAX_JUMP_DEPTH:
            raise PlanningError(f'Cannot plan field "{type_name}.{field.name}": circular keys.')
        self._jumps.append(marker)
        try:
            key_fields = self.condition(as_type, key.selection, key.fields)
            deps = self.plan_selections(replace(at, internal=True), key_fields)
            if at.top:
                group.note_conditions(at.conds)
            cursor.typename()
            src = self.source(as_type, field.name, target)
            required: tuple[Selection, ...] = ()
            if src is not None and src.requires is not None:
                required = self.condition(as_type, src.requires, src.requires_text or "")
                deps |= self.plan_selections(replace(at, internal=True), required)
            child = self.entity_group(
                target, path, frozenset(deps), type_name, (*key_fields, *required)
            )
            rename = as_type != type_name or self.is_interface_object(as_type, target)
            inputs = child.inputs_for(type_name, as_type if rename else None)
            inputs.add(key_fields, key=True, cursor=cursor)
            inputs.add(required, key=False, cursor=cursor)
            child_at = Site(
                child, child.selection.fragment(as_type), as_type, path, None, at.conds, True
            )
            self.plan_field(child_at, field, requires_ok=True)
            return {child.id}
        finally:
            self._jumps.pop()

    def downcast(self, at: Site, selections: tuple[Selection, ...]) -> set[int]:
        """From an @interfaceObject, ask a subgraph with the real interface for the type."""
        group, type_name, path = at.group, at.type_name, at.path
        model = self.sg.types[type_name]
        targets = [
            k
            for g in sorted(model.graphs - model.interface_object_graphs)
            for k in self.resolving_keys(type_name, g)
            if self._key_local(type_name, k, group.subgraph)
        ]
        if not targets:
            raise PlanningError(f'Cannot find the concrete type of "{type_name}" at this path.')
        key = targets[0]
        key_fields = self.condition(type_name, key.selection, key.fields)
        deps = self.plan_selections(replace(at, provided=None, internal=True), key_fields)
        at.cursor.typename()
        child = self.entity_group(key.graph, path, frozenset(deps))
        child.inputs_for(type_name, None).add(key_fields, key=True, cursor=at.cursor)
        child_cursor = child.selection.fragment(type_name)
        child_cursor.typename()
        child.note_conditions(at.conds)
        self.plan_selections(
            Site(child, child_cursor, type_name, path, None, at.conds, True), selections
        )
        return {child.id}

    # -- roots ------------------------------------------------------------------------------
    def plan_root(self) -> None:
        op = self.op
        fields = _lift_root_fragments(op.selections)
        previous: Group | None = None
        for field in fields:
            if field.name in ("__typename", "__schema", "__type"):
                continue
            self.plan_root_field(field, previous, frozenset())
            if op.kind == "mutation":  # the next field joins this fetch if it can
                previous = next(g for g in reversed(self.groups) if not g.entity)

    def plan_root_field(
        self, field: Field, previous: Group | None, tried: frozenset[str]
    ) -> set[int]:
        """Plan a root field in its best subgraph (`tried`: those already given part of it)."""
        op = self.op
        root = op.root_type
        graph = self._root_graph(root, field, previous, tried)
        if op.kind == "mutation":
            if previous is None or previous.subgraph != graph:
                if previous is not None:
                    self.block += 1
                previous = self.new_group(graph, (), False, frozenset())
            group = previous
        else:
            group = next(
                (g for g in self.groups if not g.entity and g.subgraph == graph), None
            ) or self.new_group(graph, (), False, frozenset())
        saved, self._root_tried = self._root_tried, tried
        try:
            return self.plan_field(Site(group, group.selection, root, (), None, (), True), field)
        finally:
            self._root_tried = saved

    def _root_graph(
        self, root: str, field: Field, previous: Group | None, tried: frozenset[str]
    ) -> str:
        model = self.sg.types[root].fields.get(field.name)
        if model is None:
            raise PlanningError(f'Cannot query field "{field.name}" on type "{root}".')
        graphs = [
            g
            for g in sorted(model.sources)
            if g not in tried and self.resolvable(root, field.name, g, None)
        ]
        if not graphs:
            if tried:
                raise PlanningError(
                    f'Cannot plan field "{root}.{field.name}": no subgraph resolves the rest '
                    "of its selection."
                )
            raise PlanningError(f'No subgraph resolves "{root}.{field.name}".')
        existing = {g.subgraph for g in self.groups if not g.entity}
        if previous is not None:
            existing = {previous.subgraph}

        def score(graph: str) -> tuple[int, int, int, int, str]:
            provided = self.child_provided(root, field, graph, None)
            returns = self.returns_in(root, field.name, graph, field.type_name)
            ok, jumps, fields = self.local_ok(graph, returns, field.selections, provided)
            # Fewest jumps, then an existing fetch, then the smallest selection (Apollo's
            # cost): a subgraph whose union lacks a member the client names is not penalised.
            return (0 if ok else 1, jumps, 0 if graph in existing else 1, fields, graph)

        return min(graphs, key=score)


def _lift_root_fragments(selections: tuple[Selection, ...]) -> list[Field]:
    """Root fragments carry no type information: move their conditions onto the fields."""
    out: list[Field] = []
    for sel in selections:
        if isinstance(sel, Fragment):
            for inner in _lift_root_fragments(sel.selections):
                out.append(
                    Field(
                        inner.response_key,
                        inner.name,
                        inner.type_name,
                        inner.arguments,
                        sel.conditions + inner.conditions,
                        inner.selections,
                        inner.directives,
                    )
                )
        else:
            out.append(sel)
    return out
