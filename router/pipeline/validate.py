"""Stage `validate` (once per new document): graphql-core's validation against the API schema.

graphql-core bounds its own work on pathological documents (a complexity budget for comparing
overlapping fields, a budget for fragment work, at most 100 errors) and then reports
"Validation aborted."; the `limits` stage before it refuses most such documents sooner.
"""

from __future__ import annotations

from graphql import GraphQLSchema, validate

from router.pipeline.types import Document, RequestError

ABORTED = "Validation aborted."


class Validate:
    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema

    def __call__(self, document: Document) -> Document:
        errors = validate(self.schema, document.document)
        if errors:
            first = errors[0]
            if first.message == ABORTED or (ABORTED in errors[-1].message and len(errors) == 1):
                raise RequestError("The document is too complex to validate.", "VALIDATION_ABORTED")
            raise RequestError(first.message, "GRAPHQL_VALIDATION_FAILED")
        return document
