"""The router's request pipeline: stages, each a function from one frozen dataclass to the next
(router/pipeline/types.py), composed by `Pipeline` (runner.py) as a plain chain:

    read(HttpRequest) -> GraphQLRequest                      every request
    prepare(GraphQLRequest) -> Executable                    every request: the LRU, or on a miss
        parse(Source) -> Document                            once per new document (and
        limits(Document) -> Document                         override-label set), maybe in a
        validate(Document) -> Document                       worker thread
        plan(Document) -> Executable
    auth(ExecutionRequest) -> ExecutionRequest               every request (variables coerced):
                                                             authorization directives
        policy(PolicyCheck) -> frozenset[str]                when the operation names @policy:
                                                             the granted ones
    execute(ExecutionRequest) -> Result                      every request
    shape(Result) -> GraphQLResponse                         every request
    respond(GraphQLResponse) -> HttpResponse                 every request, refusals too

A stage refuses by raising `RequestError(message, code, status)`; the client gets a GraphQL
error with `extensions.code` and the response still goes through `respond`.

A hook wraps one stage. It is a function marked with `@hook(STAGE)` that gets the stage's input
and `next`, and returns the stage's output; request stages take `async def` hooks, document
stages plain `def` ones (they may run in a worker thread). Configure them by dotted path,
`MOSAIC_ROUTER_HOOKS=myapp.hooks:audit,myapp.hooks:deny_admin_ops` (the first is outermost):

    from dataclasses import replace
    from router.pipeline import (
        ExecutionRequest, GraphQLResponse, HttpResponse, RequestError, Result, hook,
    )

    @hook("respond")
    async def audit(response: GraphQLResponse, next) -> HttpResponse:
        out = await next(response)
        return replace(out, headers=(*out.headers, (b"x-audited", b"yes")))

    @hook("execute")
    async def deny_admin_ops(operation: ExecutionRequest, next) -> Result:
        if operation.executable.operation.name == "AdminStats":
            raise RequestError("AdminStats is not served here.", "FORBIDDEN", 403)
        return await next(operation)

To add a built-in stage, give it the same shape and put it in `Pipeline.__init__`'s chain.
The front door (JWT, rate limits, persisted documents: router/server/edge.py) runs inside
`read`; the authorization directives are the `auth` stage.
"""

from router.pipeline.hooks import DOCUMENT_STAGES, REQUEST_STAGES, STAGES, HookError, hook
from router.pipeline.runner import Pipeline
from router.pipeline.types import (
    Document,
    Executable,
    ExecutionRequest,
    GraphQLRequest,
    GraphQLResponse,
    HttpRequest,
    HttpResponse,
    PolicyCheck,
    RequestError,
    Result,
    Source,
)

__all__ = [
    "DOCUMENT_STAGES",
    "REQUEST_STAGES",
    "STAGES",
    "Document",
    "Executable",
    "ExecutionRequest",
    "GraphQLRequest",
    "GraphQLResponse",
    "HookError",
    "HttpRequest",
    "HttpResponse",
    "Pipeline",
    "PolicyCheck",
    "RequestError",
    "Result",
    "Source",
    "hook",
]
