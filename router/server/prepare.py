"""Parse, validate, normalize, plan and compile shaping once per (schema, document, operation).

Later requests with the same document do no GraphQL parsing or validation at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableDefinitionNode,
    parse,
    validate,
)

from router.auth.authorization import Guards, guards, restrict
from router.executor.shape import Shaper, compile_shape
from router.planner import (
    Operation,
    OperationError,
    PlanningError,
    QueryPlan,
    build_plan,
    normalize,
)
from router.planner.operation import select_operation
from router.server.cache import LRU
from router.supergraph import Supergraph

INTROSPECTION_FIELDS = ("__schema", "__type")


class RequestError(Exception):
    """The request cannot be executed; `status` is the HTTP status for graphql-response+json."""

    def __init__(self, message: str, code: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


@dataclass
class Prepared:
    document: DocumentNode
    definition: OperationDefinitionNode
    operation: Operation
    shaper: Shaper
    introspection: DocumentNode | None  # the introspection-only part, answered by graphql-core
    has_plan_fields: bool
    variable_definitions: tuple[VariableDefinitionNode, ...]
    plans: dict[frozenset[str], QueryPlan] = field(default_factory=dict)
    # Authorization (router/auth/authorization.py): the operation as planned, and its guarded
    # selections; None when the operation touches nothing that requires authorization.
    planning: Operation | None = None
    guards: Guards | None = None
    restricted_plans: dict[tuple[tuple[int, ...], frozenset[str]], QueryPlan | None] = field(
        default_factory=dict
    )

    @property
    def kind(self) -> str:
        return self.operation.kind


class Preparer:
    def __init__(self, supergraph: Supergraph, cache_size: int, introspection: bool) -> None:
        self.supergraph = supergraph
        self.introspection = introspection
        # Keyed by the query text itself: a str hashes in C, far cheaper than a SHA-256 of it,
        # and one Preparer serves one supergraph, so its hash need not be part of the key.
        self.cache: LRU[tuple[str, str | None], Prepared] = LRU(cache_size)

    def prepare(self, query: str, operation_name: str | None) -> Prepared:
        key = (query, operation_name)
        found = self.cache.get(key)
        if found is None:
            found = self._prepare(query, operation_name)
            self.cache.put(key, found)
        return found

    def _prepare(self, query: str, operation_name: str | None) -> Prepared:
        try:
            document = parse(query)
        except GraphQLSyntaxError as error:
            raise RequestError(error.message, "GRAPHQL_PARSE_FAILED") from None
        api = self.supergraph.api_schema
        errors = validate(api, document)
        if errors:
            raise RequestError(errors[0].message, "GRAPHQL_VALIDATION_FAILED") from None
        try:
            definition = select_operation(document, operation_name)
            operation = normalize(api, document, operation_name)
        except OperationError as error:
            raise RequestError(str(error), "GRAPHQL_VALIDATION_FAILED") from None
        intro, has_plan_fields = self._split_introspection(document, definition)
        if intro is not None and not self.introspection:
            raise RequestError("Introspection is disabled.", "INTROSPECTION_DISABLED")
        prepared = Prepared(
            document=document,
            definition=definition,
            operation=operation,
            shaper=compile_shape(api, operation),
            introspection=intro,
            has_plan_fields=has_plan_fields,
            variable_definitions=tuple(definition.variable_definitions or ()),
        )
        if self.supergraph.authorization and has_plan_fields:
            planning = self._planning_operation(prepared)
            found = guards(self.supergraph, planning)
            if found is not None:
                prepared.planning, prepared.guards = planning, found
        return prepared

    def plan(self, prepared: Prepared, labels: frozenset[str]) -> QueryPlan:
        plan = prepared.plans.get(labels)
        if plan is None:
            try:
                plan = build_plan(self.supergraph, self._planning_operation(prepared), labels)
            except (PlanningError, OperationError) as error:
                raise RequestError(str(error), "QUERY_PLANNING_FAILED", 500) from None
            prepared.plans[labels] = plan
        return plan

    def restricted_plan(
        self, prepared: Prepared, refused: tuple[int, ...], labels: frozenset[str]
    ) -> QueryPlan | None:
        """The plan without the selections of the refused guards (None: nothing left)."""
        key = (refused, labels)
        if key in prepared.restricted_plans:
            return prepared.restricted_plans[key]
        assert prepared.planning is not None and prepared.guards is not None
        operation = restrict(prepared.planning, prepared.guards, refused)
        plan: QueryPlan | None = None
        if operation.selections:
            try:
                plan = build_plan(self.supergraph, operation, labels)
            except (PlanningError, OperationError) as error:
                raise RequestError(str(error), "QUERY_PLANNING_FAILED", 500) from None
        prepared.restricted_plans[key] = plan
        return plan

    def _planning_operation(self, prepared: Prepared) -> Operation:
        # Plan against the supergraph: keys and requires may use inaccessible elements.
        return normalize(self.supergraph.schema, prepared.document, prepared.operation.name)

    @staticmethod
    def _split_introspection(
        document: DocumentNode, definition: OperationDefinitionNode
    ) -> tuple[DocumentNode | None, bool]:
        """The operation restricted to its introspection root fields, if it has any."""
        if definition.operation != OperationType.QUERY:
            return None, True
        intro = [
            s
            for s in definition.selection_set.selections
            if isinstance(s, FieldNode) and s.name.value in INTROSPECTION_FIELDS
        ]
        rest = [
            s
            for s in definition.selection_set.selections
            if not (
                isinstance(s, FieldNode) and s.name.value in (*INTROSPECTION_FIELDS, "__typename")
            )
        ]
        if not intro:
            return None, bool(rest)
        op = OperationDefinitionNode(
            operation=OperationType.QUERY,
            name=definition.name,
            variable_definitions=definition.variable_definitions,
            directives=definition.directives,
            selection_set=SelectionSetNode(selections=tuple(intro)),
        )
        others = tuple(
            d for d in document.definitions if not isinstance(d, OperationDefinitionNode)
        )
        return DocumentNode(definitions=(op, *others)), bool(rest)


def as_error(error: GraphQLError | RequestError | Any) -> dict[str, Any]:
    if isinstance(error, RequestError):
        return {"message": error.message, "extensions": {"code": error.code}}
    return {"message": str(error)}
