"""Pure query planning: normalized operation + supergraph -> QueryPlan (no IO)."""

from router.planner.build import build_plan
from router.planner.coverage import PlanningError
from router.planner.operation import Operation, OperationError, normalize
from router.planner.plan import (
    ConditionNode,
    FetchNode,
    FlattenNode,
    InputField,
    InputFragment,
    ParallelNode,
    PlanNode,
    QueryPlan,
    SequenceNode,
    SubscriptionNode,
)

__all__ = [
    "ConditionNode",
    "FetchNode",
    "FlattenNode",
    "InputField",
    "InputFragment",
    "Operation",
    "OperationError",
    "ParallelNode",
    "PlanNode",
    "PlanningError",
    "QueryPlan",
    "SequenceNode",
    "SubscriptionNode",
    "build_plan",
    "normalize",
]
