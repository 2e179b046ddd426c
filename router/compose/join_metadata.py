"""A normalized view of a supergraph's join__ metadata, to compare two supergraphs.

Two supergraphs that route every field the same way give equal `JoinMetadata`, however each
spells it (an omitted `@join__field` means "every graph of the type"; an omitted `type:` means
the field's own type; field sets are compared normalized).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    BooleanValueNode,
    EnumTypeDefinitionNode,
    EnumValueNode,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    StringValueNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    parse,
    print_ast,
)

from router.compose.fieldset import normalize_field_set

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


def _args(directive: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for arg in directive.arguments or ():
        value = arg.value
        if isinstance(value, StringValueNode | BooleanValueNode):
            out[arg.name.value] = value.value
        elif isinstance(value, EnumValueNode):
            out[arg.name.value] = value.value
        else:
            out[arg.name.value] = print_ast(value)
    return out


def join_metadata(supergraph_sdl: str) -> JoinMetadata:
    document = parse(supergraph_sdl)
    meta = JoinMetadata()
    enum_to_name: dict[str, str] = {}
    for d in document.definitions:
        if isinstance(d, EnumTypeDefinitionNode) and d.name.value == "join__Graph":
            for value in d.values or ():
                for directive in value.directives or ():
                    if directive.name.value == "join__graph":
                        args = _args(directive)
                        enum_to_name[value.name.value] = args["name"]
                        meta.graphs[args["name"]] = args["url"]
    for d in document.definitions:
        if not isinstance(d, TypeDefinitionNode) or d.name.value.startswith(("join__", "link__")):
            continue
        type_graphs: list[str] = []
        joins: list[TypeJoin] = []
        for directive in d.directives or ():
            args = _args(directive)
            graph = enum_to_name.get(args.get("graph", ""), "")
            if directive.name.value == "join__type":
                if graph not in type_graphs:
                    type_graphs.append(graph)
                key = args.get("key")
                joins.append(
                    (
                        graph,
                        normalize_field_set(key) if key else "",
                        args.get("resolvable", True),
                        args.get("isInterfaceObject", False),
                    )
                )
            elif directive.name.value == "join__implements":
                meta.implements.append((graph, d.name.value, args["interface"]))
            elif directive.name.value == "join__unionMember":
                meta.union_members.append((graph, d.name.value, args["member"]))
        meta.types[d.name.value] = sorted(joins)
        if isinstance(
            d,
            ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode | InputObjectTypeDefinitionNode,
        ):
            for f in d.fields or ():
                meta.fields[f"{d.name.value}.{f.name.value}"] = _routes(
                    f, type_graphs, enum_to_name
                )
        if isinstance(d, EnumTypeDefinitionNode):
            for value in d.values or ():
                graphs = [
                    enum_to_name.get(_args(x).get("graph", ""), "")
                    for x in value.directives or ()
                    if x.name.value == "join__enumValue"
                ]
                meta.enum_values[f"{d.name.value}.{value.name.value}"] = sorted(graphs)
        if isinstance(d, UnionTypeDefinitionNode):
            pass
    meta.implements.sort()
    meta.union_members.sort()
    return meta


def _routes(f: Any, type_graphs: list[str], enum_to_name: dict[str, str]) -> list[FieldRoute]:
    own_type = print_ast(f.type)
    joins = [d for d in f.directives or () if d.name.value == "join__field"]
    if not joins:
        return sorted((g, "", "", own_type, False, "", False, "") for g in type_graphs)
    routes: list[FieldRoute] = []
    for directive in joins:
        args = _args(directive)
        graph = enum_to_name.get(args.get("graph", ""), "")
        routes.append(
            (
                graph,
                normalize_field_set(args["requires"]) if args.get("requires") else "",
                normalize_field_set(args["provides"]) if args.get("provides") else "",
                args.get("type") or own_type,
                bool(args.get("external", False)),
                args.get("override") or "",
                bool(args.get("usedOverridden", False)),
                args.get("overrideLabel") or "",
            )
        )
    return sorted(routes)
