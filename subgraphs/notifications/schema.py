"""The notifications subgraph's federated schema."""

from __future__ import annotations

from subgraphs.common.errors import CodedErrors
from subgraphs.common.schema import SubgraphSchema
from subgraphs.notifications.resolvers import Mutation, Query, Subscription
from subgraphs.notifications.types import Booking, Media, Notification, Order, Task, Template, User

schema = SubgraphSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Notification, Template, User, Task, Order, Booking, Media],
    extensions=[CodedErrors],
)
