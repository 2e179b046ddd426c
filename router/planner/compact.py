"""Compact printing of the value-carrying parts of subgraph operations, from the AST.

Subgraph operations are printed once per plan without ignored whitespace. Compacting printed text
(`.replace(", ", ",")`) would also rewrite string literals (`"a, b"` -> `"a,b"`), so arguments,
directives and variable definitions are printed token by token here; string values go through
graphql-core's `print_string`, which escapes exactly what must be escaped.
"""

from __future__ import annotations

from graphql import (
    ArgumentNode,
    DirectiveNode,
    ListValueNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
    print_ast,
)
from graphql.language.print_string import print_string


def compact_value(node: ValueNode) -> str:
    """A value literal with no ignored characters; strings (block strings too) as `"..."`."""
    if isinstance(node, StringValueNode):
        return print_string(node.value)  # a block string's value, printed as a plain string
    if isinstance(node, VariableNode):
        return "$" + node.name.value
    if isinstance(node, ListValueNode):
        return "[" + ",".join(compact_value(v) for v in node.values) + "]"
    if isinstance(node, ObjectValueNode):
        fields = (f"{f.name.value}:{compact_value(f.value)}" for f in node.fields)
        return "{" + ",".join(fields) + "}"
    return print_ast(node)  # Int, Float, Boolean, Null, Enum: one token each


def compact_arguments(arguments: tuple[ArgumentNode, ...]) -> str:
    """`(name:value,...)`, or "" with no arguments."""
    if not arguments:
        return ""
    return "(" + ",".join(f"{a.name.value}:{compact_value(a.value)}" for a in arguments) + ")"


def compact_directive(node: DirectiveNode) -> str:
    return "@" + node.name.value + compact_arguments(tuple(node.arguments or ()))


def compact_variable_definition(node: VariableDefinitionNode) -> str:
    """`$name:Type=default @directives`; the type prints without spaces already."""
    text = f"${node.variable.name.value}:{print_ast(node.type)}"
    if node.default_value is not None:
        text += "=" + compact_value(node.default_value)
    for directive in node.directives or ():
        text += " " + compact_directive(directive)
    return text
