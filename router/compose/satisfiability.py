"""A bounded satisfiability check: can every API field be reached by some query plan?

Walks states (type, subgraph) from the root fields. At each state, every field of the type in
the API schema must be resolvable: in the same subgraph, or after a chain of @key jumps (at most
MAX_JUMPS) whose key fields can be collected where the jump starts; a @requires must be
collectable the same way. Fields that no state can resolve are SATISFIABILITY_ERRORs, reported
with the query that reaches them. Simplifications against Apollo's full validation: @provides
paths are not followed, abstract fields missing from a subgraph's interface are not resolved by
type explosion, and each state is visited once (not once per path).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from graphql import FieldNode, InlineFragmentNode, SelectionSetNode
from graphql.error import GraphQLSyntaxError

from router.compose.context import MergeContext
from router.compose.fieldset import parse_field_set
from router.compose.model import MType
from router.compose.subgraph import named_type

MAX_JUMPS = 3
ROOTS = ("Query", "Mutation", "Subscription")


@dataclass(frozen=True)
class State:
    type: str
    graph: str


class _Checker:
    def __init__(self, ctx: MergeContext) -> None:
        self.ctx = ctx
        self.types = ctx.types
        self.subgraphs = {sg.name: sg for sg in ctx.subgraphs}

    def graphs_of(self, t: MType) -> list[str]:
        return t.graphs

    def resolvers(self, type_name: str, field_name: str) -> dict[str, str | None]:
        """Graphs that resolve `type.field` directly, each with its @requires (or None)."""
        t = self.types[type_name]
        f = t.fields[field_name]
        if f.joins is None:
            return dict.fromkeys(t.graphs)
        found: dict[str, str | None] = {}
        for join in f.joins:
            if join.graph is None:
                for graph in self.interface_object_graphs(t, field_name):
                    found[graph] = None
            elif not join.external and not join.used_overridden:
                found[join.graph] = join.requires
        return found

    def interface_object_graphs(self, t: MType, field_name: str) -> list[str]:
        graphs = []
        for interface in t.interfaces:
            i = self.types.get(interface)
            if i is None:
                continue
            for join in i.join_types:
                sg = self.subgraphs[join.graph]
                typedef = sg.types.get(interface)
                if join.interface_object and typedef and field_name in typedef.fields:
                    graphs.append(join.graph)
        return graphs

    def keys_into(self, t: MType, graph: str) -> list[str]:
        """Resolvable keys through which a fetch can enter `graph` for type `t`."""
        keys = [j.key for j in t.join_types if j.graph == graph and j.key and j.resolvable]
        for interface in t.interfaces:
            i = self.types.get(interface)
            if i is None:
                continue
            keys += [j.key for j in i.join_types if j.graph == graph and j.key and j.resolvable]
        return keys

    def has_type(self, t: MType, graph: str) -> bool:
        if graph in t.graphs:
            return True
        return any(graph in self.types[i].graphs for i in t.interfaces if i in self.types)

    def jumps(self, t: MType, graph: str, depth: int) -> set[str]:
        """Graphs reachable from (t, graph) through chains of key jumps."""
        reached = {graph}
        frontier = [graph]
        for _ in range(depth):
            nxt = []
            for current in frontier:
                for target in {j.graph for j in t.join_types} | set(self.io_graphs(t)):
                    if target in reached:
                        continue
                    for key in self.keys_into(t, target):
                        if self.collectable(t.name, current, key, depth - 1, {target}):
                            reached.add(target)
                            nxt.append(target)
                            break
            frontier = nxt
        return reached

    def io_graphs(self, t: MType) -> list[str]:
        graphs = []
        for interface in t.interfaces:
            i = self.types.get(interface)
            if i is not None:
                graphs += [j.graph for j in i.join_types if j.interface_object]
        return graphs

    def collectable(
        self, type_name: str, graph: str, fields: str, depth: int, exclude: set[str]
    ) -> bool:
        try:
            selection = parse_field_set(fields)
        except GraphQLSyntaxError:
            return False
        return self.collect(type_name, graph, selection, depth, exclude)

    def collect(
        self, type_name: str, graph: str, selection: SelectionSetNode, depth: int, exclude: set[str]
    ) -> bool:
        t = self.types.get(type_name)
        if t is None:
            return False
        for item in selection.selections:
            if isinstance(item, InlineFragmentNode):
                condition = item.type_condition.name.value if item.type_condition else type_name
                if not self.collect(condition, graph, item.selection_set, depth, exclude):
                    return False
                continue
            assert isinstance(item, FieldNode)
            name = item.name.value
            if name == "__typename":
                continue
            if name not in t.fields:
                return False
            options = [graph]
            if depth > 0:
                options += sorted(self.jumps(t, graph, 1) - {graph} - exclude)
            ok = False
            for option in options:
                if option not in self.resolvers(type_name, name):
                    continue
                sub = item.selection_set
                if sub is None or self.collect(
                    named_type(t.fields[name].type), option, sub, depth, exclude
                ):
                    ok = True
                    break
            if not ok:
                return False
        return True

    def targets(self, state: State, field_name: str) -> list[str]:
        t = self.types[state.type]
        resolvers = self.resolvers(state.type, field_name)
        if state.type in ROOTS:
            candidates = set(resolvers)
        else:
            candidates = self.jumps(t, state.graph, MAX_JUMPS) & set(resolvers)
        found = []
        for graph in sorted(candidates):
            requires = resolvers[graph]
            if (
                requires is None
                or self.collectable(state.type, state.graph, requires, MAX_JUMPS, set())
                or self.collectable(state.type, graph, requires, MAX_JUMPS, set())
            ):
                found.append(graph)
        return found

    def possible_states(self, type_name: str, graph: str) -> list[State]:
        t = self.types.get(type_name)
        if t is None or t.kind not in ("object", "interface", "union"):
            return []
        states = [State(type_name, graph)]
        if t.kind == "union":
            states += [State(m, g) for g, m in t.member_joins if g == graph]
        elif t.kind == "interface":
            for other in self.types.values():
                if other.kind == "object" and (graph, type_name) in other.implements:
                    states.append(State(other.name, graph))
        if graph not in t.graphs and t.kind == "object":
            # Reached through an @interfaceObject: the subgraph only knows the interface.
            return [State(i, graph) for i in t.interfaces if graph in self.types[i].graphs]
        return states

    def run(self) -> None:
        parents: dict[State, tuple[State, str] | None] = {}
        queue: deque[State] = deque()
        for root in ROOTS:
            t = self.types.get(root)
            if t is None:
                continue
            start = State(root, t.graphs[0])
            parents[start] = None
            queue.append(start)
        reported: set[tuple[str, str]] = set()
        while queue:
            state = queue.popleft()
            t = self.types[state.type]
            if t.kind not in ("object", "interface"):
                continue
            for f in t.fields.values():
                if f.inaccessible or self.hidden(named_type(f.type)):
                    continue
                graphs = self.targets(state, f.name)
                if not graphs:
                    if (t.name, f.name) not in reported:
                        reported.add((t.name, f.name))
                        self.report(state, f.name, parents)
                    continue
                for graph in graphs:
                    for nxt in self.possible_states(named_type(f.type), graph):
                        if nxt not in parents:
                            parents[nxt] = (state, f.name)
                            queue.append(nxt)
            if t.kind == "interface":
                continue

    def hidden(self, type_name: str) -> bool:
        t = self.types.get(type_name)
        return t is not None and t.inaccessible

    def report(
        self, state: State, field_name: str, parents: dict[State, tuple[State, str] | None]
    ) -> None:
        path: list[str] = [field_name]
        current: State | None = state
        while current is not None:
            parent = parents.get(current)
            if parent is None:
                break
            current, name = parent
            path.append(name)
        path.reverse()
        query = "{\n" + "".join("  " * (i + 1) + p + " {\n" for i, p in enumerate(path[:-1]))
        query += "  " * len(path) + path[-1] + "\n"
        query += "".join("  " * (i + 1) + "}\n" for i in reversed(range(len(path) - 1))) + "}"
        t = self.types[state.type]
        reasons = [f'cannot find field "{state.type}.{field_name}".']
        for graph in sorted(set(self.resolvers(state.type, field_name)) - {state.graph}):
            for key in self.keys_into(t, graph):
                reasons.append(
                    f'cannot move to subgraph "{graph}" using @key(fields: "{key}") of '
                    f'"{state.type}", the key field(s) cannot be resolved from subgraph '
                    f'"{state.graph}".'
                )
            if not self.keys_into(t, graph):
                reasons.append(
                    f'cannot move to subgraph "{graph}", which has field '
                    f'"{state.type}.{field_name}", because type "{state.type}" has no @key '
                    f'defined in subgraph "{graph}".'
                )
        self.ctx.error(
            "SATISFIABILITY_ERROR",
            f"The following supergraph API query:\n{query}\ncannot be satisfied by the "
            f'subgraphs because:\n- from subgraph "{state.graph}":\n'
            + "\n".join(f"  - {r}" for r in reasons),
            state.type,
            field_name,
            state.graph,
        )


def check_satisfiability(ctx: MergeContext) -> None:
    _Checker(ctx).run()
