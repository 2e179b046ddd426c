"""Read the authorization specs of a supergraph (`authenticated/v0.1`, `requiresScopes/v0.1`,
`policy/v0.1`) into plain data: what each type and field requires.

Names go through each spec's `@link` (renamed with `as:` or imported), like the join spec's.
`@requiresScopes(scopes: [["a", "b"], ["c"]])` means (a AND b) OR c; `@policy` likewise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from graphql import (
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    value_from_ast_untyped,
)

from router.federation.links import Link, find_link

Alternatives = tuple[tuple[str, ...], ...]  # an OR of ANDs


@dataclass(frozen=True)
class Requirement:
    authenticated: bool = False
    scopes: Alternatives | None = None
    policies: Alternatives | None = None

    def __and__(self, other: Requirement) -> Requirement:
        return Requirement(
            self.authenticated or other.authenticated,
            _and(self.scopes, other.scopes),
            _and(self.policies, other.policies),
        )


NONE = Requirement()


def _and(a: Alternatives | None, b: Alternatives | None) -> Alternatives | None:
    if a is None:
        return b
    if b is None:
        return a
    return tuple(tuple(dict.fromkeys(x + y)) for x in a for y in b)


def _lists(directive: DirectiveNode, argument: str) -> Alternatives:
    for arg in directive.arguments or ():
        if arg.name.value == argument:
            value = value_from_ast_untyped(arg.value)
            if isinstance(value, list):
                return tuple(
                    tuple(str(v) for v in (inner if isinstance(inner, list) else [inner]))
                    for inner in value
                )
    return ()


class _Reader:
    def __init__(self, links: tuple[Link, ...]) -> None:
        def local(spec: str) -> str | None:
            link = find_link(links, spec)
            return link.directive(spec) if link is not None else None

        self.authenticated = local("authenticated")
        self.requires_scopes = local("requiresScopes")
        self.policy = local("policy")

    def read(self, directives: tuple[DirectiveNode, ...]) -> Requirement:
        requirement = NONE
        for directive in directives:
            name = directive.name.value
            if name == self.authenticated:
                requirement = requirement & Requirement(authenticated=True)
            elif name == self.requires_scopes:
                requirement = requirement & Requirement(scopes=_lists(directive, "scopes"))
            elif name == self.policy:
                requirement = requirement & Requirement(policies=_lists(directive, "policies"))
        return requirement


def read_requirements(document: DocumentNode, links: tuple[Link, ...]) -> Mapping[str, Requirement]:
    """`Type` and `Type.field` -> what it requires (only those that require something)."""
    reader = _Reader(links)
    if reader.authenticated is None and reader.requires_scopes is None and reader.policy is None:
        return {}
    found: dict[str, Requirement] = {}
    kinds = (
        ObjectTypeDefinitionNode,
        InterfaceTypeDefinitionNode,
        ScalarTypeDefinitionNode,
        EnumTypeDefinitionNode,
    )
    for definition in document.definitions:
        if not isinstance(definition, kinds):
            continue
        own = reader.read(tuple(definition.directives or ()))
        if own != NONE:
            found[definition.name.value] = own
        if isinstance(definition, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            for field in definition.fields or ():
                required = reader.read(tuple(field.directives or ()))
                if required != NONE:
                    found[f"{definition.name.value}.{field.name.value}"] = required
    return found
