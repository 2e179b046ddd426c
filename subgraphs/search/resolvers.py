"""The search subgraph's Query: `search` and `suggest`, for the caller as the token says."""

from __future__ import annotations

import base64
import binascii

import strawberry
from strawberry.types import Info

from db.base import as_utc
from subgraphs.common.context import Context
from subgraphs.common.errors import BadUserInput
from subgraphs.common.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageInfo
from subgraphs.search import documents as docs
from subgraphs.search.loaders import Loaders
from subgraphs.search.types import (
    Facet,
    FacetBucket,
    Highlight,
    SearchConnection,
    SearchEdge,
    SearchFilter,
    SearchType,
    Suggestion,
    node,
)

SearchInfo = Info[Context[Loaders], None]
MAX_QUERY_LENGTH = 200
MAX_OFFSET = 10_000 - MAX_PAGE_SIZE  # Elasticsearch's max_result_window: relevance pages end
MAX_SUGGESTIONS = 20
_CURSOR = "search:"


def encode_offset(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR}{offset}".encode()).decode().rstrip("=")


def decode_offset(cursor: str | None) -> int:
    """The offset after `cursor` (0 without one); BAD_USER_INPUT for a cursor not ours."""
    if cursor is None:
        return 0
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()).decode()
        if not raw.startswith(_CURSOR):
            raise ValueError(raw)
        offset = int(raw.removeprefix(_CURSOR)) + 1
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise BadUserInput("Invalid cursor", argument="after") from error
    if not 0 < offset <= MAX_OFFSET:
        raise BadUserInput(f"search results end after {MAX_OFFSET} hits; refine the query")
    return offset


def _types(types: list[SearchType] | None) -> frozenset[str] | None:
    return None if types is None else frozenset(t.value for t in types)


def _filters(given: SearchFilter | None) -> docs.Filters:
    if given is None:
        return docs.Filters()
    return docs.Filters(
        category_id=given.category_id,
        tags=tuple(dict.fromkeys(given.tags)),
        created_from=None if given.created_from is None else as_utc(given.created_from),
        created_to=None if given.created_to is None else as_utc(given.created_to),
    )


def _wants(info: SearchInfo, field: str) -> bool:
    """Whether the query selects `field` on the connection (facets cost extra queries)."""
    return any(
        getattr(selection, "name", None) == field
        for f in info.selected_fields
        for selection in f.selections
    )


async def _viewer(info: SearchInfo) -> str | None:
    caller = await info.context.caller()
    return None if caller is None else caller.user_id


@strawberry.type
class Query:
    @strawberry.field(
        description=(
            "Products, and the tasks and projects of your projects, matching every word of "
            "`query` with typos forgiven (one in words of 3-5 letters, two in longer ones); "
            "names weigh more than descriptions. An empty query lists everything the filters "
            "let through, newest first."
        )
    )
    async def search(
        self,
        info: SearchInfo,
        query: str = "",
        types: list[SearchType] | None = None,
        filters: SearchFilter | None = None,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> SearchConnection:
        if len(query) > MAX_QUERY_LENGTH:
            raise BadUserInput(f"query must be at most {MAX_QUERY_LENGTH} characters")
        if not 0 <= first <= MAX_PAGE_SIZE:
            raise BadUserInput(f"first must be between 0 and {MAX_PAGE_SIZE}", argument="first")
        offset = decode_offset(after)
        results = await info.context.loaders.backend.search(
            docs.SearchQuery(
                text=query,
                viewer=await _viewer(info),
                types=_types(types),
                filters=_filters(filters),
                limit=first,
                offset=offset,
                facets=_wants(info, "facets"),
            )
        )
        edges = [
            SearchEdge(
                cursor=encode_offset(offset + i),
                score=hit.score,
                highlights=[Highlight(field=h.field, snippet=h.snippet) for h in hit.highlights],
                node=node(hit.type, hit.id),
            )
            for i, hit in enumerate(results.hits)
        ]
        return SearchConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=offset + len(edges) < results.total,
                has_previous_page=offset > 0,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=results.total,
            facets=[
                Facet(
                    field=facet.field,
                    buckets=[FacetBucket(value=b.value, count=b.count) for b in facet.buckets],
                )
                for facet in results.facets
            ],
        )

    @strawberry.field(
        description=(
            "Autocomplete: names with a word that starts with `prefix` (names that start with "
            "it first, then shorter ones), visible to you as in `search`."
        )
    )
    async def suggest(
        self,
        info: SearchInfo,
        prefix: str,
        types: list[SearchType] | None = None,
        limit: int = 10,
    ) -> list[Suggestion]:
        if not 1 <= limit <= MAX_SUGGESTIONS:
            raise BadUserInput(f"limit must be between 1 and {MAX_SUGGESTIONS}", argument="limit")
        if len(prefix) > MAX_QUERY_LENGTH:
            raise BadUserInput(f"prefix must be at most {MAX_QUERY_LENGTH} characters")
        found = await info.context.loaders.backend.suggest(
            docs.SuggestQuery(
                prefix=prefix, viewer=await _viewer(info), types=_types(types), limit=limit
            )
        )
        return [Suggestion(text=s.text, score=s.score, node=node(s.type, s.id)) for s in found]
