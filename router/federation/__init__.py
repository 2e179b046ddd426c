"""The federation spec, once: `@link` reading, join directives, field sets and the API schema.

Composition (`router.compose`), the router's supergraph model (`router.supergraph`) and the
schema checks all read the spec through this package.
"""

from router.federation.api_schema import api_schema, build_api_schema, print_api_schema
from router.federation.fieldset import normalize_field_set, parse_field_set, selected_fields
from router.federation.join import Graph, JoinField, JoinReader, JoinType
from router.federation.links import Link, SupergraphError, read_links, schema_definition

__all__ = [
    "Graph",
    "JoinField",
    "JoinReader",
    "JoinType",
    "Link",
    "SupergraphError",
    "api_schema",
    "build_api_schema",
    "normalize_field_set",
    "parse_field_set",
    "print_api_schema",
    "read_links",
    "schema_definition",
    "selected_fields",
]
