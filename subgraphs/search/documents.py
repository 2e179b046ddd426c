"""What the index holds and answers: frozen data passed between the indexer, the backends and
the resolvers (no GraphQL, no storage here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# The GraphQL type names of the entities the index holds (a hit's `node` is one of them).
PRODUCT = "Product"
TASK = "Task"
PROJECT = "Project"
PROFESSIONAL = "Professional"
TYPES = (PRODUCT, TASK, PROJECT, PROFESSIONAL)

# Facets every search can return (GraphQL `facets { field }`).
FACET_FIELDS = ("type", "categoryId", "tags")
FACET_BUCKETS = 10

# Highlights mark a match between these two characters; `render_snippet` turns them into
# <em>...</em> after escaping the text, so stored text never injects markup.
MARK_START = "\x02"
MARK_END = "\x03"


@dataclass(frozen=True)
class Document:
    """One entity as the index knows it. `project_id` set (tasks, projects): only the members
    of that project may see it."""

    type: str
    id: str
    version: int
    name: str
    description: str = ""
    tags: tuple[str, ...] = ()
    category_id: str | None = None
    project_id: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class Filters:
    category_id: str | None = None
    tags: tuple[str, ...] = ()  # every tag given must be on the document
    created_from: datetime | None = None  # inclusive
    created_to: datetime | None = None  # exclusive


@dataclass(frozen=True)
class SearchQuery:
    text: str
    # Who asks (None: anonymous). A document with a project_id is visible only to the members
    # of that project, as the index knows them (`SearchBackend.set_members`).
    viewer: str | None
    types: frozenset[str] | None = None
    filters: Filters = field(default_factory=Filters)
    limit: int = 20
    offset: int = 0
    facets: bool = True


@dataclass(frozen=True)
class Highlight:
    field: str
    snippet: str


@dataclass(frozen=True)
class Hit:
    type: str
    id: str
    score: float
    highlights: tuple[Highlight, ...] = ()


@dataclass(frozen=True)
class Bucket:
    value: str
    count: int


@dataclass(frozen=True)
class Facet:
    field: str
    buckets: tuple[Bucket, ...]


@dataclass(frozen=True)
class SearchResults:
    hits: tuple[Hit, ...]
    total: int
    facets: tuple[Facet, ...] = ()


@dataclass(frozen=True)
class SuggestQuery:
    prefix: str
    viewer: str | None
    types: frozenset[str] | None = None
    limit: int = 10


@dataclass(frozen=True)
class Suggestion:
    type: str
    id: str
    text: str
    score: float


def rank(version: int, deleted: bool) -> int:
    """The order of a change: newer versions win, and at one version a delete wins (a delete
    carries the version of the entity's last state). Stored with every document and project;
    a change applies when its rank is not below the stored one, so a duplicate is harmless."""
    return 2 * version + (1 if deleted else 0)
