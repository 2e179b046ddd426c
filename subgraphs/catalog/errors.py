"""Domain errors raised by the catalog service (mapped to GraphQL codes by common's errors)."""

from __future__ import annotations


class CatalogError(Exception):
    code = "INTERNAL_SERVER_ERROR"


class BadUserInput(CatalogError):
    code = "BAD_USER_INPUT"


class NotFound(CatalogError):
    code = "NOT_FOUND"


class Conflict(CatalogError):
    code = "CONFLICT"


class Forbidden(CatalogError):
    code = "FORBIDDEN"


class Unauthenticated(CatalogError):
    code = "UNAUTHENTICATED"
