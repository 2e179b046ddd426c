"""GraphQL types of the bookings subgraph. `resolve_reference` only calls a DataLoader."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from db.base import as_utc
from subgraphs.bookings import domain, models
from subgraphs.bookings.loaders import Loaders
from subgraphs.bookings.service.access import parties
from subgraphs.bookings.service.bookings import booking_listing
from subgraphs.bookings.service.stats import BookingStats as BookingStatsData
from subgraphs.common.context import Context
from subgraphs.common.keyset import column_ordering, paginate_ordered
from subgraphs.common.money import Money
from subgraphs.common.pagination import Connection, to_connection

BookingsInfo = Info[Context[Loaders], None]

SlotStatus = strawberry.enum(domain.SlotStatus, name="SlotStatus")
BookingStatus = strawberry.enum(domain.BookingStatus, name="BookingStatus")
BookingRole = strawberry.enum(
    domain.BookingRole, name="BookingRole", description="Which side of your bookings to list."
)


@strawberry.federation.type(keys=["id"])  # owned by users; no description to clash
class User:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID, **_: Any) -> User:
        return cls(id=id)

    @strawberry.field(description="The user's professional profile; null when they have none.")
    async def professional_profile(self, info: BookingsInfo) -> Professional | None:
        row = await info.context.loaders.professional_by_user.load(str(self.id))
        return None if row is None else Professional.from_row(row)

    @strawberry.field(
        description="The user's bookings as a client, latest session first; null for anyone "
        "but the user and admins."
    )
    async def bookings(
        self,
        info: BookingsInfo,
        status: BookingStatus | None = None,  # type: ignore[valid-type]
        first: int | None = 20,
        after: str | None = None,
    ) -> Connection[Booking] | None:
        caller = await info.context.caller()
        if caller is None or (caller.user_id != str(self.id) and not caller.is_admin):
            return None
        return await booking_connection(
            info, domain.BookingRole.CLIENT, status, first, after, client_id=str(self.id)
        )


@strawberry.federation.type(keys=["id"], description="A professional who offers sessions.")
class Professional:
    id: strawberry.ID
    display_name: str
    specialization: str
    bio: str
    hourly_rate: Money
    time_zone: str = strawberry.field(description="IANA name, e.g. Europe/Berlin.")
    created_at: datetime
    row: strawberry.Private[models.Professional]

    @classmethod
    def from_row(cls, row: models.Professional) -> Professional:
        return cls(
            id=strawberry.ID(row.id),
            display_name=row.display_name,
            specialization=row.specialization,
            bio=row.bio,
            hourly_rate=Money(amount=row.hourly_rate_amount, currency=row.hourly_rate_currency),
            time_zone=row.time_zone,
            created_at=as_utc(row.created_at),
            row=row,
        )

    @classmethod
    async def resolve_reference(
        cls, info: BookingsInfo, id: strawberry.ID, **_: Any
    ) -> Professional | None:
        row = await info.context.loaders.professional_by_id.load(str(id))
        return None if row is None else cls.from_row(row)

    @strawberry.field(description="The user behind the profile.")
    def user(self) -> User:
        return User(id=strawberry.ID(self.row.user_id))


@strawberry.federation.type(keys=["id"], description="A period a professional offers.")
class Slot:
    id: strawberry.ID
    starts_at: datetime = strawberry.field(description="UTC.")
    ends_at: datetime = strawberry.field(description="UTC.")
    status: SlotStatus  # type: ignore[valid-type]
    row: strawberry.Private[models.Slot]

    @classmethod
    def from_row(cls, row: models.Slot) -> Slot:
        return cls(
            id=strawberry.ID(row.id),
            starts_at=as_utc(row.starts_at),
            ends_at=as_utc(row.ends_at),
            status=domain.SlotStatus(row.status),
            row=row,
        )

    @classmethod
    async def resolve_reference(
        cls, info: BookingsInfo, id: strawberry.ID, **_: Any
    ) -> Slot | None:
        row = await info.context.loaders.slot_by_id.load(str(id))
        return None if row is None else cls.from_row(row)

    @strawberry.field
    async def professional(self, info: BookingsInfo) -> Professional:
        row = await info.context.loaders.professional_by_id.load(self.row.professional_id)
        assert row is not None  # slots cascade with their professional
        return Professional.from_row(row)

    @strawberry.field(description="What booking it costs now: the hourly rate for its length.")
    async def price(self, info: BookingsInfo) -> Money:
        row = await info.context.loaders.professional_by_id.load(self.row.professional_id)
        assert row is not None
        rate = domain.Money(row.hourly_rate_amount, row.hourly_rate_currency)
        return Money.of(domain.price_of(rate, self.starts_at, self.ends_at))


@strawberry.type(description="One step of a booking's life.")
class BookingStatusChange:
    row: strawberry.Private[models.BookingStatusChange]

    @strawberry.field(name="from", description="Null for the request that created it.")
    def from_(self) -> BookingStatus | None:  # type: ignore[valid-type]
        return None if self.row.from_status is None else domain.BookingStatus(self.row.from_status)

    @strawberry.field
    def to(self) -> BookingStatus:  # type: ignore[valid-type]
        return domain.BookingStatus(self.row.to_status)

    @strawberry.field
    def at(self) -> datetime:
        return as_utc(self.row.at)

    @strawberry.field(description="Who made the change.")
    def by(self) -> User | None:
        return None if self.row.by_id is None else User(id=strawberry.ID(self.row.by_id))


@strawberry.federation.type(
    keys=["id"], description="A client's booking of a slot; visible to both sides and admins."
)
class Booking:
    id: strawberry.ID
    status: BookingStatus  # type: ignore[valid-type]
    notes: str
    starts_at: datetime = strawberry.field(description="UTC, as booked.")
    ends_at: datetime = strawberry.field(description="UTC, as booked.")
    price: Money = strawberry.field(description="The price when it was booked.")
    cancellation_reason: str | None
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[models.Booking]

    @classmethod
    def from_row(cls, row: models.Booking) -> Booking:
        return cls(
            id=strawberry.ID(row.id),
            status=domain.BookingStatus(row.status),
            notes=row.notes,
            starts_at=as_utc(row.starts_at),
            ends_at=as_utc(row.ends_at),
            price=Money(amount=row.price_amount, currency=row.price_currency),
            cancellation_reason=row.cancellation_reason,
            created_at=as_utc(row.created_at),
            updated_at=as_utc(row.updated_at),
            row=row,
        )

    @classmethod
    async def resolve_reference(
        cls, info: BookingsInfo, id: strawberry.ID, **_: Any
    ) -> Booking | None:
        loaders = info.context.loaders
        row = await loaders.booking_by_id.load(str(id))
        caller = await info.context.caller()
        if row is None or caller is None:
            return None
        professional = await loaders.professional_by_id.load(row.professional_id)
        # only its client, its professional and admins, here as in `booking(id)`
        if professional is None or not parties(caller, row, professional):
            return None
        return cls.from_row(row)

    @strawberry.field(description="The slot; null once the professional deleted it (after "
                      "this booking was cancelled).")  # fmt: skip
    async def slot(self, info: BookingsInfo) -> Slot | None:
        if self.row.slot_id is None:
            return None
        row = await info.context.loaders.slot_by_id.load(self.row.slot_id)
        return None if row is None else Slot.from_row(row)

    @strawberry.field
    async def professional(self, info: BookingsInfo) -> Professional:
        row = await info.context.loaders.professional_by_id.load(self.row.professional_id)
        assert row is not None  # bookings cascade with their professional
        return Professional.from_row(row)

    @strawberry.field
    def client(self) -> User:
        return User(id=strawberry.ID(self.row.client_id))

    @strawberry.field(description="Every status change, oldest first.")
    async def status_history(self, info: BookingsInfo) -> list[BookingStatusChange]:
        rows = await info.context.loaders.history_by_booking.load(self.row.id)
        return [BookingStatusChange(row=row) for row in rows]


_SOONEST_LAST = column_ordering(
    "BOOKINGS", models.Booking.starts_at, models.Booking.id, descending=True
)


async def booking_connection(
    info: BookingsInfo,
    role: domain.BookingRole,
    status: domain.BookingStatus | None,
    first: int | None,
    after: str | None,
    *,
    client_id: str | None = None,
) -> Connection[Booking]:
    caller = await info.context.caller()
    async with info.context.db.sessions() as session:
        statement = await booking_listing(session, caller, role, status, client_id=client_id)
        page = await paginate_ordered(session, statement, _SOONEST_LAST, first=first, after=after)
    return to_connection(page, Booking.from_row)


@strawberry.type
class BookingStatusCount:
    status: BookingStatus  # type: ignore[valid-type]
    count: int


@strawberry.type(description="Bookings of one professional, or of all (admins).")
class BookingStats:
    data: strawberry.Private[BookingStatsData]

    @strawberry.field(description="Null: every professional (admins).")
    async def professional(self, info: BookingsInfo) -> Professional | None:
        if self.data.professional_id is None:
            return None
        row = await info.context.loaders.professional_by_id.load(self.data.professional_id)
        return None if row is None else Professional.from_row(row)

    @strawberry.field(description="Prices of COMPLETED bookings, one total per currency.")
    def revenue(self) -> list[Money]:
        return [Money.of(m) for m in self.data.revenue]

    @strawberry.field(description="Every status, with its count (zeros included).")
    def counts_by_status(self) -> list[BookingStatusCount]:
        return [BookingStatusCount(status=s, count=n) for s, n in self.data.by_status]

    @strawberry.field
    def total(self) -> int:
        return self.data.total

    @strawberry.field(description="NO_SHOW / (COMPLETED + NO_SHOW); null while no session was due.")
    def no_show_rate(self) -> float | None:
        return self.data.no_show_rate
