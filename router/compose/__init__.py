"""Composition: subgraph SDLs -> supergraph SDL (Federation v2), errors and schema checks."""

from router.compose.api_schema import api_schema, print_api_schema
from router.compose.compose import CompositionResult, SubgraphSource, compose
from router.compose.errors import CompositionError, CompositionFailed

__all__ = [
    "CompositionError",
    "CompositionFailed",
    "CompositionResult",
    "SubgraphSource",
    "api_schema",
    "compose",
    "print_api_schema",
]
