"""Read the join spec's directives (`@join__graph`, `@join__type`, `@join__field`,
`@join__implements`, `@join__unionMember`, `@join__enumValue`) into plain frozen data.

Names go through the `@link` of the join spec (a supergraph may rename it with `as:`), and graph
enum values are resolved to subgraph names here, once, for every reader: the router's model
(`router.supergraph`) and the schema checks (`router.compose.join_metadata`).
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import DirectiveNode, DocumentNode, EnumTypeDefinitionNode, value_from_ast_untyped

from router.federation.links import Link, SupergraphError, find_link


@dataclass(frozen=True)
class Graph:
    name: str  # the subgraph's name, used in plans and logs
    url: str
    enum_value: str  # its join__Graph value


@dataclass(frozen=True)
class JoinType:
    graph: str
    key: str | None = None
    resolvable: bool = True
    is_interface_object: bool = False
    extension: bool = False


@dataclass(frozen=True)
class JoinField:
    graph: str | None  # None: a bare @join__field (inherited from an @interfaceObject)
    requires: str | None = None
    provides: str | None = None
    type: str | None = None  # the field's type in that subgraph when it differs
    external: bool = False
    override: str | None = None
    used_overridden: bool = False
    override_label: str | None = None


def _args(directive: DirectiveNode) -> dict[str, object]:
    return {a.name.value: value_from_ast_untyped(a.value) for a in directive.arguments or ()}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


class JoinReader:
    """The join directives of one supergraph document."""

    def __init__(self, document: DocumentNode, links: tuple[Link, ...]) -> None:
        join = find_link(links, "join")
        if join is None:
            raise SupergraphError("not a supergraph: it does not @link the join spec")
        self.join = join
        self.d_type = join.directive("type")
        self.d_field = join.directive("field")
        self.d_implements = join.directive("implements")
        self.d_member = join.directive("unionMember")
        self.d_enum_value = join.directive("enumValue")
        self.graph_enum = join.type_name("Graph")
        d_graph = join.directive("graph")
        self.graphs: dict[str, Graph] = {}  # enum value -> graph
        for definition in document.definitions:
            if not isinstance(definition, EnumTypeDefinitionNode):
                continue
            if definition.name.value != self.graph_enum:
                continue
            for value in definition.values or ():
                for d in _of(value, d_graph):
                    a = _args(d)
                    self.graphs[value.name.value] = Graph(
                        str(a["name"]), str(a["url"]), value.name.value
                    )
        if not self.graphs and join.version != "0.1":
            raise SupergraphError(f"the supergraph defines no {self.graph_enum} values")

    def graph_name(self, directive: DirectiveNode) -> str | None:
        value = next((a.value for a in directive.arguments or () if a.name.value == "graph"), None)
        enum_value = getattr(value, "value", None)
        if enum_value is None:
            return None
        graph = self.graphs.get(enum_value)
        if graph is None:
            raise SupergraphError(f"unknown graph {enum_value} in @{directive.name.value}")
        return graph.name

    def types(self, node: object) -> tuple[JoinType, ...]:
        out: list[JoinType] = []
        for d in _of(node, self.d_type):
            graph = self.graph_name(d)
            if graph is None:
                continue
            a = _args(d)
            out.append(
                JoinType(
                    graph=graph,
                    key=_text(a.get("key")),
                    resolvable=a.get("resolvable", True) is not False,
                    is_interface_object=bool(a.get("isInterfaceObject")),
                    extension=bool(a.get("extension")),
                )
            )
        return tuple(out)

    def fields(self, node: object) -> tuple[JoinField, ...]:
        out: list[JoinField] = []
        for d in _of(node, self.d_field):
            a = _args(d)
            out.append(
                JoinField(
                    graph=self.graph_name(d),
                    requires=_text(a.get("requires")),
                    provides=_text(a.get("provides")),
                    type=_text(a.get("type")),
                    external=bool(a.get("external")),
                    override=_text(a.get("override")),
                    used_overridden=bool(a.get("usedOverridden")),
                    override_label=_text(a.get("overrideLabel")),
                )
            )
        return tuple(out)

    def implements(self, node: object) -> tuple[tuple[str, str], ...]:
        """(graph, interface) pairs."""
        return self._pairs(node, self.d_implements, "interface")

    def members(self, node: object) -> tuple[tuple[str, str], ...]:
        """(graph, union member) pairs."""
        return self._pairs(node, self.d_member, "member")

    def enum_value_graphs(self, node: object) -> tuple[str, ...]:
        return tuple(g for d in _of(node, self.d_enum_value) if (g := self.graph_name(d)))

    def _pairs(self, node: object, directive: str, argument: str) -> tuple[tuple[str, str], ...]:
        out: list[tuple[str, str]] = []
        for d in _of(node, directive):
            graph = self.graph_name(d)
            if graph is not None:
                out.append((graph, str(_args(d)[argument])))
        return tuple(out)


def _of(node: object, name: str) -> list[DirectiveNode]:
    return [d for d in getattr(node, "directives", None) or () if d.name.value == name]
