"""Professionals: registration (one profile per user) and the searchable directory."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.exc import IntegrityError

from subgraphs.bookings.domain import (
    ProfessionalFilter,
    ProfessionalInput,
    check_money,
    check_time_zone,
)
from subgraphs.bookings.models import Professional
from subgraphs.bookings.service.access import professional_of_user, require_user
from subgraphs.bookings.service.unit import Unit
from subgraphs.common.checks import check_text
from subgraphs.common.errors import Conflict
from subgraphs.common.versions import version_from


def professional_payload(row: Professional) -> dict[str, Any]:
    return {
        "id": row.id,
        "userId": row.user_id,
        "displayName": row.display_name,
        "specialization": row.specialization,
        "bio": row.bio,
        "hourlyRate": {"amount": row.hourly_rate_amount, "currency": row.hourly_rate_currency},
        "timeZone": row.time_zone,
        "createdAt": row.created_at.isoformat(),
        "version": version_from(row.updated_at),
    }


async def register_professional(uow: Unit, data: ProfessionalInput) -> Professional:
    """The caller's professional profile; CONFLICT when they have one already."""
    caller = require_user(uow.caller)
    row = Professional(
        user_id=caller.user_id,
        display_name=check_text(data.display_name, "displayName", max_length=200),
        specialization=check_text(data.specialization, "specialization", max_length=100),
        bio=check_text(data.bio, "bio", max_length=5000, allow_empty=True),
        hourly_rate_amount=check_money(data.hourly_rate, "hourlyRate").amount,
        hourly_rate_currency=data.hourly_rate.currency,
        time_zone=check_time_zone(data.time_zone),
    )
    if await professional_of_user(uow.session, caller.user_id) is not None:
        raise Conflict("you are registered as a professional already")
    uow.session.add(row)
    try:  # a concurrent registration of the same user waits on the unique user_id, then fails
        await uow.session.flush()
    except IntegrityError as error:
        raise Conflict("you are registered as a professional already") from error
    payload = professional_payload(row)
    uow.emit("professional.registered", payload, aggregate_id=row.id, version=payload["version"])
    return row


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def professional_listing(where: ProfessionalFilter) -> Select[Any]:
    """Professionals matching the filter: specialization exactly (any case), text anywhere in
    the name, specialization or bio."""
    conditions: list[ColumnElement[bool]] = []
    if where.specialization is not None and where.specialization.strip():
        wanted = where.specialization.strip().lower()
        conditions.append(func.lower(Professional.specialization) == wanted)
    if where.text is not None and where.text.strip():
        pattern = f"%{_escape_like(where.text.strip().lower())}%"
        conditions.append(
            or_(
                func.lower(Professional.display_name).like(pattern, escape="\\"),
                func.lower(Professional.specialization).like(pattern, escape="\\"),
                func.lower(Professional.bio).like(pattern, escape="\\"),
            )
        )
    return select(Professional).where(*conditions)
