"""Fetch groups -> plan nodes: subgraph operations printed, groups ordered by dependencies."""

from __future__ import annotations

from router.planner.compact import compact_variable_definition
from router.planner.conflicts import alias_conflicts
from router.planner.coverage import PlanningError
from router.planner.groups import Group
from router.planner.merge_groups import merge_same_path_groups
from router.planner.operation import Operation
from router.planner.plan import (
    ConditionNode,
    FetchNode,
    FlattenNode,
    ParallelNode,
    PlanNode,
    QueryPlan,
    SequenceNode,
    SubscriptionNode,
)
from router.planner.route import Router
from router.planner.selection import FieldItem, SelectionSet
from router.supergraph.model import Supergraph


def build_plan(
    supergraph: Supergraph, operation: Operation, labels: frozenset[str] = frozenset()
) -> QueryPlan:
    """Plan a normalized operation (pure; raises PlanningError when it cannot be planned)."""
    router = Router(supergraph, operation, labels)
    router.plan_root()
    groups = merge_same_path_groups([g for g in router.groups if _has_content(g)])
    assembler = _Assembler(supergraph, operation, groups)
    blocks = sorted({g.block for g in groups})
    nodes: list[PlanNode] = []
    for block in blocks:
        node = assembler.block(block)
        if node is not None:
            nodes.append(node)
    root = _sequence(nodes)
    if operation.kind == "subscription":
        return QueryPlan(_subscription(root), operation.kind)
    return QueryPlan(root, operation.kind)


def _subscription(node: PlanNode | None) -> SubscriptionNode:
    """Split a subscription's plan: its first fetch (the one root field, which validation
    guarantees is alone) is the upstream subscription; the stages after it run per event."""
    first, rest = (node.nodes[0], node.nodes[1:]) if isinstance(node, SequenceNode) else (node, ())
    if not isinstance(first, FetchNode) or first.requires is not None:
        raise PlanningError("A subscription must select exactly one unconditional root field.")
    return SubscriptionNode(first, _sequence(list(rest)))


def _has_content(group: Group) -> bool:
    if not group.entity:
        return bool(group.selection)
    return any(
        isinstance(item.children, SelectionSet) and bool(item.children)
        for item in group.selection.items.values()
    )


def _parallel(nodes: list[PlanNode]) -> PlanNode | None:
    if not nodes:
        return None
    return nodes[0] if len(nodes) == 1 else ParallelNode(tuple(nodes))


def _sequence(nodes: list[PlanNode]) -> PlanNode | None:
    flat: list[PlanNode] = []
    for node in nodes:
        flat.extend(node.nodes if isinstance(node, SequenceNode) else (node,))
    if not flat:
        return None
    return flat[0] if len(flat) == 1 else SequenceNode(tuple(flat))


class _Assembler:
    def __init__(self, supergraph: Supergraph, operation: Operation, groups: list[Group]) -> None:
        self.supergraph = supergraph
        self.operation = operation
        self.groups = groups
        self.by_id = {g.id: g for g in groups}
        known = set(self.by_id)
        # Dependencies on groups that fetch nothing are dropped.
        self.deps = {g.id: frozenset(d for d in g.deps if d in known and d != g.id) for g in groups}

        self.counter = 0

    def block(self, block: int) -> PlanNode | None:
        """The block's groups in stages: a group runs one stage after the last it depends on.

        Stages (Sequence of Parallel) rather than Apollo's nested branches: every fetch of a
        stage starts together, so the executor can send the entity fetches of one stage to one
        subgraph as one request (Hive Gateway's batching), at the price of a little pipelining.
        """
        members = [g for g in self.groups if g.block == block]
        ids = {g.id for g in members}
        stages: dict[int, int] = {}

        def stage_of(group: Group) -> int:
            found = stages.get(group.id)
            if found is None:
                inner = [stage_of(self.by_id[d]) for d in self.deps[group.id] if d in ids]
                found = stages[group.id] = 1 + max(inner) if inner else 0
            return found

        by_stage: dict[int, list[Group]] = {}
        for group in members:
            by_stage.setdefault(stage_of(group), []).append(group)
        nodes: list[PlanNode] = []
        for stage in sorted(by_stage):
            branches = [self.wrapped(g) for g in by_stage[stage]]
            node = _parallel(branches)
            if node is not None:
                nodes.append(node)
        return _sequence(nodes)

    def wrapped(self, group: Group) -> PlanNode:
        node = self.fetch(group)
        for cond in reversed(group.conditions or ()):
            node = ConditionNode(cond, node)
        return node

    def fetch(self, group: Group) -> PlanNode:
        conditions = group.conditions or ()
        if conditions:
            _strip(group.selection, conditions, group.entity)
        rewrites = alias_conflicts(
            self.supergraph,
            group.subgraph,
            group.selection,
            None if group.entity else self.operation.root_type,
        )
        variables: set[str] = set()
        group.selection.variables(variables)
        definitions = [v for v in self.operation.variables if v.variable.name.value in variables]
        usages = tuple(v.variable.name.value for v in definitions)
        client_defs = tuple(compact_variable_definition(v) for v in definitions)
        defs = list(client_defs)
        name = None
        if self.operation.name:
            name = f"{self.operation.name}__{group.subgraph}__{self.counter}"
        self.counter += 1
        kind = self.operation.kind if not group.entity else "query"
        if group.entity:
            defs.insert(0, "$representations:[_Any!]!")
            body = (
                "{_entities(representations:$representations)"
                + group.selection.print_compact()
                + "}"
            )
        else:
            body = group.selection.print_compact()
        head = kind + (f" {name}" if name else "") + (f"({','.join(defs)})" if defs else "")
        operation = (head + body) if (name or defs or kind != "query") else body
        requires = None
        pretty_requires: tuple[str, ...] = ()
        if group.entity:
            frozen = [b.freeze() for b in group.inputs.values()]
            requires = tuple(frozen)
            lines = ["{"]
            for builder in group.inputs.values():
                lines.extend(builder.pretty(1))
            lines.append("}")
            pretty_requires = tuple(lines)
        node = FetchNode(
            selection_text=group.selection.print_compact(),
            variable_defs=client_defs,
            service=group.subgraph,
            operation=operation,
            operation_name=name,
            operation_kind=kind,
            variable_usages=usages,
            requires=requires,
            pretty_requires=pretty_requires,
            pretty_selection=tuple(group.selection.print_pretty(0)),
            id=group.id,
            output_rewrites=rewrites,
        )
        if group.entity:
            return FlattenNode(group.path, node)
        return node


def _strip(selection: SelectionSet, conditions: tuple[object, ...], entity: bool) -> None:
    """Conditions a Condition node already checks are removed from top-level fields."""
    tops = (
        [item.children for item in selection.items.values() if item.children is not None]
        if entity
        else [selection]
    )
    for top in tops:
        for item in top.items.values():
            if isinstance(item, FieldItem) and item.conditions:
                item.conditions = tuple(c for c in item.conditions if c not in conditions)
