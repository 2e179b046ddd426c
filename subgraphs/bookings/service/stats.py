"""Booking statistics: a professional's own, or everyone's (or one professional's) for admins."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.bookings.domain import BookingStatus, Money
from subgraphs.bookings.models import Booking, Professional
from subgraphs.bookings.service.access import professional_of_user, require_user
from subgraphs.common.auth import Caller
from subgraphs.common.errors import Forbidden, NotFound


@dataclass(frozen=True)
class BookingStats:
    professional_id: str | None  # None: every professional
    revenue: tuple[Money, ...]  # completed bookings only, one entry per currency
    by_status: tuple[tuple[BookingStatus, int], ...]
    total: int

    @property
    def no_show_rate(self) -> float | None:
        """No-shows among the sessions that were due (completed + no-show); None before any."""
        counts = dict(self.by_status)
        due = counts[BookingStatus.COMPLETED] + counts[BookingStatus.NO_SHOW]
        return None if due == 0 else counts[BookingStatus.NO_SHOW] / due


async def booking_stats(
    session: AsyncSession, caller: Caller | None, professional_id: str | None = None
) -> BookingStats:
    caller = require_user(caller)
    if not caller.is_admin:
        own = await professional_of_user(session, caller.user_id)
        if own is None:
            raise Forbidden("only professionals and admins see booking statistics")
        if professional_id is not None and professional_id != own.id:
            raise Forbidden("only admins see another professional's statistics")
        professional_id = own.id
    elif professional_id is not None and await session.get(Professional, professional_id) is None:
        raise NotFound(f"no professional with id {professional_id!r}")
    scope: list[ColumnElement[bool]] = []
    if professional_id is not None:
        scope.append(Booking.professional_id == professional_id)
    revenue = await session.execute(
        select(Booking.price_currency, func.sum(Booking.price_amount))
        .where(*scope, Booking.status == BookingStatus.COMPLETED.value)
        .group_by(Booking.price_currency)
        .order_by(Booking.price_currency)
    )
    counts = dict(
        (
            await session.execute(
                select(Booking.status, func.count()).where(*scope).group_by(Booking.status)
            )
        ).all()
    )
    by_status = tuple((s, int(counts.get(s.value, 0))) for s in BookingStatus)
    return BookingStats(
        professional_id=professional_id,
        revenue=tuple(Money(int(total), currency) for currency, total in revenue),
        by_status=by_status,
        total=sum(n for _, n in by_status),
    )
