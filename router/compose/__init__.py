"""Composition: subgraph SDLs -> supergraph SDL (Federation v2), errors and schema checks."""

from router.compose.compose import CompositionResult, SubgraphSource, compose
from router.compose.errors import CompositionError, CompositionFailed

__all__ = [
    "CompositionError",
    "CompositionFailed",
    "CompositionResult",
    "SubgraphSource",
    "compose",
]
