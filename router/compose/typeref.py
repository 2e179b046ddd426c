"""Type references: equality and the subtyping composition uses to merge field types."""

from __future__ import annotations

from collections.abc import Callable

from graphql import ListTypeNode, NamedTypeNode, NonNullTypeNode, TypeNode, print_ast

# (maybe_subtype_name, supertype_name) -> True when the named type is an implementation
# of the interface or a member of the union.
NamedSubtype = Callable[[str, str], bool]


def same_type(a: TypeNode, b: TypeNode) -> bool:
    return print_ast(a) == print_ast(b)


def is_subtype(sup: TypeNode, sub: TypeNode, named: NamedSubtype) -> bool:
    """`sub` can be used where `sup` is expected (Apollo's default subtyping rules)."""
    if isinstance(sub, NonNullTypeNode):
        if isinstance(sup, NonNullTypeNode):
            return is_subtype(sup.type, sub.type, named)
        return is_subtype(sup, sub.type, named)
    if isinstance(sup, NonNullTypeNode):
        return False
    if isinstance(sup, ListTypeNode) and isinstance(sub, ListTypeNode):
        return is_subtype(sup.type, sub.type, named)
    if isinstance(sup, ListTypeNode) or isinstance(sub, ListTypeNode):
        return False
    assert isinstance(sup, NamedTypeNode) and isinstance(sub, NamedTypeNode)
    return sup.name.value == sub.name.value or named(sub.name.value, sup.name.value)


def is_strict_subtype(sup: TypeNode, sub: TypeNode, named: NamedSubtype) -> bool:
    return not same_type(sup, sub) and is_subtype(sup, sub, named)


def is_required(type_: TypeNode, default: object) -> bool:
    return isinstance(type_, NonNullTypeNode) and default is None
