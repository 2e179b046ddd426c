"""The schema class every subgraph uses: Strawberry's federation schema, logging errors the
Mosaic way (`errors.log_error`) instead of Strawberry's traceback for every error."""

from __future__ import annotations

from graphql import GraphQLError
from strawberry.federation import Schema
from strawberry.types import ExecutionContext

from subgraphs.common.errors import log_error


class SubgraphSchema(Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Called with the errors as raised, before CodedErrors masks the unexpected ones.
        for error in errors:
            log_error(error)
