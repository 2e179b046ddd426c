"""Resolve the names of linked specs through `@link` (link v1.0) and reject unsupported features.

A linked spec's elements are named `<prefix>__<element>` where the prefix is the spec name from
the URL, renamed by `as:`; `import:` brings elements in unprefixed (or renamed). The link spec
forbids serving a supergraph that links an EXECUTION or SECURITY feature we do not implement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from graphql import (
    DirectiveNode,
    DocumentNode,
    SchemaDefinitionNode,
    ValueNode,
    value_from_ast_untyped,
)

LINK_URL = re.compile(
    r"^https?://[^/]+(?:/[^/]+)*/(?P<name>[A-Za-z_][\w-]*)/v(?P<version>\d+\.\d+)/?$"
)

# (spec name -> supported versions) for features linked `for: EXECUTION | SECURITY`.
SUPPORTED_PURPOSEFUL = {
    "join": {"0.2", "0.3", "0.4", "0.5"},
    "inaccessible": {"0.1", "0.2"},
    "link": {"1.0"},
    "core": {"0.2"},
    # Enforced by the router before any fetch (router/auth/authorization.py).
    "authenticated": {"0.1"},
    "requiresScopes": {"0.1"},
    "policy": {"0.1"},
}


class SupergraphError(ValueError):
    """The supergraph SDL cannot be served."""


@dataclass(frozen=True)
class Link:
    url: str
    name: str
    version: str
    prefix: str
    purpose: str | None
    imports: tuple[
        tuple[str, str], ...
    ]  # (element as in the spec, local name), with "@" for directives

    def directive(self, element: str) -> str:
        """Local name of the spec's directive `element` (its own-name directive is `@prefix`)."""
        for original, local in self.imports:
            if original == f"@{element}":
                return local[1:]
        if element == self.name:
            return self.prefix
        return f"{self.prefix}__{element}"

    def type_name(self, element: str) -> str:
        for original, local in self.imports:
            if original == element:
                return local
        return f"{self.prefix}__{element}"

    def owns(self, name: str) -> bool:
        """Whether a type or directive name belongs to this feature."""
        if name == self.prefix or name.startswith(f"{self.prefix}__"):
            return True
        return any(local.lstrip("@") == name for _, local in self.imports)


def _argument(directive: DirectiveNode, name: str) -> ValueNode | None:
    for arg in directive.arguments or ():
        if arg.name.value == name:
            return arg.value
    return None


def _parse_link(directive: DirectiveNode) -> Link:
    url_node = _argument(directive, "url")
    url = value_from_ast_untyped(url_node) if url_node is not None else None
    if not isinstance(url, str):
        raise SupergraphError("@link without a url")
    match = LINK_URL.match(url)
    if match is None:
        raise SupergraphError(f"@link url {url!r} is not a spec url (.../<name>/v<major>.<minor>)")
    name, version = match["name"], match["version"]
    as_node = _argument(directive, "as")
    prefix = value_from_ast_untyped(as_node) if as_node is not None else name
    purpose_node = _argument(directive, "for")
    purpose = getattr(purpose_node, "value", None) if purpose_node is not None else None
    imports: list[tuple[str, str]] = []
    import_node = _argument(directive, "import")
    for item in getattr(import_node, "values", ()) or ():
        raw = value_from_ast_untyped(item)
        if isinstance(raw, str):
            imports.append((raw, raw))
        elif isinstance(item.kind, str) and hasattr(item, "fields"):
            fields = {f.name.value: getattr(f.value, "value", None) for f in item.fields}
            original = str(fields.get("name"))
            imports.append((original, str(fields.get("as") or original)))
    return Link(url, name, version, str(prefix), purpose, tuple(imports))


def read_links(schema_def: SchemaDefinitionNode | None) -> tuple[Link, ...]:
    """All `@link`s on the schema definition; the first must be the link spec itself."""
    if schema_def is None:
        raise SupergraphError("not a supergraph: no schema definition with @link")
    links: list[Link] = []
    for directive in schema_def.directives or ():
        # The link spec may itself be renamed; recognise it by its url.
        url_node = _argument(directive, "url")
        if url_node is None:
            continue
        url = value_from_ast_untyped(url_node)
        if isinstance(url, str) and LINK_URL.match(url):
            links.append(_parse_link(directive))
    if not any(link.name in ("link", "core") for link in links):
        raise SupergraphError("not a supergraph: the schema does not @link the link spec")
    return tuple(links)


def check_supported(links: tuple[Link, ...]) -> None:
    """Refuse features linked for EXECUTION or SECURITY that Mosaic does not implement."""
    for link in links:
        if link.purpose is None:
            continue
        supported = SUPPORTED_PURPOSEFUL.get(link.name)
        if supported is None or link.version not in supported:
            raise SupergraphError(
                f"unsupported feature {link.url} (for: {link.purpose}): Mosaic cannot serve "
                "a supergraph that links it"
            )


def schema_definition(document: DocumentNode) -> SchemaDefinitionNode | None:
    return next((d for d in document.definitions if isinstance(d, SchemaDefinitionNode)), None)


def find_link(links: tuple[Link, ...], name: str) -> Link | None:
    for link in links:
        if link.name == name:
            return link
    return None
