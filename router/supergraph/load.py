"""Supergraph SDL (Apollo's format) -> frozen `Supergraph` model."""

from __future__ import annotations

import hashlib
from collections import defaultdict

from graphql import (
    DirectiveNode,
    DocumentNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
    SchemaDefinitionNode,
    SelectionSetNode,
    build_ast_schema,
    get_named_type,
    parse,
    value_from_ast_untyped,
)
from graphql.language.parser import Parser
from graphql.language.token_kind import TokenKind

from router.supergraph.api_schema import build_api_schema
from router.supergraph.links import (
    Link,
    SupergraphError,
    check_supported,
    find_link,
    read_links,
)
from router.supergraph.model import (
    FieldModel,
    FieldSource,
    Graph,
    Key,
    Supergraph,
    TypeKind,
    TypeModel,
)


def parse_field_set(text: str) -> SelectionSetNode:
    """Parse a `FieldSet` string (`"id org { id }"`) as a selection set."""
    parser = Parser("{" + text + "}", no_location=True)
    parser.expect_token(TokenKind.SOF)
    return parser.parse_selection_set()


def _args(directive: DirectiveNode) -> dict[str, object]:
    return {a.name.value: value_from_ast_untyped(a.value) for a in directive.arguments or ()}


def _enum_arg(directive: DirectiveNode, name: str) -> str | None:
    for arg in directive.arguments or ():
        if arg.name.value == name:
            return getattr(arg.value, "value", None)
    return None


def _directives(node: object, name: str) -> list[DirectiveNode]:
    return [d for d in getattr(node, "directives", None) or () if d.name.value == name]


def _kind(t: object) -> TypeKind:
    if isinstance(t, GraphQLObjectType):
        return "object"
    if isinstance(t, GraphQLInterfaceType):
        return "interface"
    if isinstance(t, GraphQLUnionType):
        return "union"
    if isinstance(t, GraphQLEnumType):
        return "enum"
    if isinstance(t, GraphQLInputObjectType):
        return "input"
    return "scalar"


