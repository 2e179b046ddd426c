"""Input rules: every rejected value raises BadUserInput naming the field and the rule."""

from __future__ import annotations

from collections.abc import Iterable

from subgraphs.common.errors import BadUserInput

MAX_NAME = 200
MAX_TITLE = 300
MAX_DESCRIPTION = 10_000
MAX_TAGS = 20
MAX_TAG = 40
MAX_MEMBERS_AT_CREATION = 100


def required_text(value: str, field: str, limit: int) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise BadUserInput(f"`{field}` must not be empty", field=field)
    if len(cleaned) > limit:
        raise BadUserInput(f"`{field}` is longer than {limit} characters", field=field)
    return cleaned


def description(value: str, field: str = "description") -> str:
    if len(value) > MAX_DESCRIPTION:
        raise BadUserInput(f"`{field}` is longer than {MAX_DESCRIPTION} characters", field=field)
    return value.strip()


def tags(values: Iterable[str]) -> list[str]:
    """Trimmed, lower-cased, de-duplicated in first-seen order."""
    cleaned: list[str] = []
    for value in values:
        tag = value.strip().lower()
        if not tag:
            raise BadUserInput("a tag must not be empty", field="tags")
        if len(tag) > MAX_TAG:
            raise BadUserInput(f"a tag is longer than {MAX_TAG} characters", field="tags")
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise BadUserInput(f"a task has at most {MAX_TAGS} tags", field="tags")
    return cleaned


def user_id(value: str, field: str) -> str:
    cleaned = value.strip()
    if not cleaned or len(cleaned) > 36:
        raise BadUserInput(f"`{field}` is not a user id", field=field)
    return cleaned
