"""What every catalog service function shares: callers, the unit of work, validation.

A write is `async with UnitOfWork(session, actor, events) as uow:`. On SQLite it holds the
database's write lock from its first read, so a check and the write that depends on it never
interleave with another writer, in this process or another one on the same file. On
PostgreSQL the service functions lock the rows they decide on (FOR UPDATE / FOR SHARE) or
write with conditional UPDATEs.
"""

from __future__ import annotations

import re

from subgraphs.catalog.domain import Actor
from subgraphs.common.errors import BadUserInput, Forbidden, Unauthenticated
from subgraphs.common.writes import lock_row as lock_row  # the catalog services' import


def require_user(actor: Actor) -> str:
    if actor.user_id is None:
        raise Unauthenticated("sign in first")
    return actor.user_id


def require_admin(actor: Actor) -> None:
    require_user(actor)
    if not actor.is_admin:
        raise Forbidden("only an admin may do this")


# Money travels as GraphQL `Int` (32-bit signed): no price, line, cart or order may exceed it.
MAX_AMOUNT = 2**31 - 1


def check_amount(amount: int, what: str) -> int:
    if amount > MAX_AMOUNT:
        raise BadUserInput(f"{what} would exceed {MAX_AMOUNT} minor units")
    return amount


_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def check_slug(value: str) -> str:
    if not _SLUG.match(value) or len(value) > 200:
        raise BadUserInput("slug must be lower-case words joined by '-' (a-z, 0-9)")
    return value


def check_currency(value: str) -> str:
    if not _CURRENCY.match(value):
        raise BadUserInput("currency must be a three-letter ISO 4217 code such as USD")
    return value


def check_quantity(value: int, *, what: str = "quantity", maximum: int = 1000) -> int:
    if value < 1 or value > maximum:
        raise BadUserInput(f"{what} must be between 1 and {maximum}")
    return value
