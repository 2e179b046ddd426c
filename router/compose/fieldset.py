"""Field sets (`@key(fields:)`, `@requires`, `@provides`): parsing and walking."""

from __future__ import annotations

from dataclasses import dataclass

from graphql import FieldNode, InlineFragmentNode, SelectionSetNode, Source, parse, print_ast
from graphql.error import GraphQLSyntaxError
from graphql.language import OperationDefinitionNode


def parse_field_set(text: str) -> SelectionSetNode:
    """Parse `id org { id }` as a selection set; raises GraphQLSyntaxError."""
    document = parse("{" + text + "}", no_location=True)
    operation = document.definitions[0]
    if len(document.definitions) != 1 or not isinstance(operation, OperationDefinitionNode):
        raise GraphQLSyntaxError(Source(text), 0, "a field set is one selection set")
    return operation.selection_set


def normalize_field_set(text: str) -> str:
    """One canonical spelling of a field set, to compare two of them."""
    try:
        printed = print_ast(parse_field_set(text))
    except GraphQLSyntaxError:
        return " ".join(text.split())
    return " ".join(printed.strip()[1:-1].split())


@dataclass(frozen=True)
class Selected:
    """One field selected by a field set: parent type name, field name, and nesting."""

    parent: str
    field: str
    has_subselection: bool
    depth: int


def selected_fields(selection_set: SelectionSetNode, parent: str) -> list[tuple[str, FieldNode]]:
    """Top-level `(parent, field node)` pairs, looking through inline fragments."""
    found: list[tuple[str, FieldNode]] = []
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            found.append((parent, selection))
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition.name.value if selection.type_condition else parent
            found.extend(selected_fields(selection.selection_set, condition))
    return found
