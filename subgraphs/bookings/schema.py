"""The bookings subgraph's federated schema."""

from __future__ import annotations

from subgraphs.bookings.resolvers import Mutation, Query
from subgraphs.bookings.types import Booking, Professional, Slot, User
from subgraphs.common.errors import CodedErrors
from subgraphs.common.schema import SubgraphSchema

schema = SubgraphSchema(
    query=Query,
    mutation=Mutation,
    types=[Professional, Slot, Booking, User],
    extensions=[CodedErrors],
)
