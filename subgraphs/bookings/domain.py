"""Plain domain data of bookings: statuses, the transition rules, money, time and inputs.

No database and no GraphQL here: the service applies these rules under its locks.
"""

from __future__ import annotations

import enum
import itertools
import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from db.base import as_utc
from subgraphs.common.errors import BadUserInput


class SlotStatus(enum.StrEnum):
    OPEN = "OPEN"
    HELD = "HELD"  # a PENDING booking waits for the professional's confirmation
    BOOKED = "BOOKED"


class BookingStatus(enum.StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    NO_SHOW = "NO_SHOW"


class Party(enum.Enum):
    """Who is asking, relative to one booking."""

    CLIENT = "CLIENT"
    PROFESSIONAL = "PROFESSIONAL"
    ADMIN = "ADMIN"


class BookingRole(enum.StrEnum):
    """Which side of their bookings a caller lists."""

    CLIENT = "CLIENT"
    PROFESSIONAL = "PROFESSIONAL"


@dataclass(frozen=True)
class Transition:
    target: BookingStatus
    sources: frozenset[BookingStatus]
    by: frozenset[Party]
    event: str
    slot_becomes: SlotStatus | None  # what happens to the booked slot
    verb: str  # "only the professional or admin may <verb> a booking"
    done: str  # "a COMPLETED booking cannot be <done>"
    needs_start: bool = False  # only once the session has begun


_STAFF = frozenset({Party.PROFESSIONAL, Party.ADMIN})

# PENDING -> CONFIRMED -> COMPLETED or NO_SHOW; CANCELLED any time before COMPLETED.
CONFIRM = Transition(
    target=BookingStatus.CONFIRMED,
    sources=frozenset({BookingStatus.PENDING}),
    by=_STAFF,
    event="booking.confirmed",
    slot_becomes=SlotStatus.BOOKED,
    verb="confirm",
    done="confirmed",
)
CANCEL = Transition(
    target=BookingStatus.CANCELLED,
    sources=frozenset({BookingStatus.PENDING, BookingStatus.CONFIRMED}),
    by=frozenset(Party),
    event="booking.cancelled",
    slot_becomes=SlotStatus.OPEN,  # a cancelled booking frees its slot
    verb="cancel",
    done="cancelled",
)
COMPLETE = Transition(
    target=BookingStatus.COMPLETED,
    sources=frozenset({BookingStatus.CONFIRMED}),
    by=_STAFF,
    event="booking.completed",
    slot_becomes=None,
    verb="complete",
    done="completed",
    needs_start=True,
)
NO_SHOW = Transition(
    target=BookingStatus.NO_SHOW,
    sources=frozenset({BookingStatus.CONFIRMED}),
    by=_STAFF,
    event="booking.no_show",
    slot_becomes=None,
    verb="mark as a no-show",
    done="marked as a no-show",
    needs_start=True,
)


def acting_as(roles: set[Party]) -> Party:
    """The role a caller acts in when they play several (a client who is also an admin)."""
    return next(p for p in (Party.CLIENT, Party.PROFESSIONAL, Party.ADMIN) if p in roles)


@dataclass(frozen=True)
class Money:
    amount: int
    currency: str


# Money travels as GraphQL `Int` (32-bit signed).
MAX_AMOUNT = 2**31 - 1
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def check_money(value: Money, what: str) -> Money:
    if not _CURRENCY.match(value.currency):
        raise BadUserInput(f"{what}: currency must be a three-letter ISO 4217 code such as USD")
    if value.amount <= 0 or value.amount > MAX_AMOUNT:
        raise BadUserInput(f"{what} must be between 1 and {MAX_AMOUNT} minor units")
    return value


def price_of(rate: Money, starts_at: datetime, ends_at: datetime) -> Money:
    """The hourly rate for the slot's length, to the nearest minor unit (halves round up)."""
    seconds = int((ends_at - starts_at).total_seconds())
    amount = (rate.amount * seconds * 2 + 3600) // (3600 * 2)
    return Money(min(amount, MAX_AMOUNT), rate.currency)


def check_time_zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise BadUserInput(
            f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin"
        ) from error
    return name


def utcnow() -> datetime:
    return datetime.now(UTC)


# Slot rules: long enough to meet, short enough to be one session, not too far ahead.
MIN_SLOT = timedelta(minutes=5)
MAX_SLOT = timedelta(hours=12)
MAX_AHEAD = timedelta(days=366)
MAX_SLOTS_PER_CALL = 100


@dataclass(frozen=True)
class Period:
    starts_at: datetime
    ends_at: datetime

    def overlaps(self, other: Period) -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


def check_periods(periods: list[Period], now: datetime) -> list[Period]:
    """UTC, valid and mutually disjoint periods, in start order; BAD_USER_INPUT otherwise."""
    if not periods:
        raise BadUserInput("give at least one slot")
    if len(periods) > MAX_SLOTS_PER_CALL:
        raise BadUserInput(f"at most {MAX_SLOTS_PER_CALL} slots per call")
    checked: list[Period] = []
    for period in periods:
        if period.starts_at.tzinfo is None or period.ends_at.tzinfo is None:
            raise BadUserInput("slot times need a UTC offset, e.g. 2027-01-04T09:00:00Z")
        starts, ends = as_utc(period.starts_at), as_utc(period.ends_at)
        if ends <= starts:
            raise BadUserInput(f"a slot must end after it starts ({starts.isoformat()})")
        if not MIN_SLOT <= ends - starts <= MAX_SLOT:
            raise BadUserInput("a slot must last between 5 minutes and 12 hours")
        if starts <= now:
            raise BadUserInput(f"a slot must start in the future ({starts.isoformat()})")
        if starts > now + MAX_AHEAD:
            raise BadUserInput("slots can be offered at most a year ahead")
        checked.append(Period(starts, ends))
    checked.sort(key=lambda p: p.starts_at)
    for before, after in itertools.pairwise(checked):
        if before.overlaps(after):
            raise BadUserInput(
                f"the slots starting {before.starts_at.isoformat()} and "
                f"{after.starts_at.isoformat()} overlap"
            )
    return checked


@dataclass(frozen=True)
class ProfessionalInput:
    display_name: str
    specialization: str
    hourly_rate: Money
    time_zone: str
    bio: str = ""


@dataclass(frozen=True)
class ProfessionalFilter:
    specialization: str | None = None
    text: str | None = None
