"""The interface every search backend implements, and the choice of backend from settings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from subgraphs.common.settings import Settings
from subgraphs.search.documents import (
    Document,
    SearchQuery,
    SearchResults,
    Suggestion,
    SuggestQuery,
)


class SearchBackend(Protocol):
    """Writes are idempotent and ordered by version (`documents.rank`): a change older than
    what is stored changes nothing, so events may arrive twice or out of order."""

    async def setup(self) -> None:
        """Create the index (tables, mappings) if it does not exist: SQL backends migrate
        the database (tests; processes leave that to `mosaic db upgrade search`)."""

    async def upsert(self, documents: Sequence[Document]) -> int:
        """Store the documents unless a newer change (or a delete) of each is stored; returns
        how many were applied."""

    async def delete(self, type: str, id: str, version: int) -> bool:
        """Forget a document as of `version` (it stays forgotten for every change at or below
        that version); True when applied."""

    async def set_members(self, project_id: str, members: Sequence[str], version: int) -> bool:
        """The members of a project as of `version`; True when applied."""

    async def delete_project(self, project_id: str, version: int) -> bool:
        """A project is gone: no one is its member any more, and its documents go too."""

    async def projects_of(self, user_id: str) -> frozenset[str]:
        """The projects whose documents this user may see."""

    async def search(self, query: SearchQuery) -> SearchResults: ...

    async def suggest(self, query: SuggestQuery) -> list[Suggestion]: ...

    async def clear(self, type: str | None = None) -> None:
        """Drop every document (of one type), tombstones included: before a rebuild."""

    async def refresh(self) -> None:
        """Make every write so far visible to searches (Elasticsearch refreshes each second)."""

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


async def prepare(backend: SearchBackend) -> None:
    """What a process does at start: Elasticsearch's indices and mappings are created here;
    SQL tables come from `mosaic db upgrade search` (migrations run before, never at start)."""
    from subgraphs.search.backends.sql import SqlBackend

    if not isinstance(backend, SqlBackend):
        await backend.setup()


def backend_from_settings(settings: Settings) -> SearchBackend:
    return backend_for_url(
        settings.database_url_for("search"),
        settings.elasticsearch_url,
        prefix=settings.elasticsearch_index_prefix,
    )


def backend_for_url(
    database_url: str, elasticsearch_url: str | None, *, prefix: str = "mosaic-"
) -> SearchBackend:
    """Elasticsearch when its URL is set, else the embedded backend of the subgraph's
    database (SQLite or PostgreSQL)."""
    if elasticsearch_url:
        from subgraphs.search.backends.elastic import ElasticBackend

        return ElasticBackend(elasticsearch_url, prefix=prefix)
    if database_url.startswith("postgresql"):
        from subgraphs.search.backends.postgres import PostgresBackend

        return PostgresBackend(database_url)
    from subgraphs.search.backends.sqlite import SQLiteBackend

    return SQLiteBackend(database_url)
