"""GraphQL errors with `extensions.code`, and the extension that masks everything else.

Resolvers and services raise `MosaicError` subclasses; the client sees the message and
`extensions.code`, and the log gets one line. Any other exception becomes
INTERNAL_SERVER_ERROR with a fixed message and is logged with its stack trace (never sent to
the client). `subgraphs.common.schema.SubgraphSchema` does the logging.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

log = logging.getLogger("mosaic.errors")


class ErrorCode(StrEnum):
    BAD_USER_INPUT = "BAD_USER_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    RATE_LIMITED = "RATE_LIMITED"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


class MosaicError(Exception):
    """An expected failure whose message is safe to show to the client."""

    code: ErrorCode = ErrorCode.INTERNAL_SERVER_ERROR

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        # graphql-core copies `extensions` from the original error into the GraphQL error.
        self.extensions: dict[str, Any] = {"code": str(self.code), **details}


class BadUserInput(MosaicError):
    code = ErrorCode.BAD_USER_INPUT


class Unauthenticated(MosaicError):
    code = ErrorCode.UNAUTHENTICATED


class Forbidden(MosaicError):
    code = ErrorCode.FORBIDDEN


class NotFound(MosaicError):
    code = ErrorCode.NOT_FOUND


class Conflict(MosaicError):
    code = ErrorCode.CONFLICT


class RateLimited(MosaicError):
    code = ErrorCode.RATE_LIMITED


def is_client_error(error: GraphQLError) -> bool:
    """The client's doing (ours with a code, or a document or variables graphql-core refused),
    as opposed to a bug or an outage."""
    original = error.original_error
    return original is None or isinstance(original, (MosaicError, GraphQLError))


def log_error(error: GraphQLError) -> None:
    """A client error is one line (code, path, message) without a traceback: it is expected,
    and a traceback per bad input would drown the real failures. Anything else is logged with
    its traceback."""
    where = ".".join(map(str, error.path)) if error.path else "the document"
    if is_client_error(error):
        code = error_code(error) or ErrorCode.BAD_USER_INPUT
        log.info("%s at %s: %s", code, where, error.message)
    else:
        log.error("unexpected error at %s", where, exc_info=error.original_error)


def error_code(error: GraphQLError) -> str | None:
    code = (error.extensions or {}).get("code")
    return code if isinstance(code, str) else None


class CodedErrors(MaskErrors):
    """Every error leaves with a code: ours keep theirs, documents and variables that fail
    validation get BAD_USER_INPUT, anything unexpected is masked as INTERNAL_SERVER_ERROR."""

    def __init__(self) -> None:
        super().__init__(
            should_mask_error=self._is_unexpected, error_message="Internal server error"
        )

    @staticmethod
    def _is_unexpected(error: GraphQLError) -> bool:
        return not is_client_error(error)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        # Logged (with its traceback) by `log_error` before masking; the client gets nothing.
        return GraphQLError(
            message=self.error_message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": str(ErrorCode.INTERNAL_SERVER_ERROR)},
        )

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [_with_code(error) for error in super()._process_errors(errors)]


def _with_code(error: GraphQLError) -> GraphQLError:
    if error_code(error) is not None:
        return error
    extensions: Mapping[str, Any] = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}
    return GraphQLError(
        message=error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions=dict(extensions),
    )
