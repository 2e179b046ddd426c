"""Stage `limits` (once per new document): depth, aliases, root fields, directives per field and
the static cost estimate, measured in one pass over the AST before graphql-core's validation.

It runs before validation on purpose: some validation rules do work that grows faster than the
document (OverlappingFieldsCanBeMerged compares fields pairwise), and an expanded fragment
"bomb" (fragments spreading fragments many times) is exponentially larger than its text. Here
each fragment is measured once and its measure reused at every spread, so the pass is linear in
the document's size whatever it expands to. Every operation of the document is measured (the
validation that follows reads all of them). Unknown fields and fragments count as leaves:
validation reports them right after.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
)

from router.pipeline.cost import MUTATION_WEIGHT, CostModel
from router.pipeline.types import Document, RequestError
from router.settings import RouterSettings

log = logging.getLogger("mosaic.router")


@dataclass(frozen=True, slots=True)
class Measure:
    """A selection set, expanded through its fragments."""

    depth: int = 0  # fields on the longest path down
    aliases: int = 0
    width: int = 0  # fields directly in it (through fragments): the root fields at the root
    directives: int = 0  # the most directives on one selection
    cost: int = 0


class Limits:
    def __init__(self, settings: RouterSettings, schema: GraphQLSchema, costs: CostModel) -> None:
        self.schema = schema
        self.costs = costs
        self.max_depth = settings.max_depth
        self.max_aliases = settings.max_aliases
        self.max_root_fields = settings.max_root_fields
        self.max_directives = settings.max_directives
        self.cost_mode = settings.cost_mode
        self.max_cost = settings.max_cost
        self.list_size = settings.cost_list_size

    def __call__(self, document: Document) -> Document:
        walk = _Walk(self, document)
        total = 0
        for definition in document.document.definitions:
            if not isinstance(definition, OperationDefinitionNode):
                continue
            root = {
                OperationType.QUERY: self.schema.query_type,
                OperationType.MUTATION: self.schema.mutation_type,
                OperationType.SUBSCRIPTION: self.schema.subscription_type,
            }[definition.operation]
            mutation = definition.operation == OperationType.MUTATION
            measure = walk.selections(definition.selection_set, root.name if root else "", mutation)
            directives = max(measure.directives, len(definition.directives or ()))
            self._check(measure, directives)
            total = max(total, measure.cost)
        return replace(document, cost=total)

    def _check(self, measure: Measure, directives: int) -> None:
        if self.max_depth and measure.depth > self.max_depth:
            raise RequestError(
                f"The operation is {measure.depth} fields deep; the limit is {self.max_depth} "
                "(MOSAIC_ROUTER_MAX_DEPTH).",
                "MAX_DEPTH_LIMIT",
            )
        if self.max_aliases and measure.aliases > self.max_aliases:
            raise RequestError(
                f"The operation has {measure.aliases} aliases; the limit is {self.max_aliases} "
                "(MOSAIC_ROUTER_MAX_ALIASES).",
                "MAX_ALIASES_LIMIT",
            )
        if self.max_root_fields and measure.width > self.max_root_fields:
            raise RequestError(
                f"The operation has {measure.width} root fields; the limit is "
                f"{self.max_root_fields} (MOSAIC_ROUTER_MAX_ROOT_FIELDS).",
                "MAX_ROOT_FIELDS_LIMIT",
            )
        if self.max_directives and directives > self.max_directives:
            raise RequestError(
                f"A selection of the operation has {directives} directives; the limit is "
                f"{self.max_directives} (MOSAIC_ROUTER_MAX_DIRECTIVES).",
                "MAX_DIRECTIVES_LIMIT",
            )
        if self.cost_mode != "off" and self.max_cost and measure.cost > self.max_cost:
            message = (
                f"The operation's estimated cost is {measure.cost}; the limit is "
                f"{self.max_cost} (MOSAIC_ROUTER_MAX_COST)."
            )
            if self.cost_mode == "enforce":
                raise RequestError(message, "COST_ESTIMATED_TOO_EXPENSIVE")
            log.warning("%s Not refused: MOSAIC_ROUTER_COST_MODE=measure.", message)


class _Walk:
    def __init__(self, limits: Limits, document: Document) -> None:
        self.schema = limits.schema
        self.costs = limits.costs
        self.list_size = limits.list_size
        self.fragments = {
            d.name.value: d
            for d in document.document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        self.measured: dict[str, Measure] = {}
        self.measuring: set[str] = set()  # a cycle (validation refuses it) counts as nothing

    def fragment(self, name: str) -> Measure:
        found = self.measured.get(name)
        if found is not None:
            return found
        definition = self.fragments.get(name)
        if definition is None or name in self.measuring:
            return Measure()
        self.measuring.add(name)
        found = self.selections(definition.selection_set, definition.type_condition.name.value)
        self.measuring.discard(name)
        self.measured[name] = found
        return found

    def selections(
        self, selection_set: SelectionSetNode, parent: str, mutation: bool = False
    ) -> Measure:
        depth = aliases = width = directives = cost = 0
        for selection in selection_set.selections:
            directives = max(directives, len(selection.directives or ()))
            if isinstance(selection, FieldNode):
                inner = self.field(selection, parent)
                width += 1
                if selection.alias is not None:
                    aliases += 1
                cost += inner.cost + (MUTATION_WEIGHT if mutation else 0)
            else:
                if isinstance(selection, InlineFragmentNode):
                    condition = selection.type_condition
                    inner = self.selections(
                        selection.selection_set,
                        condition.name.value if condition else parent,
                        mutation,
                    )
                else:
                    assert isinstance(selection, FragmentSpreadNode)
                    inner = self.fragment(selection.name.value)
                width += inner.width
                cost += inner.cost
            depth = max(depth, inner.depth)
            aliases += inner.aliases
            directives = max(directives, inner.directives)
        return Measure(depth, aliases, width, directives, cost)

    def field(self, node: FieldNode, parent: str) -> Measure:
        """The measure of a field: depth counts the field itself, width is left to the caller."""
        name = node.name.value
        parent_type = self.schema.type_map.get(parent)
        definition = (getattr(parent_type, "fields", None) or {}).get(name)
        named = get_named_type(definition.type).name if definition is not None else ""
        children = Measure()
        if node.selection_set is not None:
            children = self.selections(node.selection_set, named)
        if definition is None or name.startswith("__"):  # introspection costs nothing
            return Measure(children.depth + 1, children.aliases, 0, children.directives, 0)
        costs = self.costs
        weight = costs.field_weights.get((parent, name))
        if weight is None:
            weight = costs.type_weights.get(named, 0)
        cost = weight + children.cost
        field_type = definition.type
        if isinstance(field_type, GraphQLNonNull):
            field_type = field_type.of_type
        if isinstance(field_type, GraphQLList):
            cost *= self._size(node, parent, name)
        return Measure(children.depth + 1, children.aliases, 0, children.directives, cost)

    def _size(self, node: FieldNode, parent: str, name: str) -> int:
        declared = self.costs.list_sizes.get((parent, name))
        if declared is None:
            return self.list_size
        for argument in node.arguments or ():
            if argument.name.value in declared.slicing and isinstance(argument.value, IntValueNode):
                return max(0, int(argument.value.value))
        return declared.assumed if declared.assumed is not None else self.list_size
