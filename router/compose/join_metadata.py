"""A normalized view of a supergraph's join__ metadata, to compare two supergraphs.

Two supergraphs that route every field the same way give equal `JoinMetadata`, however each
spells it (an omitted `@join__field` means "every graph of the type"; an omitted `type:` means
the field's own type; field sets are compared normalized).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    EnumTypeDefinitionNode,
    FieldDefinitionNode,
    InputObjectTypeDefinitionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    TypeDefinitionNode,
    parse,
    print_ast,
)

from router.federation import JoinReader, normalize_field_set, read_links, schema_definition

FieldRoute = tuple[str, str, str, str, bool, str, bool, str]
TypeJoin = tuple[str, str, bool, bool]


@dataclass
class JoinMetadata:
    graphs: dict[str, str] = field(default_factory=dict)  # name -> url
    types: dict[str, list[TypeJoin]] = field(default_factory=dict)
    fields: dict[str, list[FieldRoute]] = field(default_factory=dict)
    implements: list[tuple[str, str, str]] = field(default_factory=list)
    union_members: list[tuple[str, str, str]] = field(default_factory=list)
    enum_values: dict[str, list[str]] = field(default_factory=dict)

    def owners(self, coordinate: str) -> set[str]:
        """Graphs that resolve a field (not external, not overridden away)."""
        return {r[0] for r in self.fields.get(coordinate, []) if not r[4] and not r[6]}


def join_metadata(supergraph_sdl: str) -> JoinMetadata:
    document = parse(supergraph_sdl)
    links = read_links(schema_definition(document))
    join = JoinReader(document, links)
    meta = JoinMetadata(graphs={g.name: g.url for g in join.graphs.values()})
    for d in document.definitions:
        if not isinstance(d, TypeDefinitionNode) or any(k.owns(d.name.value) for k in links):
            continue
        joins = join.types(d)
        type_graphs = list(dict.fromkeys(j.graph for j in joins))
        meta.types[d.name.value] = sorted(
            (j.graph, normalize_field_set(j.key) if j.key else "", j.resolvable,
             j.is_interface_object)
            for j in joins
        )  # fmt: skip
        meta.implements += [(g, d.name.value, i) for g, i in join.implements(d)]
        meta.union_members += [(g, d.name.value, m) for g, m in join.members(d)]
        if isinstance(
            d,
            ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode | InputObjectTypeDefinitionNode,
        ):
            for f in d.fields or ():
                meta.fields[f"{d.name.value}.{f.name.value}"] = _routes(join, f, type_graphs)
        if isinstance(d, EnumTypeDefinitionNode):
            for value in d.values or ():
                graphs = join.enum_value_graphs(value)
                meta.enum_values[f"{d.name.value}.{value.name.value}"] = sorted(graphs)
    meta.implements.sort()
    meta.union_members.sort()
    return meta


def _routes(
    join: JoinReader,
    f: FieldDefinitionNode | InputValueDefinitionNode,
    type_graphs: list[str],
) -> list[FieldRoute]:
    own_type = print_ast(f.type)
    joins = join.fields(f)
    if not joins:
        return sorted((g, "", "", own_type, False, "", False, "") for g in type_graphs)
    return sorted(
        (
            j.graph or "",
            normalize_field_set(j.requires) if j.requires else "",
            normalize_field_set(j.provides) if j.provides else "",
            j.type or own_type,
            j.external,
            j.override or "",
            j.used_overridden,
            j.override_label or "",
        )
        for j in joins
    )
