"""GraphQL types of the search subgraph. A hit's `node` is a reference to an entity another
subgraph owns (`resolvable: false`: only `id` here); the router completes its fields there."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.federation.schema_directives import Key

from subgraphs.common.pagination import PageInfo
from subgraphs.search import documents as docs

# Only a reference: the owning subgraph resolves every other field.
REFERENCE: Key = Key(fields="id", resolvable=False)  # type: ignore[arg-type]


@strawberry.federation.type(keys=[REFERENCE])
class Product:
    id: strawberry.ID


@strawberry.federation.type(keys=[REFERENCE])
class Task:
    id: strawberry.ID


@strawberry.federation.type(keys=[REFERENCE])
class Project:
    id: strawberry.ID


@strawberry.federation.type(keys=[REFERENCE])
class Professional:
    id: strawberry.ID


Node = Product | Task | Project | Professional
SearchNode = Annotated[
    Node,
    strawberry.union("SearchNode", description="An entity a search found; its owner resolves it."),
]
NODE_TYPES: dict[str, type[Node]] = {
    docs.PRODUCT: Product,
    docs.TASK: Task,
    docs.PROJECT: Project,
    docs.PROFESSIONAL: Professional,
}


def node(type: str, id: str) -> Node:
    return NODE_TYPES[type](id=strawberry.ID(id))


@strawberry.enum(description="What a search may return.")
class SearchType(Enum):
    PRODUCT = docs.PRODUCT
    TASK = docs.TASK
    PROJECT = docs.PROJECT
    PROFESSIONAL = docs.PROFESSIONAL


@strawberry.input(description="Narrow a search; every filter given must hold.")
class SearchFilter:
    category_id: strawberry.ID | None = strawberry.field(
        default=None, description="Products of this category."
    )
    tags: list[str] = strawberry.field(
        default_factory=list, description="Documents that carry every one of these tags."
    )
    created_from: datetime | None = strawberry.field(
        default=None, name="from", description="Created at or after this time."
    )
    created_to: datetime | None = strawberry.field(
        default=None, name="to", description="Created before this time."
    )


@strawberry.type
class Highlight:
    field: str = strawberry.field(description="`name` or `description`.")
    snippet: str = strawberry.field(
        description="The text (HTML-escaped) with each match inside <em>...</em>."
    )


@strawberry.type
class SearchEdge:
    cursor: str
    score: float = strawberry.field(description="Relevance: higher is better (0 with no query).")
    highlights: list[Highlight]
    node: SearchNode


@strawberry.type
class FacetBucket:
    value: str
    count: int


@strawberry.type
class Facet:
    field: str = strawberry.field(description="`type`, `categoryId` or `tags`.")
    buckets: list[FacetBucket] = strawberry.field(
        description="The most frequent values among all matches (not only this page)."
    )


@strawberry.type
class SearchConnection:
    edges: list[SearchEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="Matches visible to the caller.")
    facets: list[Facet]


@strawberry.type
class Suggestion:
    text: str = strawberry.field(description="The name to complete to.")
    score: float
    node: SearchNode
