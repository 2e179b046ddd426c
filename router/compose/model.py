"""The merged supergraph: types with their join__ metadata, ready to print."""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import ConstDirectiveNode, TypeNode, ValueNode


@dataclass(frozen=True)
class JoinType:
    graph: str
    key: str | None = None
    extension: bool = False
    resolvable: bool = True
    interface_object: bool = False


@dataclass(frozen=True)
class JoinField:
    graph: str | None  # None: the bare @join__field of a field inherited from @interfaceObject
    requires: str | None = None
    provides: str | None = None
    type: str | None = None
    external: bool = False
    override: str | None = None
    used_overridden: bool = False
    override_label: str | None = None


@dataclass
class MElement:
    name: str
    description: str | None = None
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    deprecated: str | None = None
    directives: list[ConstDirectiveNode] = field(default_factory=list)
    cost: int | None = None
    list_size: ConstDirectiveNode | None = None
    authenticated: bool = False
    scopes: tuple[tuple[str, ...], ...] | None = None
    policies: tuple[tuple[str, ...], ...] | None = None


@dataclass(kw_only=True)
class MArg(MElement):
    type: TypeNode
    default: ValueNode | None = None


@dataclass(kw_only=True)
class MField(MElement):
    type: TypeNode
    args: dict[str, MArg] = field(default_factory=dict)
    default: ValueNode | None = None
    joins: list[JoinField] | None = None


@dataclass(kw_only=True)
class MEnumValue(MElement):
    graphs: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class MType(MElement):
    kind: str = "object"
    join_types: list[JoinType] = field(default_factory=list)
    fields: dict[str, MField] = field(default_factory=dict)
    interfaces: list[str] = field(default_factory=list)
    implements: list[tuple[str, str]] = field(default_factory=list)  # (graph, interface)
    members: list[str] = field(default_factory=list)
    member_joins: list[tuple[str, str]] = field(default_factory=list)  # (graph, member)
    values: dict[str, MEnumValue] = field(default_factory=dict)
    specified_by: str | None = None

    @property
    def graphs(self) -> list[str]:
        seen: list[str] = []
        for join in self.join_types:
            if join.graph not in seen:
                seen.append(join.graph)
        return seen


@dataclass(frozen=True)
class Graph:
    name: str  # the subgraph's name
    enum: str  # its join__Graph value
    url: str


@dataclass(frozen=True)
class ComposedLink:
    """A spec linked into the supergraph for a composed directive (`@composeDirective`)."""

    url: str
    imports: tuple[str, ...]


@dataclass
class MergedSupergraph:
    graphs: list[Graph]
    types: dict[str, MType]
    uses_tag: bool = False
    uses_inaccessible: bool = False
    composed_links: list[ComposedLink] = field(default_factory=list)
    directive_defs: list[str] = field(default_factory=list)  # printed definitions to keep
    join_minor: int = 5  # join/v0.<minor>
    uses_cost: bool = False  # links cost/v0.1
    uses_list_size: bool = False  # ... and imports @listSize
    uses_authenticated: bool = False  # links authenticated/v0.1
    uses_requires_scopes: bool = False  # links requiresScopes/v0.1
    uses_policy: bool = False  # links policy/v0.1
    security_specs: list[str] = field(default_factory=list)  # the three above, in link order

    def graph_enum(self, name: str) -> str:
        for graph in self.graphs:
            if graph.name == name:
                return graph.enum
        raise KeyError(name)
