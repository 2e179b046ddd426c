"""Template rendering in Jinja2's immutable sandbox: templates are written by admins and are
data, so they may read the event's values but never call into Python or change state."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from subgraphs.common.errors import BadUserInput

_ENV = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
MAX_TEMPLATE_LENGTH = 10_000


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str


def check(title: str, body: str) -> None:
    """BAD_USER_INPUT unless both parts are templates Jinja2 can compile."""
    for field, source in (("title", title), ("body", body)):
        if not source.strip() or len(source) > MAX_TEMPLATE_LENGTH:
            raise BadUserInput(
                f"The {field} template must be 1 to {MAX_TEMPLATE_LENGTH} characters",
                field=field,
            )
        try:
            _ENV.parse(source)
        except TemplateError as error:
            raise BadUserInput(
                f"The {field} template does not parse: {error}", field=field
            ) from error


def render(title: str, body: str, values: Mapping[str, Any]) -> Rendered:
    """Both parts rendered with `values`; a template that fails (a missing value, a sandbox
    violation) falls back to its source so the notification is still stored."""
    return Rendered(_render(title, values), _render(body, values))


@functools.lru_cache(maxsize=512)
def _compiled(source: str) -> Template:
    # Compiling costs far more than rendering, and a template version never changes: the
    # worker renders the same few sources for every event.
    return _ENV.from_string(source)


def _render(source: str, values: Mapping[str, Any]) -> str:
    try:
        return _compiled(source).render(values).strip()
    except TemplateError:
        return source
