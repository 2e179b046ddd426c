"""The static cost model of a supergraph: Federation's demand-control directives, read once.

`@cost(weight:)` on a field or type replaces the default weight (1 for an object, interface or
union, 0 for a scalar or enum); `@listSize(assumedSize:, slicingArguments:)` on a list field says
how many items it returns (the first slicing argument given as a literal, else `assumedSize`,
else the setting MOSAIC_ROUTER_COST_LIST_SIZE). A list field multiplies the cost of what it
selects; a mutation's root field weighs 10 more, as in Apollo Router's demand control
(https://www.apollographql.com/docs/graphos/routing/security/demand-control).
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DirectiveNode,
    GraphQLSchema,
    IntValueNode,
    ListValueNode,
    StringValueNode,
    is_composite_type,
)

from router.federation.links import SupergraphError, find_link, read_links
from router.supergraph import Supergraph

MUTATION_WEIGHT = 10


@dataclass(frozen=True, slots=True)
class ListSize:
    assumed: int | None
    slicing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CostModel:
    type_weights: dict[str, int]  # @cost on types (and the defaults: composite 1, leaf 0)
    field_weights: dict[tuple[str, str], int]  # (type, field) -> @cost(weight:)
    list_sizes: dict[tuple[str, str], ListSize]  # (type, field) -> @listSize

    @staticmethod
    def of(supergraph: Supergraph) -> CostModel:
        schema: GraphQLSchema = supergraph.schema
        cost_name, list_size_name = "cost", "listSize"
        try:
            link = find_link(read_links(schema.ast_node), "cost")
        except SupergraphError:
            link = None
        if link is not None:
            cost_name, list_size_name = link.directive("cost"), link.directive("listSize")
        type_weights: dict[str, int] = {}
        field_weights: dict[tuple[str, str], int] = {}
        list_sizes: dict[tuple[str, str], ListSize] = {}
        for name, graphql_type in schema.type_map.items():
            weight = _weight(_directives(graphql_type), cost_name)
            if weight is None:
                weight = 1 if is_composite_type(graphql_type) else 0
            type_weights[name] = weight
            for field_name, field in (getattr(graphql_type, "fields", None) or {}).items():
                directives = _directives(field)
                found = _weight(directives, cost_name)
                if found is not None:
                    field_weights[name, field_name] = found
                size = _list_size(directives, list_size_name)
                if size is not None:
                    list_sizes[name, field_name] = size
        return CostModel(type_weights, field_weights, list_sizes)


def _directives(element: object) -> tuple[DirectiveNode, ...]:
    node = getattr(element, "ast_node", None)
    found = tuple(getattr(node, "directives", None) or ())
    for extension in getattr(element, "extension_ast_nodes", None) or ():
        found += tuple(extension.directives or ())
    return found


def _weight(directives: tuple[DirectiveNode, ...], name: str) -> int | None:
    for directive in directives:
        if directive.name.value == name:
            for argument in directive.arguments or ():
                if argument.name.value == "weight" and isinstance(argument.value, IntValueNode):
                    return int(argument.value.value)
    return None


def _list_size(directives: tuple[DirectiveNode, ...], name: str) -> ListSize | None:
    for directive in directives:
        if directive.name.value != name:
            continue
        assumed: int | None = None
        slicing: tuple[str, ...] = ()
        for argument in directive.arguments or ():
            value = argument.value
            if argument.name.value == "assumedSize" and isinstance(value, IntValueNode):
                assumed = int(value.value)
            elif argument.name.value == "slicingArguments" and isinstance(value, ListValueNode):
                slicing = tuple(v.value for v in value.values if isinstance(v, StringValueNode))
        return ListSize(assumed, slicing)
    return None
