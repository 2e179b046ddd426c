"""A bounded satisfiability check: can every API field be reached by some query plan?

Walks the supergraph from the root fields, like Apollo's validation: each node is a type with
the set of subgraphs a plan could be in at that point (its options). Every API field of the
type must be resolvable from some option: in the same subgraph, or after a chain of @key jumps
(at most MAX_JUMPS) whose key fields can be collected where the jump starts, with any @requires
collectable the same way; an interface field the subgraph lacks is resolved through each
implementation it knows (type explosion). Fields that no option resolves are
SATISFIABILITY_ERRORs, reported with a query that reaches them. Simplifications against
Apollo: @provides paths are not followed, nodes are (type, options) pairs visited once each
(at most MAX_NODES), and @interfaceObject downcasts are not explored.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from graphql import FieldNode, InlineFragmentNode, SelectionSetNode
from graphql.error import GraphQLSyntaxError

from router.compose.context import MergeContext
from router.compose.model import MType
from router.compose.subgraph import named_type
from router.federation.fieldset import parse_field_set

MAX_JUMPS = 3
MAX_NODES = 20_000  # bound on distinct (type, subgraph options) nodes visited
ROOTS = ("Query", "Mutation", "Subscription")


@dataclass(frozen=True)
class State:
    type: str
    graph: str


@dataclass(frozen=True)
class Node:
    """A supergraph path's end: its type and every subgraph a plan could be in there."""

    type: str
    graphs: frozenset[str]


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

    def explode(self, state: State, field_name: str) -> list[str] | None:
        """Type explosion: an interface field the subgraph can't resolve on the interface is
        resolvable when it is from each implementation the subgraph knows (None: it isn't)."""
        t = self.types[state.type]
        if t.kind != "interface":
            return None
        implementations = [
            o.name
            for o in self.types.values()
            if o.kind == "object" and (state.graph, t.name) in o.implements
        ]
        graphs: set[str] = set()
        for name in implementations:
            if field_name not in self.types[name].fields:
                return None
            found = self.targets(State(name, state.graph), field_name)
            if not found:
                return None
            graphs.update(found)
        return sorted(graphs)

    def next_nodes(self, type_name: str, graphs: frozenset[str]) -> list[Node]:
        """The node a field leads to, plus one node per runtime type an abstract type has."""
        t = self.types.get(type_name)
        if t is None or t.kind not in ("object", "interface", "union"):
            return []
        if t.kind == "object":
            # A graph without the type reached it through an @interfaceObject: use the interface.
            inside = frozenset(g for g in graphs if g in t.graphs)
            nodes = [Node(type_name, inside)] if inside else []
            for interface in t.interfaces:
                via = frozenset(g for g in graphs - inside if g in self.types[interface].graphs)
                if via:
                    nodes.append(Node(interface, via))
            return nodes
        nodes = [Node(type_name, graphs)] if t.kind == "interface" else []
        for other in self.types.values():
            if other.kind != "object":
                continue
            if t.kind == "union":
                options = frozenset(g for g, m in t.member_joins if m == other.name and g in graphs)
            else:
                options = frozenset(g for g in graphs if (g, type_name) in other.implements)
            if options:
                nodes.append(Node(other.name, options))
        return nodes

    def resolve(self, node: Node, field_name: str) -> list[str]:
        """Graphs where `field_name` can be resolved from some option of `node`."""
        found: set[str] = set()
        for graph in sorted(node.graphs):
            state = State(node.type, graph)
            graphs = self.targets(state, field_name)
            if not graphs:
                graphs = self.explode(state, field_name) or []
            found.update(graphs)
        return sorted(found)

    def run(self) -> None:
        parents: dict[Node, tuple[Node, str] | None] = {}
        queue: deque[Node] = deque()
        for root in ROOTS:
            t = self.types.get(root)
            if t is not None:
                start = Node(root, frozenset(t.graphs))
                parents[start] = None
                queue.append(start)
        reported: set[tuple[str, str]] = set()
        while queue and len(parents) < MAX_NODES:
            node = queue.popleft()
            t = self.types[node.type]
            if t.kind not in ("object", "interface"):
                continue
            for f in t.fields.values():
                if f.inaccessible or self.hidden(named_type(f.type)):
                    continue
                graphs = self.resolve(node, f.name)
                if not graphs:
                    if t.kind == "interface" and not self.known_implementations(node):
                        continue  # no option can return an object of this interface
                    if (t.name, f.name) not in reported:
                        reported.add((t.name, f.name))
                        self.report(node, f.name, parents)
                    continue
                if len(graphs) > 1 and not self.shared_runtime_types(t, f.name, graphs):
                    continue
                for nxt in self.next_nodes(named_type(f.type), frozenset(graphs)):
                    if nxt not in parents:
                        parents[nxt] = (node, f.name)
                        queue.append(nxt)

    def runtime_types(self, type_name: str, graph: str) -> list[str]:
        t = self.types[type_name]
        if t.kind == "union":
            return sorted(m for g, m in t.member_joins if g == graph)
        return sorted(
            o.name
            for o in self.types.values()
            if o.kind == "object" and (graph, type_name) in o.implements
        )

    def shared_runtime_types(self, parent: MType, field_name: str, graphs: list[str]) -> bool:
        """SHAREABLE_HAS_MISMATCHED_RUNTIME_TYPES: a field shared by several subgraphs and
        returning an abstract type needs some runtime type in common. False if reported."""
        return_type = named_type(parent.fields[field_name].type)
        if self.types.get(return_type) is None or self.types[return_type].kind == "object":
            return True
        if self.types[return_type].kind not in ("interface", "union"):
            return True
        per_graph = {
            g: self.runtime_types(return_type, g)
            for g in graphs
            if g in self.types[return_type].graphs
        }
        if len(per_graph) < 2 or not any(per_graph.values()):
            return True
        common = set.intersection(*(set(v) for v in per_graph.values()))
        if common:
            return True
        listed = ";\n".join(
            f' - in subgraph "{g}", '
            + ("no runtime type is defined" if not v else ", ".join(f'"{n}"' for n in v))
            for g, v in per_graph.items()
        )
        self.ctx.error(
            "SHAREABLE_HAS_MISMATCHED_RUNTIME_TYPES",
            f'Shared field "{parent.name}.{field_name}" return type "{return_type}" has a '
            "non-intersecting set of possible runtime types across subgraphs. Runtime types in "
            f"subgraphs are:\n{listed}.\nThis is not allowed as shared fields must resolve the "
            "same way in all subgraphs, and that implies at least some common runtime types "
            "between the subgraphs.",
            parent.name,
            field_name,
        )
        return False

    def known_implementations(self, node: Node) -> bool:
        return any(
            (g, node.type) in o.implements for o in self.types.values() for g in node.graphs
        ) or any(
            j.interface_object and j.graph in node.graphs for j in self.types[node.type].join_types
        )

    def hidden(self, type_name: str) -> bool:
        t = self.types.get(type_name)
        return t is not None and t.inaccessible

    def report(
        self, node: Node, field_name: str, parents: dict[Node, tuple[Node, str] | None]
    ) -> None:
        path: list[str] = [field_name]
        current: Node | None = node
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
        t = self.types[node.type]
        lines = []
        for graph in sorted(node.graphs):
            reasons = [f'cannot find field "{node.type}.{field_name}".']
            for target in sorted(set(self.resolvers(node.type, field_name)) - {graph}):
                for key in self.keys_into(t, target):
                    reasons.append(
                        f'cannot move to subgraph "{target}" using @key(fields: "{key}") of '
                        f'"{node.type}", the key field(s) cannot be resolved from subgraph '
                        f'"{graph}".'
                    )
                if not self.keys_into(t, target):
                    reasons.append(
                        f'cannot move to subgraph "{target}", which has field '
                        f'"{node.type}.{field_name}", because type "{node.type}" has no @key '
                        f'defined in subgraph "{target}".'
                    )
            lines.append(f'- from subgraph "{graph}":\n' + "\n".join(f"  - {r}" for r in reasons))
        self.ctx.error(
            "SATISFIABILITY_ERROR",
            f"The following supergraph API query:\n{query}\ncannot be satisfied by the "
            "subgraphs because:\n" + "\n".join(lines),
            node.type,
            field_name,
            sorted(node.graphs)[0] if node.graphs else None,
        )


def check_satisfiability(ctx: MergeContext) -> None:
    _Checker(ctx).run()
