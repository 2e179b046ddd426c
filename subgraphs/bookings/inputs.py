"""GraphQL input types of bookings and their conversion to the service's dataclasses."""

from __future__ import annotations

from datetime import datetime

import strawberry

from subgraphs.bookings import domain
from subgraphs.common.money import MoneyInput


@strawberry.input
class RegisterProfessionalInput:
    display_name: str
    specialization: str
    hourly_rate: MoneyInput
    time_zone: str = strawberry.field(description="IANA name, e.g. Europe/Berlin.")
    bio: str = ""

    def to_domain(self) -> domain.ProfessionalInput:
        return domain.ProfessionalInput(
            display_name=self.display_name,
            specialization=self.specialization,
            hourly_rate=domain.Money(self.hourly_rate.amount, self.hourly_rate.currency),
            time_zone=self.time_zone,
            bio=self.bio,
        )


@strawberry.input
class ProfessionalFilter:
    specialization: str | None = strawberry.field(
        default=None, description="Exactly this specialization (any case)."
    )
    text: str | None = strawberry.field(
        default=None, description="Words in the name, specialization or bio (any case)."
    )

    def to_domain(self) -> domain.ProfessionalFilter:
        return domain.ProfessionalFilter(specialization=self.specialization, text=self.text)


@strawberry.input(description="A period to offer; times with a UTC offset.")
class SlotInput:
    starts_at: datetime
    ends_at: datetime

    def to_domain(self) -> domain.Period:
        return domain.Period(self.starts_at, self.ends_at)
