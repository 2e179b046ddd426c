"""The data that flows between the router's stages: frozen dataclasses, one per hand-over."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import DocumentNode, OperationDefinitionNode, VariableDefinitionNode

from router.auth.authorization import Guards
from router.auth.jwt import Claims
from router.executor.merge import Representations
from router.executor.shape import Shaper
from router.executor.upload import Uploads
from router.planner import Operation, QueryPlan

Headers = tuple[tuple[bytes, bytes], ...]  # raw, lower-case names, as ASGI gives them


class RequestError(Exception):
    """The request is refused. `status` is the HTTP status for application/graphql-response+json
    (application/json answers a well-formed GraphQL request with 200); `headers` are added."""

    def __init__(self, message: str, code: str, status: int = 400, headers: Headers = ()) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.headers = headers


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """What the `read` stage gets: the HTTP request as received (body complete, size-checked)."""

    method: str
    path: str
    headers: Headers
    query_string: bytes
    body: bytes
    request_id: str
    started: float  # time.perf_counter() when the request arrived
    media: str = "application/json"  # the response media type the client accepts
    client: str = ""  # the client's address
    # A multipart request's `operations` (parsed; the files follow it, router/server/multipart.py)
    form: Any = None

    def header(self, name: bytes) -> str | None:
        """The first value of a header (name in lower case), or None."""
        for key, value in self.headers:
            if key == name:
                return value.decode("latin-1")
        return None


@dataclass(frozen=True, slots=True)
class GraphQLRequest:
    """A GraphQL request: the `read` stage's output, the input of `prepare`."""

    query: str
    operation_name: str | None
    variables: Mapping[str, Any]
    headers: tuple[tuple[str, str], ...]  # propagated to subgraphs (x-request-id is sent too)
    caller: str  # its Authorization; with `headers`, what identifies a caller for coalescing
    method: str = "POST"
    want_plan: bool = False
    request_id: str = ""
    extensions: Mapping[str, Any] = field(default_factory=dict)
    http: HttpRequest | None = None  # absent for requests made in-process
    claims: Claims | None = None  # the caller's verified token, when JWT auth is on
    uploads: Uploads | None = None  # the files of a multipart request


@dataclass(frozen=True, slots=True)
class Source:
    """A document to prepare: the `parse` stage's input (once per new document)."""

    query: str
    operation_name: str | None
    labels: frozenset[str] = frozenset()  # the override labels its plan is for


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed (then validated, then limit-checked) document: the document stages' currency."""

    source: Source
    document: DocumentNode
    tokens: int = 0  # lexical tokens counted by the parser
    cost: int = 0  # the static cost estimate (the `limits` stage fills it in)


@dataclass(frozen=True, slots=True)
class Executable:
    """One prepared operation: everything a request with this document needs at run time,
    compiled once and kept in the one prepared-document LRU (the executor keeps no caches)."""

    document: DocumentNode
    definition: OperationDefinitionNode
    operation: Operation
    plan: QueryPlan | None  # None: nothing to fetch (introspection or __typename only)
    representations: Mapping[int, Representations]  # id(fetch node) -> its compiled requires
    shaper: Shaper
    introspection: DocumentNode | None  # the introspection-only part, answered by graphql-core
    variable_definitions: tuple[VariableDefinitionNode, ...]
    cost: int = 0
    labels: frozenset[str] = frozenset()  # the override labels it was planned with
    # Authorization (router/pipeline/auth.py): the operation as planned and its guarded
    # selections; None when it touches nothing that requires authorization.
    planning: Operation | None = None
    guards: Guards | None = None
    # refused guards -> this Executable without them: a memo filled per request, not state
    restricted: dict[tuple[int, ...], Executable] = field(default_factory=dict, compare=False)

    @property
    def kind(self) -> str:
        return self.operation.kind


@dataclass(frozen=True, slots=True)
class ExecutionRequest:
    """A request with its executable: the input of `auth` and `execute`."""

    request: GraphQLRequest
    executable: Executable
    variables: Mapping[str, Any]  # coerced, defaults filled in
    errors: tuple[dict[str, Any], ...] = ()  # known before execution (e.g. unauthorized fields)


@dataclass(frozen=True, slots=True)
class PolicyCheck:
    """What the `policy` stage decides (inside `auth`, only for operations that touch @policy):
    which of `policies` this caller is granted. Its output is the granted names."""

    policies: frozenset[str]  # every policy the operation's guarded selections name
    claims: Claims | None
    request: GraphQLRequest


@dataclass(frozen=True, slots=True)
class Result:
    """What `execute` returns: merged (unshaped) data, errors, subgraph response headers."""

    operation: ExecutionRequest
    data: dict[str, Any]
    errors: list[dict[str, Any]]
    subgraph_headers: tuple[tuple[str, bytes, bytes], ...] = ()  # (service, name, value)
    extensions: Mapping[str, Any] = field(default_factory=dict)
    fetches: int = 0  # subgraph responses received


@dataclass(frozen=True, slots=True)
class GraphQLResponse:
    """A GraphQL response: `shape`'s output (or a refusal), the input of `respond`."""

    status: int
    body: dict[str, Any]
    request: GraphQLRequest | None = None
    headers: Headers = ()  # added to the HTTP response (e.g. Set-Cookie from subgraphs)
    timings: tuple[tuple[str, float], ...] = ()  # (stage, seconds) for Server-Timing
    http: HttpRequest | None = None  # when `request` is None (refused while reading)
    _encoded: bytes | None = field(default=None, compare=False, repr=False)

    def encoded(self) -> bytes:
        """The JSON body, serialized once even when coalesced clients share this response."""
        encoded = self._encoded
        if encoded is None:
            encoded = orjson.dumps(self.body)
            object.__setattr__(self, "_encoded", encoded)  # a memo, not state
        return encoded


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """What `respond` returns and the server writes."""

    status: int
    headers: Headers  # content-type included; content-length is added by the server
    body: bytes
