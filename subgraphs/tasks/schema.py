"""The tasks subgraph's federated schema."""

from __future__ import annotations

import strawberry

from subgraphs.common.errors import CodedErrors
from subgraphs.tasks.resolvers import Mutation, Query
from subgraphs.tasks.types import Project, Task, User

schema = strawberry.federation.Schema(
    query=Query,
    mutation=Mutation,
    types=[Project, Task, User],
    extensions=[CodedErrors],
)
