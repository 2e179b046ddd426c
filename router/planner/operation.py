"""Normalize a client operation: named fragments inlined, literal @skip/@include evaluated,
duplicate fields merged; variable conditions kept. The planner and the shaper both read it."""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    get_named_type,
    print_ast,
)


class OperationError(ValueError):
    """The document has no single executable operation matching the request."""


@dataclass(frozen=True)
class Condition:
    """`@skip(if: $variable)` (include=False) or `@include(if: $variable)` (include=True)."""

    variable: str
    include: bool

    def render(self) -> str:
        return f"@{'include' if self.include else 'skip'}(if: ${self.variable})"


@dataclass(frozen=True)
class Field:
    response_key: str
    name: str
    type_name: str  # the named type the field returns (supergraph)
    arguments: tuple[ArgumentNode, ...]
    conditions: tuple[Condition, ...]
    selections: tuple[Selection, ...] | None
    directives: tuple[DirectiveNode, ...] = ()  # other directives, forwarded to subgraphs


@dataclass(frozen=True)
class Fragment:
    type_condition: str | None
    conditions: tuple[Condition, ...]
    selections: tuple[Selection, ...]


Selection = Field | Fragment


@dataclass(frozen=True)
class Operation:
    kind: str  # "query" | "mutation" | "subscription"
    name: str | None
    root_type: str
    variables: tuple[VariableDefinitionNode, ...]
    selections: tuple[Selection, ...]


def select_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        for op in operations:
            if op.name is not None and op.name.value == name:
                return op
        raise OperationError(f'Unknown operation named "{name}".')
    if len(operations) != 1:
        if not operations:
            raise OperationError("The document contains no operation.")
        raise OperationError("Must provide operation name if query contains multiple operations.")
    return operations[0]


def _conditions(
    directives: tuple[DirectiveNode, ...] | list[DirectiveNode] | None,
) -> tuple[Condition, ...] | None:
    """Variable conditions of a selection, or None when a literal condition excludes it."""
    found: list[Condition] = []
    for d in directives or ():
        name = d.name.value
        if name not in ("skip", "include"):
            continue
        arg = next((a for a in d.arguments or () if a.name.value == "if"), None)
        if arg is None:
            continue
        value = arg.value
        include = name == "include"
        if isinstance(value, BooleanValueNode):
            if value.value != include:
                return None
        elif isinstance(value, VariableNode):
            found.append(Condition(value.name.value, include))
    return tuple(found)


def _other_directives(
    directives: tuple[DirectiveNode, ...] | list[DirectiveNode] | None,
) -> tuple[DirectiveNode, ...]:
    return tuple(d for d in directives or () if d.name.value not in ("skip", "include"))


class _Normalizer:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.schema = schema
        self.fragments = fragments

    def selections(
        self, node: SelectionSetNode, parent: str, seen: frozenset[str]
    ) -> tuple[Selection, ...]:
        out: list[Selection] = []
        for sel in node.selections:
            if isinstance(sel, FieldNode):
                field = self.field(sel, parent, seen)
                if field is not None:
                    out.append(field)
            elif isinstance(sel, InlineFragmentNode):
                conds = _conditions(sel.directives)
                if conds is None:
                    continue
                tc = sel.type_condition.name.value if sel.type_condition else None
                inner = self.selections(sel.selection_set, tc or parent, seen)
                out.append(Fragment(None if tc == parent else tc, conds, inner))
            elif isinstance(sel, FragmentSpreadNode):
                conds = _conditions(sel.directives)
                name = sel.name.value
                if conds is None or name in seen:
                    continue
                definition = self.fragments.get(name)
                if definition is None:
                    raise OperationError(f'Unknown fragment "{name}".')
                tc = definition.type_condition.name.value
                inner = self.selections(definition.selection_set, tc, seen | {name})
                out.append(Fragment(None if tc == parent else tc, conds, inner))
        return merge_selections(out)

    def field(self, node: FieldNode, parent: str, seen: frozenset[str]) -> Field | None:
        conds = _conditions(node.directives)
        if conds is None:
            return None
        name = node.name.value
        key = node.alias.value if node.alias else name
        if name == "__typename":
            type_name = "String"
        elif name in ("__schema", "__type"):
            type_name = "__Schema" if name == "__schema" else "__Type"
        else:
            parent_type = self.schema.get_type(parent)
            fields = getattr(parent_type, "fields", None) or {}
            if name not in fields:
                raise OperationError(f'Cannot query field "{name}" on type "{parent}".')
            type_name = get_named_type(fields[name].type).name
        children = None
        if node.selection_set is not None:
            children = self.selections(node.selection_set, type_name, seen)
        return Field(
            key, name, type_name, tuple(node.arguments or ()), conds, children,
            _other_directives(node.directives),
        )  # fmt: skip


