"""Domain errors of the tasks service, each with the GraphQL `extensions.code` it maps to."""

from __future__ import annotations

from typing import Any, ClassVar


class TasksError(Exception):
    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = extensions


class NotFound(TasksError):
    code = "NOT_FOUND"


class Forbidden(TasksError):
    code = "FORBIDDEN"


class Conflict(TasksError):
    code = "CONFLICT"


class BadInput(TasksError):
    code = "BAD_USER_INPUT"


class Unauthenticated(TasksError):
    code = "UNAUTHENTICATED"
