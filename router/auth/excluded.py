"""Guarded selections a literal `@skip(if: true)` / `@include(if: false)` leaves out.

The planner drops such selections (router/planner/operation.py), but Apollo Router enforces the
authorization directives on the operation as written (its documentation: a protected field
under a literal or variable exclusion still gets UNAUTHORIZED_FIELD_OR_TYPE), so the caller
must not learn less from leaving a field out this way than from asking for it. This walk finds
them in the document: (requirement, path) pairs, nothing to remove from the plan.
"""

from __future__ import annotations

from graphql import (
    BooleanValueNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)
from graphql.type.definition import is_list_type, is_non_null_type

from router.federation.authorization import NONE, Requirement
from router.supergraph import Supergraph

Excluded = list[tuple[Requirement, tuple[str, ...]]]


def _literally_excluded(node: FieldNode | InlineFragmentNode | FragmentSpreadNode) -> bool:
    for directive in node.directives or ():
        name = directive.name.value
        if name not in ("skip", "include"):
            continue
        for argument in directive.arguments or ():
            value = argument.value
            if argument.name.value == "if" and isinstance(value, BooleanValueNode):
                if value.value != (name == "include"):
                    return True
    return False


def excluded_guards(
    supergraph: Supergraph, document: DocumentNode, definition: OperationDefinitionNode
) -> Excluded:
    rules = supergraph.authorization
    schema = supergraph.schema
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    found: Excluded = []
    root = schema.get_root_type(definition.operation)
    if root is None:
        return found
    root_requirement = rules.get(root.name, NONE)

    def walk(
        selection_set: SelectionSetNode,
        parent: str,
        path: tuple[str, ...],
        excluded: bool,
        seen: frozenset[str],
    ) -> None:
        parent_type = schema.get_type(parent)
        for node in selection_set.selections:
            out = excluded or _literally_excluded(node)  # type: ignore[arg-type]
            if isinstance(node, FieldNode):
                name = node.name.value
                if name.startswith("__") or not isinstance(
                    parent_type, GraphQLObjectType | GraphQLInterfaceType
                ):
                    continue
                definition_ = parent_type.fields.get(name)
                if definition_ is None:
                    continue
                returned = get_named_type(definition_.type).name
                here = (*path, node.alias.value if node.alias else name)
                required = rules.get(f"{parent}.{name}", NONE) & rules.get(returned, NONE)
                if not path:
                    required = required & root_requirement
                if out and required != NONE:
                    found.append((required, here))
                if node.selection_set is not None:
                    field_type = definition_.type
                    if is_non_null_type(field_type):
                        field_type = field_type.of_type
                    inner = (*here, "@") if is_list_type(field_type) else here
                    walk(node.selection_set, returned, inner, out, seen)
                continue
            if isinstance(node, InlineFragmentNode):
                condition = node.type_condition.name.value if node.type_condition else parent
                selections = node.selection_set
                inner_seen = seen
            else:
                assert isinstance(node, FragmentSpreadNode)
                spread = fragments.get(node.name.value)
                if spread is None or node.name.value in seen:
                    continue
                inner_seen = seen | {node.name.value}
                condition, selections = spread.type_condition.name.value, spread.selection_set
            if out and condition != parent and rules.get(condition, NONE) != NONE:
                found.append((rules[condition], path))
            walk(selections, condition, path, out, inner_seen)

    walk(definition.selection_set, root.name, (), False, frozenset())
    return found
