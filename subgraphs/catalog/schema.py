"""The catalog subgraph's federated schema."""

from __future__ import annotations

import strawberry

from subgraphs.catalog.resolvers import Mutation, Query
from subgraphs.catalog.types import Category, Media, Order, Product, User
from subgraphs.common.errors import CodedErrors

schema = strawberry.federation.Schema(
    query=Query,
    mutation=Mutation,
    types=[Category, Product, Order, User, Media],
    extensions=[CodedErrors],
)
