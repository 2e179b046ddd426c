"""The users subgraph's federated schema."""

from __future__ import annotations

import strawberry

from subgraphs.common.errors import CodedErrors
from subgraphs.users.resolvers import Mutation, Query
from subgraphs.users.types import User

schema = strawberry.federation.Schema(
    query=Query,
    mutation=Mutation,
    types=[User],
    extensions=[CodedErrors],
)
