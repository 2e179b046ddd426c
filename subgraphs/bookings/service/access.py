"""Who the caller is to a professional or a booking; the checks every write starts with."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.bookings.domain import Party
from subgraphs.bookings.models import Booking, Professional
from subgraphs.common.auth import Caller
from subgraphs.common.errors import BadUserInput, Forbidden, NotFound, Unauthenticated


def require_user(caller: Caller | None) -> Caller:
    if caller is None:
        raise Unauthenticated("Sign in first: this needs an access token")
    return caller


async def professional_of_user(session: AsyncSession, user_id: str) -> Professional | None:
    return await session.scalar(select(Professional).where(Professional.user_id == user_id))


async def own_professional(session: AsyncSession, caller: Caller) -> Professional:
    """The caller's professional profile; BAD_USER_INPUT when they have none."""
    professional = await professional_of_user(session, caller.user_id)
    if professional is None:
        raise BadUserInput("you have no professional profile: registerProfessional first")
    return professional


def parties(caller: Caller, booking: Booking, professional: Professional) -> set[Party]:
    """Every role the caller plays in this booking (none: a stranger)."""
    found = set()
    if booking.client_id == caller.user_id:
        found.add(Party.CLIENT)
    if professional.user_id == caller.user_id:
        found.add(Party.PROFESSIONAL)
    if caller.is_admin:
        found.add(Party.ADMIN)
    return found


def may_manage(caller: Caller, professional: Professional) -> None:
    """Only the professional themself (or an admin) manages their slots."""
    if professional.user_id != caller.user_id and not caller.is_admin:
        raise Forbidden("only the professional or an admin may change these slots")


def invisible(booking_id: str) -> NotFound:
    # Strangers learn nothing, not even that the booking exists.
    return NotFound(f"no booking with id {booking_id!r}")
