"""Money in GraphQL: integer minor units plus an ISO 4217 currency, the same type in every
subgraph (`@shareable`, as `PageInfo`, so composition accepts it from each)."""

from __future__ import annotations

from typing import Protocol

import strawberry


class Amount(Protocol):
    """Any subgraph's domain money value."""

    @property
    def amount(self) -> int: ...

    @property
    def currency(self) -> str: ...


@strawberry.federation.type(
    shareable=True,
    description="An amount of money in integer minor units (cents) of a currency.",
)
class Money:
    amount: int = strawberry.field(description="Minor units: 1999 USD means $19.99.")
    currency: str = strawberry.field(description="ISO 4217 code, e.g. USD.")

    @classmethod
    def of(cls, value: Amount) -> Money:
        return cls(amount=value.amount, currency=value.currency)


@strawberry.input(description="An amount of money: integer minor units and an ISO 4217 code.")
class MoneyInput:
    amount: int = strawberry.field(description="Minor units (cents).")
    currency: str
