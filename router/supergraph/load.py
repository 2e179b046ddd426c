"""Supergraph SDL (Apollo's format) -> frozen `Supergraph` model."""

from __future__ import annotations

import hashlib
from collections import defaultdict

from graphql import (
    DocumentNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
    SelectionSetNode,
    build_ast_schema,
    get_named_type,
    parse,
)
from graphql.error import GraphQLSyntaxError

from router.federation.api_schema import build_api_schema
from router.federation.authorization import read_requirements
from router.federation.fieldset import parse_field_set
from router.federation.join import JoinReader
from router.federation.links import (
    Link,
    SupergraphError,
    check_supported,
    read_links,
    schema_definition,
)
from router.supergraph.model import FieldModel, FieldSource, Key, Supergraph, TypeKind, TypeModel


def _field_set(text: str, where: str) -> SelectionSetNode:
    try:
        return parse_field_set(text)
    except GraphQLSyntaxError as error:
        raise SupergraphError(f"invalid field set {text!r} in {where}: {error.message}") from error


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
        self.join = JoinReader(document, links)
        self.links = links

    def is_machinery(self, name: str) -> bool:
        return name.startswith("__") or any(link.owns(name) for link in self.links)

    def type_model(self, t: object) -> TypeModel:
        name: str = t.name  # type: ignore[attr-defined]
        node = t.ast_node  # type: ignore[attr-defined]
        kind = _kind(t)
        joins = self.join.types(node)
        graphs = {j.graph for j in joins}
        keys = tuple(
            Key(j.graph, j.key, _field_set(j.key, f"the keys of {name}"), j.resolvable)
            for j in joins
            if j.key is not None
        )
        implements: dict[str, set[str]] = defaultdict(set)
        for graph, interface in self.join.implements(node):
            implements[graph].add(interface)
        members: dict[str, set[str]] = defaultdict(set)
        for graph, member in self.join.members(node):
            members[graph].add(member)
        fields: dict[str, FieldModel] = {}
        for field_name, f in getattr(t, "fields", {}).items():
            fields[field_name] = self.field_model(f"{name}.{field_name}", f, graphs, kind)
        return TypeModel(
            name=name,
            kind=kind,
            graphs=frozenset(graphs),
            keys=keys,
            interface_object_graphs=frozenset(j.graph for j in joins if j.is_interface_object),
            fields=fields,
            implements={g: frozenset(v) for g, v in implements.items()},
            members={g: frozenset(v) for g, v in members.items()},
        )

    def field_model(
        self, coordinate: str, f: object, type_graphs: set[str], kind: TypeKind
    ) -> FieldModel:
        node = f.ast_node  # type: ignore[attr-defined]
        joins = self.join.fields(node)
        sources: dict[str, FieldSource] = {}
        if not joins:
            sources = {g: FieldSource(g) for g in type_graphs}
        for j in joins:
            if j.graph is None:
                continue  # bare @join__field: inherited from an @interfaceObject
            requires, provides = j.requires, j.provides
            sources[j.graph] = FieldSource(
                graph=j.graph,
                external=j.external or j.used_overridden,
                requires=_field_set(requires, f"@requires of {coordinate}") if requires else None,
                requires_text=requires,
                provides=_field_set(provides, f"@provides of {coordinate}") if provides else None,
                provides_text=provides,
                overrides=j.override,
                override_label=j.override_label,
                type=j.type,
            )
        resolving = [s for s in sources.values() if not s.external]
        return FieldModel(
            name=coordinate.rpartition(".")[2],
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
    links = read_links(schema_definition(document))
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
        graphs={g.name: g for g in loader.join.graphs.values()},
        types=types,
        schema=schema,
        api_schema=build_api_schema(document, links),
        root_types=roots,
        possible=possible,
        authorization=read_requirements(document, links),
    )
