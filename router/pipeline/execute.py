"""Stage `execute`: run the plan (router/executor) and answer the introspection part.

`coerce_variables` runs just before it: the request's variables checked against the operation's
definitions, with the defaults the client left out filled in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    ExecutionResult,
    GraphQLSchema,
    execute,
    get_variable_values,
    value_from_ast_untyped,
)

from router.executor import Executor
from router.pipeline.types import Executable, ExecutionRequest, RequestError, Result


class Execute:
    def __init__(self, executor: Executor, api_schema: GraphQLSchema) -> None:
        self.executor = executor
        self.api_schema = api_schema

    async def __call__(self, operation: ExecutionRequest) -> Result:
        executable = operation.executable
        request = operation.request
        data: dict[str, Any] = {}
        errors: list[dict[str, Any]] = list(operation.errors)
        headers: tuple[tuple[str, bytes, bytes], ...] = ()
        extensions: dict[str, Any] = {}
        fetches = 0
        plan = executable.plan
        if plan is not None:
            if request.want_plan:
                extensions["queryPlan"] = plan.pretty()
            state = await self.executor.execute(
                plan,
                operation.variables,
                request.headers,
                executable.representations,
                request.request_id,
                request.uploads,
            )
            data, fetches = state.data, state.fetches
            errors += state.errors
            if state.response_headers:
                headers = tuple(state.response_headers)
        if executable.introspection is not None:
            data.update(self._introspect(executable, operation.variables, errors))
        return Result(operation, data, errors, headers, extensions, fetches)

    def _introspect(
        self, executable: Executable, variables: Mapping[str, Any], errors: list[dict[str, Any]]
    ) -> dict[str, Any]:
        assert executable.introspection is not None
        result = execute(self.api_schema, executable.introspection, variable_values=dict(variables))
        assert isinstance(result, ExecutionResult)
        for error in result.errors or ():
            errors.append(dict(error.formatted))
        return result.data or {}


def coerce_variables(
    schema: GraphQLSchema, executable: Executable, raw: Mapping[str, Any]
) -> Mapping[str, Any]:
    """Validate variables against their definitions; fill in defaults the client omitted."""
    if not executable.variable_definitions:
        return raw
    coerced = get_variable_values(schema, executable.variable_definitions, dict(raw))
    if isinstance(coerced, list):
        raise RequestError(coerced[0].message, "BAD_USER_INPUT", 400)
    values: Any = getattr(coerced, "coerced", coerced)  # graphql-core 3.3 wraps the dict
    out = dict(raw)
    for definition in executable.variable_definitions:
        name = definition.variable.name.value
        if name not in out and definition.default_value is not None and name in values:
            out[name] = value_from_ast_untyped(definition.default_value)
    return out
