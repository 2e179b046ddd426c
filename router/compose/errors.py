"""Composition errors: one per violation, with Apollo's error code where one exists."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CompositionError:
    """One rule violation. `code` is Apollo's (`INVALID_FIELD_SHARING`, ...)."""

    code: str
    message: str
    subgraph: str | None = None
    type: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def to_json(self) -> dict[str, str | None]:
        return {
            "code": self.code,
            "message": self.message,
            "subgraph": self.subgraph,
            "type": self.type,
            "field": self.field,
        }


class CompositionFailed(Exception):
    """Raised when composition finds errors; `errors` lists them all."""

    def __init__(self, errors: list[CompositionError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors
