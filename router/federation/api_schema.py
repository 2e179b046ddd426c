"""Derive the API schema (what clients see) from the supergraph document, as Apollo's
`toAPISchema` does.

Removes `@inaccessible` elements, every definition and application of linked features
(`join__*`, `link__*`, `@link`, `@tag`, `@inaccessible`, ...), and custom `@defer`/`@stream`.
The router serves this schema and `mosaic check` compares two of them, so a check judges
breaking changes against exactly what clients are served.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    GraphQLSchema,
    Node,
    SchemaDefinitionNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    Visitor,
    build_ast_schema,
    get_named_type,
    is_object_type,
    parse,
    print_schema,
    visit,
)
from graphql.language import REMOVE

from router.federation.links import Link, SupergraphError, find_link, read_links, schema_definition

_BUILTIN_DIRECTIVES = {"skip", "include", "deprecated", "specifiedBy", "oneOf"}


class _Strip(Visitor):
    def __init__(self, links: tuple[Link, ...], inaccessible: str | None) -> None:
        super().__init__()
        self.links = links
        self.inaccessible = inaccessible

    def _feature(self, name: str) -> bool:
        return any(link.owns(name) for link in self.links)

    def _hidden(self, node: Node) -> bool:
        return self.inaccessible is not None and any(
            d.name.value == self.inaccessible for d in getattr(node, "directives", None) or ()
        )

    def enter_directive(self, node: DirectiveNode, *_: Any) -> Any:
        return REMOVE if self._feature(node.name.value) else None

    def enter_directive_definition(self, node: DirectiveDefinitionNode, *_: Any) -> Any:
        name = node.name.value
        if self._feature(name) or name in ("defer", "stream") or name in _BUILTIN_DIRECTIVES:
            return REMOVE
        return None

    def enter_schema_definition(self, node: SchemaDefinitionNode, *_: Any) -> Any:
        return None

    def enter(self, node: Node, *_: Any) -> Any:
        if isinstance(node, TypeDefinitionNode | TypeExtensionNode):
            if self._feature(node.name.value) or self._hidden(node):
                return REMOVE
        elif node.kind in (
            "field_definition",
            "input_value_definition",
            "enum_value_definition",
        ) and self._hidden(node):
            return REMOVE
        return None


def _removed_types(document: DocumentNode, stripped: DocumentNode) -> set[str]:
    before = {d.name.value for d in document.definitions if isinstance(d, TypeDefinitionNode)}
    after = {d.name.value for d in stripped.definitions if isinstance(d, TypeDefinitionNode)}
    return before - after


class _DropDangling(Visitor):
    """Drop union members and implemented interfaces that were removed."""

    def __init__(self, removed: set[str]) -> None:
        super().__init__()
        self.removed = removed

    def enter_named_type(self, node: Any, key: Any, parent: Any, *_: Any) -> Any:
        if node.name.value in self.removed and key is not None and isinstance(key, int):
            return REMOVE
        return None


def build_api_schema(document: DocumentNode, links: tuple[Link, ...]) -> GraphQLSchema:
    inaccessible_link = find_link(links, "inaccessible")
    inaccessible = inaccessible_link.directive("inaccessible") if inaccessible_link else None
    stripped = visit(document, _Strip(links, inaccessible))
    removed = _removed_types(document, stripped)
    if removed:
        stripped = visit(stripped, _DropDangling(removed))
    try:
        schema = build_ast_schema(stripped)
    except Exception as error:  # an invalid supergraph file, never one composition produced
        raise SupergraphError(f"the API schema is invalid: {error}") from error
    _check_no_dangling(schema, removed)
    return schema


def _check_no_dangling(schema: GraphQLSchema, removed: set[str]) -> None:
    for t in schema.type_map.values():
        if t.name.startswith("__") or not is_object_type(t):
            continue
        for name, field in t.fields.items():
            if get_named_type(field.type).name in removed:
                raise SupergraphError(
                    f"{t.name}.{name} returns the @inaccessible type "
                    f"{get_named_type(field.type).name}"
                )


def api_schema(supergraph_sdl: str) -> GraphQLSchema:
    """The API schema of a supergraph SDL; raises SupergraphError when it cannot be derived."""
    try:
        document = parse(supergraph_sdl)
    except Exception as error:
        raise SupergraphError(f"the supergraph does not parse: {error}") from error
    return build_api_schema(document, read_links(schema_definition(document)))


def print_api_schema(supergraph_sdl: str) -> str:
    return print_schema(api_schema(supergraph_sdl))
