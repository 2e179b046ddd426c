"""The federated schema."""

from __future__ import annotations

from subgraphs.common.errors import CodedErrors
from subgraphs.common.schema import SubgraphSchema
from subgraphs.media.resolvers import Mutation, Query
from subgraphs.media.types import Media, User

schema = SubgraphSchema(
    query=Query, mutation=Mutation, types=[Media, User], extensions=[CodedErrors]
)
