"""The search subgraph's federated schema."""

from __future__ import annotations

import strawberry

from subgraphs.common.errors import CodedErrors
from subgraphs.search.resolvers import Query
from subgraphs.search.types import Product, Professional, Project, Task

schema = strawberry.federation.Schema(
    query=Query, types=[Product, Task, Project, Professional], extensions=[CodedErrors]
)