class _Loader:
    def __init__(self, document: DocumentNode, links: tuple[Link, ...]) -> None:
        join = find_link(links, "join")
        if join is None:
            raise SupergraphError("not a supergraph: it does not @link the join spec")
        self.join = join
        self.links = links
        self.d_type = join.directive("type")
        self.d_field = join.directive("field")
        self.d_graph = join.directive("graph")
        self.d_implements = join.directive("implements")
        self.d_member = join.directive("unionMember")
        self.graph_enum = join.type_name("Graph")
        self.graphs: dict[str, Graph] = {}  # enum value -> graph
        for definition in document.definitions:
            if getattr(definition, "name", None) and definition.name.value == self.graph_enum:  # type: ignore[attr-defined]
                for value in getattr(definition, "values", None) or ():
                    for d in _directives(value, self.d_graph):
                        a = _args(d)
                        self.graphs[value.name.value] = Graph(
                            str(a["name"]), str(a["url"]), value.name.value
                        )
        if not self.graphs and join.version != "0.1":
            raise SupergraphError(f"the supergraph defines no {self.graph_enum} values")

    def graph_name(self, directive: DirectiveNode) -> str | None:
        value = _enum_arg(directive, "graph")
        if value is None:
            return None
        graph = self.graphs.get(value)
        if graph is None:
            raise SupergraphError(f"unknown graph {value} in @{directive.name.value}")
        return graph.name

    def is_machinery(self, name: str) -> bool:
        return name.startswith("__") or any(link.owns(name) for link in self.links)

    def type_model(self, t: object) -> TypeModel:
        name: str = t.name  # type: ignore[attr-defined]
        node = t.ast_node  # type: ignore[attr-defined]
        kind = _kind(t)
        graphs: set[str] = set()
        keys: list[Key] = []
        interface_objects: set[str] = set()
        for d in _directives(node, self.d_type):
            graph = self.graph_name(d)
            if graph is None:
                continue
            graphs.add(graph)
            a = _args(d)
            key = a.get("key")
            if isinstance(key, str):
                keys.append(Key(graph, key, parse_field_set(key), bool(a.get("resolvable", True))))
            if a.get("isInterfaceObject"):
                interface_objects.add(graph)
        implements: dict[str, set[str]] = defaultdict(set)
        for d in _directives(node, self.d_implements):
            graph = self.graph_name(d)
            if graph is not None:
                implements[graph].add(str(_args(d)["interface"]))
        members: dict[str, set[str]] = defaultdict(set)
        for d in _directives(node, self.d_member):
            graph = self.graph_name(d)
            if graph is not None:
                members[graph].add(str(_args(d)["member"]))
        fields: dict[str, FieldModel] = {}
        for field_name, f in getattr(t, "fields", {}).items():
            fields[field_name] = self.field_model(field_name, f, graphs, kind)
        return TypeModel(
            name=name,
            kind=kind,
            graphs=frozenset(graphs),
            keys=tuple(keys),
            interface_object_graphs=frozenset(interface_objects),
            fields=fields,
            implements={g: frozenset(v) for g, v in implements.items()},
            members={g: frozenset(v) for g, v in members.items()},
        )

    def field_model(
        self, name: str, f: object, type_graphs: set[str], kind: TypeKind
    ) -> FieldModel:
        node = f.ast_node  # type: ignore[attr-defined]
        directives = _directives(node, self.d_field)
        sources: dict[str, FieldSource] = {}
        if not directives:
            sources = {g: FieldSource(g) for g in type_graphs}
        for d in directives:
            graph = self.graph_name(d)
            if graph is None:
                continue  # bare @join__field: inherited from an @interfaceObject
            a = _args(d)
            requires = a.get("requires")
            provides = a.get("provides")
            sources[graph] = FieldSource(
                graph=graph,
                external=bool(a.get("external")) or bool(a.get("usedOverridden")),
                requires=parse_field_set(requires) if isinstance(requires, str) else None,
                requires_text=requires if isinstance(requires, str) else None,
                provides=parse_field_set(provides) if isinstance(provides, str) else None,
                provides_text=provides if isinstance(provides, str) else None,
                overrides=a.get("override") if isinstance(a.get("override"), str) else None,  # type: ignore[arg-type]
                override_label=(
                    str(a["overrideLabel"]) if isinstance(a.get("overrideLabel"), str) else None
                ),
                type=a.get("type") if isinstance(a.get("type"), str) else None,  # type: ignore[arg-type]
            )
        resolving = [s for s in sources.values() if not s.external]
        return FieldModel(
            name=name,
            type_name=get_named_type(f.type).name,  # type: ignore[attr-defined]
            sources=sources,
            shareable=kind == "object" and len(resolving) > 1,
        )


def load_supergraph(sdl: str) -> Supergraph:
    """Load a supergraph SDL; raise `SupergraphError` when it cannot be served."""
    try:
        document = parse(sdl)
    except Exception as error:
        raise SupergraphError(f"the supergraph does not parse: {error}") from error
    schema_def = next(
        (d for d in document.definitions if isinstance(d, SchemaDefinitionNode)), None
    )
    links = read_links(schema_def)
    check_supported(links)
    loader = _Loader(document, links)
    try:
        schema = build_ast_schema(document, assume_valid_sdl=True)
    except Exception as error:
        raise SupergraphError(f"the supergraph is not a valid schema: {error}") from error
    types: dict[str, TypeModel] = {}
    possible: dict[str, frozenset[str]] = {}
    for name, t in schema.type_map.items():
        if loader.is_machinery(name):
            continue
        types[name] = loader.type_model(t)
        if isinstance(t, GraphQLObjectType):
            possible[name] = frozenset({name})
        elif isinstance(t, GraphQLInterfaceType | GraphQLUnionType):
            possible[name] = frozenset(o.name for o in schema.get_possible_types(t))
    roots = {
        kind: root.name
        for kind, root in (
            ("query", schema.query_type),
            ("mutation", schema.mutation_type),
            ("subscription", schema.subscription_type),
        )
        if root is not None
    }
    return Supergraph(
        sdl=sdl,
        hash=hashlib.sha256(sdl.encode()).hexdigest()[:16],
        graphs={g.name: g for g in loader.graphs.values()},
        types=types,
        schema=schema,
        api_schema=build_api_schema(document, links),
        root_types=roots,
        possible=possible,
    )
