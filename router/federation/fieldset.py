"""Field sets (`@key(fields:)`, `@requires`, `@provides`): the one parser, and helpers.

Composition, the supergraph loader and the checks all parse field sets here, so a field set
is valid or invalid the same way everywhere.
"""

from __future__ import annotations

from graphql import FieldNode, InlineFragmentNode, SelectionSetNode, print_ast
from graphql.error import GraphQLSyntaxError
from graphql.language.parser import Parser
from graphql.language.token_kind import TokenKind


def parse_field_set(text: str) -> SelectionSetNode:
    """Parse `id org { id }` as a selection set; raises GraphQLSyntaxError, also for anything
    after the selection set (`id } { name` is not a field set)."""
    parser = Parser("{" + text + "}", no_location=True)
    parser.expect_token(TokenKind.SOF)
    selection_set = parser.parse_selection_set()
    parser.expect_token(TokenKind.EOF)
    return selection_set


def normalize_field_set(text: str) -> str:
    """One canonical spelling of a field set, to compare two of them."""
    try:
        printed = print_ast(parse_field_set(text))
    except GraphQLSyntaxError:
        return " ".join(text.split())
    return " ".join(printed.strip()[1:-1].split())


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