def _field_key(field: Field) -> tuple[object, ...]:
    """Fields with equal keys merge: one response key, name, conditions, arguments, directives."""
    arguments = tuple(print_ast(a) for a in field.arguments) if field.arguments else ()
    directives = tuple(print_ast(d) for d in field.directives) if field.directives else ()
    return (field.response_key, field.name, field.conditions, arguments, directives)


def _flatten_same_type(items: list[Selection]) -> list[Selection]:
    """Inline fragments with no type condition and no conditions, recursively, in order."""
    out: list[Selection] = []
    for item in items:
        if isinstance(item, Fragment) and item.type_condition is None and not item.conditions:
            out.extend(_flatten_same_type(list(item.selections)))
        else:
            out.append(item)
    return out


def merge_selections(items: list[Selection]) -> tuple[Selection, ...]:
    """Merge fields with one response key (and same conditions) and identical fragments,
    keeping the order of first occurrence (CollectFields). Linear in the selections: twins are
    found by a dict key, and each group's sub-selections are merged once, together."""
    groups: list[list[Selection]] = []
    fields: dict[tuple[object, ...], int] = {}  # _field_key -> index in `groups`
    fragments: dict[tuple[str | None, tuple[Condition, ...]], int] = {}
    for item in _flatten_same_type(items):
        if isinstance(item, Field):
            field_key = _field_key(item)
            index = fields.get(field_key)
            if index is not None:
                groups[index].append(item)
            else:
                fields[field_key] = len(groups)
                groups.append([item])
        else:
            key = (item.type_condition, item.conditions)
            found = fragments.get(key)
            if found is not None:
                groups[found].append(item)
            else:
                fragments[key] = len(groups)
                groups.append([item])
    out: list[Selection] = []
    for group in groups:
        first = group[0]
        if len(group) == 1:
            out.append(first)
        elif isinstance(first, Field):
            if first.selections is None:
                out.append(first)
                continue
            children = [
                child
                for twin in group
                if isinstance(twin, Field) and twin.selections is not None
                for child in twin.selections
            ]
            out.append(
                Field(
                    first.response_key, first.name, first.type_name, first.arguments,
                    first.conditions, merge_selections(children), first.directives,
                )
            )  # fmt: skip
        else:
            children = [child for twin in group for child in twin.selections]  # type: ignore[union-attr]
            out.append(Fragment(first.type_condition, first.conditions, merge_selections(children)))
    return tuple(out)


def normalize(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
) -> Operation:
    """Normalize the selected operation against `schema` (the supergraph or API schema)."""
    op = select_operation(document, operation_name)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    kind = op.operation.value
    root = {
        "query": schema.query_type,
        "mutation": schema.mutation_type,
        "subscription": schema.subscription_type,
    }[kind]
    if root is None:
        raise OperationError(f"The schema has no {kind} type.")
    selections = _Normalizer(schema, fragments).selections(op.selection_set, root.name, frozenset())
    return Operation(
        kind=kind,
        name=op.name.value if op.name else None,
        root_type=root.name,
        variables=tuple(op.variable_definitions or ()),
        selections=selections,
    )
