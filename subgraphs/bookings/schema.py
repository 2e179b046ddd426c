"""The bookings subgraph's federated schema."""

from __future__ import annotations

import strawberry

from subgraphs.bookings.resolvers import Mutation, Query
from subgraphs.bookings.types import Booking, Professional, Slot, User
from subgraphs.common.errors import CodedErrors

schema = strawberry.federation.Schema(
    query=Query,
    mutation=Mutation,
    types=[Professional, Slot, Booking, User],
    extensions=[CodedErrors],
)
