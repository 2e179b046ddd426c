"""The users subgraph's federated schema."""

from __future__ import annotations

from subgraphs.common.errors import CodedErrors
from subgraphs.common.schema import SubgraphSchema
from subgraphs.users.resolvers import Mutation, Query
from subgraphs.users.types import User

schema = SubgraphSchema(
    query=Query,
    mutation=Mutation,
    types=[User],
    extensions=[CodedErrors],
)
