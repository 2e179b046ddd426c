"""Interpret query plans: pooled subgraph requests, merge at paths, shaping, null propagation."""

from router.executor.client import SubgraphClients, SubgraphFailure
from router.executor.run import Execution, Executor
from router.executor.shape import Shaper, compile_shape

__all__ = [
    "Execution",
    "Executor",
    "Shaper",
    "SubgraphClients",
    "SubgraphFailure",
    "compile_shape",
]
