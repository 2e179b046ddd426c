"""Supergraph SDL -> API schema (what clients see), as Apollo's `toAPISchema` does.

Removes @inaccessible elements, and the definitions and applications of every linked spec
(`join__*`, `link__*`, `@link`, `@tag`, `@inaccessible`). Works on any supergraph SDL, also
one Apollo composed, so `mosaic check` can compare against old files.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ConstDirectiveNode,
    DirectiveDefinitionNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    FieldDefinitionNode,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ListValueNode,
    NamedTypeNode,
    ObjectTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    SchemaDefinitionNode,
    StringValueNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    build_ast_schema,
    parse,
    print_schema,
)

from router.compose.subgraph import named_type

KEPT_DIRECTIVES = {"deprecated", "specifiedBy", "oneOf"}


def _link_names(document: DocumentNode) -> tuple[set[str], set[str], str]:
    """(prefixes of linked specs, names imported from them, the @inaccessible name)."""
    prefixes: set[str] = set()
    imported: set[str] = set()
    inaccessible = "inaccessible"
    for definition in document.definitions:
        if not isinstance(definition, SchemaDefinitionNode):
            continue
        for directive in definition.directives or ():
            if directive.name.value != "link":
                continue
            args = {a.name.value: a.value for a in directive.arguments or ()}
            url = args.get("url")
            if not isinstance(url, StringValueNode):
                continue
            parts = url.value.rstrip("/").split("/")
            name = parts[-2] if len(parts) > 1 and parts[-1].startswith("v") else parts[-1]
            alias = args.get("as")
            prefix = alias.value if isinstance(alias, StringValueNode) else name
            prefixes.add(prefix)
            imported.add(prefix)  # the spec's own directive, e.g. @tag
            if name == "inaccessible":
                inaccessible = prefix
            imports = args.get("import")
            for item in imports.values if isinstance(imports, ListValueNode) else ():
                if isinstance(item, StringValueNode):
                    imported.add(item.value.lstrip("@"))
    return prefixes, imported, inaccessible


def _strip(node: Any, keep: set[str]) -> tuple[ConstDirectiveNode, ...]:
    return tuple(d for d in node.directives or () if d.name.value in keep)


def api_document(supergraph_sdl: str) -> DocumentNode:
    document = parse(supergraph_sdl)
    prefixes, imported, inaccessible = _link_names(document)

    def linked(name: str) -> bool:
        return name in imported or any(name.startswith(f"{p}__") for p in prefixes)

    def hidden(node: Any) -> bool:
        return any(d.name.value == inaccessible for d in node.directives or ())

    custom = {
        d.name.value
        for d in document.definitions
        if isinstance(d, DirectiveDefinitionNode) and not linked(d.name.value)
    }
    keep = KEPT_DIRECTIVES | custom
    removed_types = {
        d.name.value
        for d in document.definitions
        if isinstance(d, TypeDefinitionNode) and (linked(d.name.value) or hidden(d))
    }
    definitions: list[Any] = []
    for d in document.definitions:
        if isinstance(d, SchemaDefinitionNode):
            ops = tuple(o for o in d.operation_types if o.type.name.value not in removed_types)
            definitions.append(SchemaDefinitionNode(operation_types=ops, directives=()))
        elif isinstance(d, DirectiveDefinitionNode):
            if d.name.value in custom:
                definitions.append(d)
        elif isinstance(d, TypeDefinitionNode) and d.name.value not in removed_types:
            definitions.append(_clean_type(d, keep, hidden, removed_types))
    return DocumentNode(definitions=tuple(definitions))


def _clean_type(d: Any, keep: set[str], hidden: Any, removed: set[str]) -> Any:
    changes: dict[str, Any] = {"directives": _strip(d, keep)}
    if isinstance(d, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
        changes["interfaces"] = tuple(i for i in d.interfaces or () if i.name.value not in removed)
    if isinstance(d, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
        changes["fields"] = tuple(
            _clean_field(f, keep, hidden) for f in d.fields or () if not hidden(f)
        )
    elif isinstance(d, InputObjectTypeDefinitionNode):
        changes["fields"] = tuple(
            f.__class__(**{**_fields(f), "directives": _strip(f, keep)})
            for f in d.fields or ()
            if not hidden(f)
        )
    elif isinstance(d, EnumTypeDefinitionNode):
        changes["values"] = tuple(
            v.__class__(**{**_fields(v), "directives": _strip(v, keep)})
            for v in d.values or ()
            if not hidden(v)
        )
    elif isinstance(d, UnionTypeDefinitionNode):
        changes["types"] = tuple(
            NamedTypeNode(name=t.name) for t in d.types or () if t.name.value not in removed
        )
    elif isinstance(d, ScalarTypeDefinitionNode):
        pass
    return d.__class__(**{**_fields(d), **changes})


def _clean_field(f: FieldDefinitionNode, keep: set[str], hidden: Any) -> FieldDefinitionNode:
    args = tuple(
        a.__class__(**{**_fields(a), "directives": _strip(a, keep)})
        for a in f.arguments or ()
        if not hidden(a)
    )
    return FieldDefinitionNode(**{**_fields(f), "directives": _strip(f, keep), "arguments": args})


def _fields(node: Any) -> dict[str, Any]:
    return {k: getattr(node, k) for k in node.keys if k != "loc"}


def api_schema(supergraph_sdl: str) -> GraphQLSchema:
    return build_ast_schema(api_document(supergraph_sdl))


def print_api_schema(supergraph_sdl: str) -> str:
    return print_schema(api_schema(supergraph_sdl))


def returned_type(f: FieldDefinitionNode) -> str:
    return named_type(f.type)
