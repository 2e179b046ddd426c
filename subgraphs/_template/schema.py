"""The federated schema."""

from __future__ import annotations

from subgraphs._template.resolvers import Mutation, Query
from subgraphs._template.types import Thing
from subgraphs.common.errors import CodedErrors
from subgraphs.common.schema import SubgraphSchema

schema = SubgraphSchema(query=Query, mutation=Mutation, types=[Thing], extensions=[CodedErrors])
