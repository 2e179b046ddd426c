"""The catalog subgraph's federated schema."""

from __future__ import annotations

from subgraphs.catalog.resolvers import Mutation, Query
from subgraphs.catalog.types import Category, Media, Order, Product, User
from subgraphs.common.errors import CodedErrors
from subgraphs.common.schema import SubgraphSchema

schema = SubgraphSchema(
    query=Query,
    mutation=Mutation,
    types=[Category, Product, Order, User, Media],
    extensions=[CodedErrors],
)
