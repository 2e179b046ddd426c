"""The frozen supergraph model the planner reads: graphs, types, keys and per-subgraph fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from graphql import GraphQLSchema, SelectionSetNode

from router.federation.authorization import Requirement
from router.federation.join import Graph

__all__ = ["FieldModel", "FieldSource", "Graph", "Key", "Supergraph", "TypeKind", "TypeModel"]

TypeKind = Literal["object", "interface", "union", "enum", "scalar", "input"]


@dataclass(frozen=True)
class Key:
    graph: str
    fields: str
    selection: SelectionSetNode
    resolvable: bool


@dataclass(frozen=True)
class FieldSource:
    """A field as one subgraph declares it (one `@join__field`, or implied by `@join__type`)."""

    graph: str
    external: bool = False
    requires: SelectionSetNode | None = None
    requires_text: str | None = None
    provides: SelectionSetNode | None = None
    provides_text: str | None = None
    overrides: str | None = None  # the subgraph this one took the field from
    override_label: str | None = None
    type: str | None = None  # the field's type in that subgraph when it differs

    def resolvable(self, labels: frozenset[str]) -> bool:
        if self.external:
            return False
        if self.override_label is not None:
            enabled = self.override_label in labels
            return enabled if self.overrides is not None else not enabled
        return True


@dataclass(frozen=True)
class FieldModel:
    name: str
    type_name: str  # the named (innermost) type in the supergraph
    sources: Mapping[str, FieldSource]  # graph name -> declaration (external ones included)
    shareable: bool


@dataclass(frozen=True)
class TypeModel:
    name: str
    kind: TypeKind
    graphs: frozenset[str]
    keys: tuple[Key, ...] = ()
    interface_object_graphs: frozenset[str] = frozenset()
    fields: Mapping[str, FieldModel] = field(default_factory=dict)
    implements: Mapping[str, frozenset[str]] = field(default_factory=dict)  # graph -> interfaces
    members: Mapping[str, frozenset[str]] = field(default_factory=dict)  # union: graph -> members

    def keys_in(self, graph: str) -> tuple[Key, ...]:
        return tuple(k for k in self.keys if k.graph == graph)


@dataclass(frozen=True)
class Supergraph:
    sdl: str
    hash: str
    graphs: Mapping[str, Graph]
    types: Mapping[str, TypeModel]
    schema: GraphQLSchema  # the supergraph itself: field types and possible types for planning
    api_schema: GraphQLSchema  # what clients see: validation and introspection
    root_types: Mapping[str, str]  # "query" | "mutation" | "subscription" -> type name
    possible: Mapping[str, frozenset[str]]  # abstract or object type -> object types (supergraph)
    # `Type` / `Type.field` -> its @authenticated, @requiresScopes, @policy (router/auth).
    authorization: Mapping[str, Requirement] = field(default_factory=dict)

    def possible_in(self, type_name: str, graph: str) -> frozenset[str]:
        """Object types a field of type `type_name` can return in `graph`."""
        model = self.types[type_name]
        if model.kind == "object":
            return frozenset({type_name}) if graph in model.graphs else frozenset()
        if model.kind == "interface" and graph in model.interface_object_graphs:
            return frozenset({type_name})
        if model.kind == "union":
            if model.members:
                return model.members.get(graph, frozenset())
            return frozenset(t for t in self.possible[type_name] if graph in self.types[t].graphs)
        return frozenset(
            t
            for t in self.possible.get(type_name, ())
            if type_name in self.types[t].implements.get(graph, frozenset())
        )

    def is_abstract(self, type_name: str) -> bool:
        return self.types[type_name].kind in ("interface", "union")
