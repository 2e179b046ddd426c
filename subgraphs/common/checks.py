"""Checks of client input that every subgraph's service makes the same way."""

from __future__ import annotations

from subgraphs.common.errors import BadUserInput


def check_text(value: str, what: str, *, max_length: int, allow_empty: bool = False) -> str:
    """`value` stripped, or BAD_USER_INPUT naming `what` when it is empty or too long."""
    value = value.strip()
    if not value and not allow_empty:
        raise BadUserInput(f"{what} must not be empty")
    if len(value) > max_length:
        raise BadUserInput(f"{what} must be at most {max_length} characters")
    return value
