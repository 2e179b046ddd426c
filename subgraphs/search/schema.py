"""The search subgraph's federated schema."""

from __future__ import annotations

from subgraphs.common.errors import CodedErrors
from subgraphs.common.schema import SubgraphSchema
from subgraphs.search.resolvers import Query
from subgraphs.search.types import Product, Professional, Project, Task

schema = SubgraphSchema(
    query=Query, types=[Product, Task, Project, Professional], extensions=[CodedErrors]
)
