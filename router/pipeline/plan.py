"""Stage `plan` (once per new document and override-label set): normalize, plan, and compile
everything a request needs into one frozen `Executable` — the query plan, the compiled
representations of its entity fetches, the response shaper, the introspection part."""

from __future__ import annotations

from graphql import (
    DocumentNode,
    FieldNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)

from router.auth.authorization import guards
from router.auth.excluded import excluded_guards
from router.executor.merge import Representations
from router.executor.shape import compile_shape
from router.pipeline.types import Document, Executable, RequestError
from router.planner import (
    FetchNode,
    Operation,
    OperationError,
    ParallelNode,
    PlanningError,
    PlanNode,
    QueryPlan,
    SequenceNode,
    SubscriptionNode,
    build_plan,
    normalize,
)
from router.planner.operation import select_operation
from router.supergraph import Supergraph

INTROSPECTION_FIELDS = ("__schema", "__type")


class Plan:
    def __init__(self, supergraph: Supergraph, introspection: bool) -> None:
        self.supergraph = supergraph
        self.introspection = introspection

    def __call__(self, document: Document) -> Executable:
        api = self.supergraph.api_schema
        source = document.source
        try:
            definition = select_operation(document.document, source.operation_name)
            operation = normalize(api, document.document, source.operation_name)
        except OperationError as error:
            raise RequestError(str(error), "GRAPHQL_VALIDATION_FAILED") from None
        intro, has_plan_fields = _split_introspection(document.document, definition)
        if intro is not None and not self.introspection:
            raise RequestError("Introspection is disabled.", "INTROSPECTION_DISABLED")
        plan = None
        representations: dict[int, Representations] = {}
        planning = found = None
        if has_plan_fields:
            try:
                # Plan against the supergraph: keys and requires may use inaccessible elements.
                planning = normalize(self.supergraph.schema, document.document, operation.name)
            except OperationError as error:
                raise RequestError(str(error), "QUERY_PLANNING_FAILED", 500) from None
            plan, representations = self.compile(planning, source.labels)
            if self.supergraph.authorization:
                skipped = excluded_guards(self.supergraph, document.document, definition)
                found = guards(self.supergraph, planning, skipped)
        return Executable(
            document=document.document,
            definition=definition,
            operation=operation,
            plan=plan,
            representations=representations,
            shaper=compile_shape(api, operation),
            introspection=intro,
            variable_definitions=tuple(definition.variable_definitions or ()),
            cost=document.cost,
            labels=source.labels,
            planning=planning if found is not None else None,
            guards=found,
        )

    def compile(
        self, operation: Operation, labels: frozenset[str]
    ) -> tuple[QueryPlan, dict[int, Representations]]:
        """The plan of a normalized (supergraph) operation and its fetches' compiled requires."""
        try:
            plan = build_plan(self.supergraph, operation, labels)
        except (PlanningError, OperationError) as error:
            raise RequestError(str(error), "QUERY_PLANNING_FAILED", 500) from None
        representations: dict[int, Representations] = {}
        if plan.node is not None:
            for fetch in _fetches(plan.node):
                if fetch.requires is not None:
                    representations[id(fetch)] = Representations(
                        fetch.requires, self.supergraph.possible
                    )
        return plan, representations


def _fetches(node: PlanNode | SubscriptionNode) -> list[FetchNode]:
    found: list[FetchNode] = []
    stack: list[PlanNode] = []
    if isinstance(node, SubscriptionNode):  # the primary is a root fetch: only the rest count
        if node.rest is not None:
            stack.append(node.rest)
    else:
        stack.append(node)
    while stack:
        item = stack.pop()
        if isinstance(item, FetchNode):
            found.append(item)
        elif isinstance(item, SequenceNode | ParallelNode):
            stack.extend(item.nodes)
        else:
            stack.append(item.node)
    return found


def _split_introspection(
    document: DocumentNode, definition: OperationDefinitionNode
) -> tuple[DocumentNode | None, bool]:
    """The operation restricted to its introspection root fields, if it has any; and whether
    it has fields the subgraphs answer."""
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
        if not (isinstance(s, FieldNode) and s.name.value in (*INTROSPECTION_FIELDS, "__typename"))
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
    others = tuple(d for d in document.definitions if not isinstance(d, OperationDefinitionNode))
    return DocumentNode(definitions=(op, *others)), bool(rest)
