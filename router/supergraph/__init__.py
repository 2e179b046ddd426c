"""Supergraph SDL -> frozen model (graphs, keys, per-subgraph fields) and the API schema."""

from router.federation.fieldset import parse_field_set
from router.federation.links import SupergraphError
from router.supergraph.load import load_supergraph
from router.supergraph.model import FieldModel, FieldSource, Graph, Key, Supergraph, TypeModel

__all__ = [
    "FieldModel",
    "FieldSource",
    "Graph",
    "Key",
    "Supergraph",
    "SupergraphError",
    "TypeModel",
    "load_supergraph",
    "parse_field_set",
]
