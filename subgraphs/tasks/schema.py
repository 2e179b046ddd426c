"""The tasks subgraph's federated schema."""

from __future__ import annotations

from strawberry.extensions import ValidationCache

from subgraphs.common.errors import CodedErrors
from subgraphs.common.schema import SubgraphSchema
from subgraphs.tasks.resolvers import Mutation, Query
from subgraphs.tasks.types import Project, Task, User

schema = SubgraphSchema(
    query=Query,
    mutation=Mutation,
    types=[Project, Task, User],
    # The router sends the same few documents over and over: validate each once (the factory
    # shares one LRU cache per maxsize, keyed by schema and document). Strawberry's ParserCache
    # is left out: with it a syntax error loses its BAD_USER_INPUT code.
    extensions=[CodedErrors, lambda: ValidationCache(maxsize=1024)],
)
