"""What the SQLite and PostgreSQL backends share: the tables, version-guarded writes,
project membership, and the filters of a search. Each dialect adds how it matches text
(`sqlite.py`, `postgres.py`).

Every write is one `INSERT ... ON CONFLICT DO UPDATE ... WHERE stored.rank <= new.rank`: the
database itself refuses an older change, so concurrent workers cannot put an old version back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    MetaData,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db import Database
from db import migrations as db_migrations
from db.base import as_utc
from subgraphs.search import documents as docs
from subgraphs.search.documents import Document, SearchQuery, SearchResults
from subgraphs.search.text import query_words, render_snippet, words

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
CHUNK = 500  # rows per INSERT (SQLite allows 32,766 parameters a statement)

_metadata = MetaData()
_documents_columns = (
    Column("type", Text, primary_key=True),
    Column("id", Text, primary_key=True),
    Column("rank", BigInteger),
    Column("deleted", Boolean),
    Column("name", Text),
    Column("description", Text),
    Column("category_id", Text),
    Column("project_id", Text),
)
SQLITE_DOCUMENTS = Table(
    "search_documents",
    _metadata,
    *(c._copy() for c in _documents_columns),
    Column("tags", Text),  # a JSON array
    Column("tags_text", Text),  # the tags joined by spaces, for FTS5
    Column("created_at", Text),  # fixed-width UTC text: compares in time order
)
POSTGRES_DOCUMENTS = Table(
    "search_documents",
    MetaData(),
    *(c._copy() for c in _documents_columns),
    Column("tags", postgresql.ARRAY(Text)),
    Column("created_at", postgresql.TIMESTAMP(timezone=True)),
)
PROJECTS = Table(
    "search_projects",
    _metadata,
    Column("project_id", Text, primary_key=True),
    Column("rank", BigInteger),
)


def utc_text(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%f")


class SqlBackend:
    """The shared part; a subclass sets `dialect` and says how its full-text index finds,
    writes and ranks a match (`_expand`, `_match_text`, `_match_source`, `_ranked_query`)."""

    dialect = "sqlite"
    score_sign = 1.0  # -1.0 where the database's rank is lower for a better match

    def __init__(self, url: str) -> None:
        self.url = url
        self.db = Database.from_url(url)

    @property
    def _documents(self) -> Table:
        return SQLITE_DOCUMENTS if self.dialect == "sqlite" else POSTGRES_DOCUMENTS

    def _insert(self, table: Table) -> Any:
        return (sqlite.insert if self.dialect == "sqlite" else postgresql.insert)(table)

    async def setup(self) -> None:
        await db_migrations.upgrade(self.url, MIGRATIONS, "search")

    # --- writes ----------------------------------------------------------------------------

    def _row(self, document: Document, deleted: bool = False) -> dict[str, Any]:
        tags = list(document.tags)
        row: dict[str, Any] = {
            "type": document.type,
            "id": document.id,
            "rank": docs.rank(document.version, deleted),
            "deleted": deleted,
            "name": document.name,
            "description": document.description,
            "category_id": document.category_id,
            "project_id": document.project_id,
        }
        if self.dialect == "sqlite":
            row["tags"] = json.dumps(tags)
            row["tags_text"] = " ".join(tags)
            row["created_at"] = utc_text(document.created_at) if document.created_at else None
        else:
            row["tags"] = tags
            row["created_at"] = document.created_at
        return row

    async def _write_rows(self, session: AsyncSession, rows: list[dict[str, Any]]) -> int:
        table = self._documents
        applied = 0
        for start in range(0, len(rows), CHUNK):
            statement = self._insert(table).values(rows[start : start + CHUNK])
            replaced = {c.name: statement.excluded[c.name] for c in table.c if not c.primary_key}
            statement = statement.on_conflict_do_update(
                index_elements=[table.c.type, table.c.id],
                set_=replaced,
                where=table.c.rank <= statement.excluded.rank,
            ).returning(table.c.id)
            applied += len((await session.execute(statement)).all())
        return applied

    async def upsert(self, documents: Sequence[Document]) -> int:
        if not documents:
            return 0
        # The last change of a document in one batch wins (one statement may not touch a row
        # twice); older ones would lose to it anyway.
        latest: dict[tuple[str, str], Document] = {}
        for document in documents:
            key = (document.type, document.id)
            if key not in latest or latest[key].version <= document.version:
                latest[key] = document
        vocabulary: dict[str, None] = {}
        for document in latest.values():
            for word in words(f"{document.name} {document.description} {' '.join(document.tags)}"):
                vocabulary.setdefault(word, None)
        async with self.db.transaction() as session:
            applied = await self._write_rows(session, [self._row(d) for d in latest.values()])
            await self._add_words(session, list(vocabulary))
        return applied

    async def _add_words(self, session: AsyncSession, new_words: list[str]) -> None:
        table = Table("search_terms", MetaData(), Column("word", Text))
        for start in range(0, len(new_words), CHUNK):
            chunk = [{"word": w} for w in new_words[start : start + CHUNK]]
            await session.execute(self._insert(table).values(chunk).on_conflict_do_nothing())

    async def delete(self, type: str, id: str, version: int) -> bool:
        tombstone = Document(type=type, id=id, version=version, name="")
        async with self.db.transaction() as session:
            return await self._write_rows(session, [self._row(tombstone, deleted=True)]) == 1

    async def set_members(self, project_id: str, members: Sequence[str], version: int) -> bool:
        async with self.db.transaction() as session:
            return await self._set_members(session, project_id, members, docs.rank(version, False))

    async def _set_members(
        self, session: AsyncSession, project_id: str, members: Sequence[str], rank: int
    ) -> bool:
        statement = self._insert(PROJECTS).values(project_id=project_id, rank=rank)
        statement = statement.on_conflict_do_update(
            index_elements=[PROJECTS.c.project_id],
            set_={"rank": statement.excluded.rank},
            where=PROJECTS.c.rank <= statement.excluded.rank,
        ).returning(PROJECTS.c.project_id)
        if not (await session.execute(statement)).all():
            return False
        await session.execute(
            text("DELETE FROM search_members WHERE project_id = :p"), {"p": project_id}
        )
        if members:
            await session.execute(
                text("INSERT INTO search_members (project_id, user_id) VALUES (:p, :u)"),
                [{"p": project_id, "u": user} for user in sorted(set(members))],
            )
        return True

    async def delete_project(self, project_id: str, version: int) -> bool:
        async with self.db.transaction() as session:
            if not await self._set_members(session, project_id, (), docs.rank(version, True)):
                return False
            # Its documents become tombstones; they keep project_id, so an old event that
            # brings one back shows it to no one (the project has no members).
            await session.execute(
                text(
                    "UPDATE search_documents SET deleted = :yes, name = '', description = '' "
                    "WHERE project_id = :p AND deleted = :no"
                ),
                {"p": project_id, "yes": True, "no": False},
            )
            return True

    async def projects_of(self, user_id: str) -> frozenset[str]:
        async with self.db.sessions() as session:
            rows = await session.scalars(
                text("SELECT project_id FROM search_members WHERE user_id = :u"), {"u": user_id}
            )
            return frozenset(rows)

    async def clear(self, type: str | None = None) -> None:
        async with self.db.transaction() as session:
            if type is None:
                await session.execute(text("DELETE FROM search_documents"))
                await session.execute(text("DELETE FROM search_terms"))
            else:
                await session.execute(
                    text("DELETE FROM search_documents WHERE type = :t"), {"t": type}
                )
            if type in (None, docs.PROJECT):
                await session.execute(text("DELETE FROM search_members"))
                await session.execute(text("DELETE FROM search_projects"))

    async def refresh(self) -> None:
        return None

    async def ping(self) -> None:
        await self.db.ping()

    async def close(self) -> None:
        await self.db.dispose()

    # --- reads -----------------------------------------------------------------------------

    def filters(self, query: SearchQuery | docs.SuggestQuery, params: dict[str, Any]) -> list[str]:
        """WHERE conditions on `d` (search_documents) shared by search and suggest: not
        deleted, the types asked for, visible to the viewer, and the search's filters."""
        conditions = ["d.deleted = :not_deleted"]
        params["not_deleted"] = False
        if query.types is not None:
            names = sorted(query.types)
            conditions.append(
                "d.type IN (" + ", ".join(f":type{i}" for i in range(len(names))) + ")"
            )
            params.update({f"type{i}": name for i, name in enumerate(names)})
        # A document of a project is visible to that project's members only.
        if query.viewer is None:
            conditions.append("d.project_id IS NULL")
        else:
            conditions.append(
                "(d.project_id IS NULL OR d.project_id IN "
                "(SELECT m.project_id FROM search_members m WHERE m.user_id = :viewer))"
            )
            params["viewer"] = query.viewer
        if isinstance(query, SearchQuery):
            conditions += self._search_filters(query, params)
        return conditions

    def _search_filters(self, query: SearchQuery, params: dict[str, Any]) -> list[str]:
        f = query.filters
        conditions: list[str] = []
        if f.category_id is not None:
            conditions.append("d.category_id = :category_id")
            params["category_id"] = f.category_id
        for i, tag in enumerate(f.tags):
            conditions.append(self._has_tag(f":tag{i}"))
            params[f"tag{i}"] = tag
        for name, moment, operator in (
            ("created_from", f.created_from, ">="),
            ("created_to", f.created_to, "<"),
        ):
            if moment is not None:
                conditions.append(f"d.created_at {operator} :{name}")
                params[name] = utc_text(moment) if self.dialect == "sqlite" else moment
        return conditions

    def _has_tag(self, param: str) -> str:
        raise NotImplementedError

    async def search(self, query: SearchQuery) -> SearchResults:
        params: dict[str, Any] = {"limit": query.limit, "offset": query.offset}
        conditions = self.filters(query, params)
        terms = query_words(query.text)
        async with self.db.sessions() as session:
            if not terms:
                return await self._browse(session, query, conditions, params)
            alternatives = await self._near_words(session, terms)
            if alternatives is None:
                return SearchResults(hits=(), total=0, facets=empty_facets(query))
            params["match"] = self._match_text(alternatives)
            source = self._match_source(conditions)
            ranked = self._ranked_query(source, params)
            rows = (await session.execute(text(ranked), params)).all()
            total = await session.scalar(text(f"SELECT count(*) {source}"), params)
            facets = await self.facets(session, source, params) if query.facets else ()
        hits = tuple(
            docs.Hit(type, id, self.score_sign * float(score), highlights(name, description))
            for type, id, score, name, description in rows
        )
        return SearchResults(hits=hits, total=int(total or 0), facets=facets)

    async def _near_words(self, session: AsyncSession, terms: list[str]) -> list[list[str]] | None:
        """Each query word's near words in the index's vocabulary; None when a word has none
        (then no document can match every word)."""
        alternatives = []
        for word in terms:
            found = await self._expand(session, word)
            if not found:
                return None
            alternatives.append(found)
        return alternatives

    async def _expand(self, session: AsyncSession, word: str) -> list[str]:
        """The indexed words at most `text.max_edits` typos away from `word`."""
        raise NotImplementedError

    def _match_text(self, alternatives: list[list[str]]) -> str:
        """The full-text query (bound as :match): for every word, one of its near words."""
        raise NotImplementedError

    def _match_source(self, conditions: list[str]) -> str:
        """FROM and WHERE of the documents (`d`) that :match and the conditions select."""
        raise NotImplementedError

    def _ranked_query(self, source: str, params: dict[str, Any]) -> str:
        """One page of the matches, best first: type, id, score, name and description with
        the matched words marked."""
        raise NotImplementedError

    async def facets(
        self, session: AsyncSession, source: str, params: dict[str, Any]
    ) -> tuple[docs.Facet, ...]:
        """Counts of the matching documents by type, category and tag (`source`: FROM and
        WHERE of the matches, `d` the documents)."""
        limit = docs.FACET_BUCKETS
        statements = {
            "type": f"SELECT d.type, count(*) AS n {source} GROUP BY d.type",
            "categoryId": f"SELECT d.category_id, count(*) AS n {source} "
            "AND d.category_id IS NOT NULL GROUP BY d.category_id",
            "tags": self._tag_facet(source),
        }
        facets = []
        for field in docs.FACET_FIELDS:
            rows = await session.execute(
                text(f"SELECT * FROM ({statements[field]}) f ORDER BY 2 DESC, 1 LIMIT {limit}"),
                params,
            )
            buckets = tuple(docs.Bucket(str(value), int(n)) for value, n in rows)
            facets.append(docs.Facet(field, buckets))
        return tuple(facets)

    def _tag_facet(self, source: str) -> str:
        raise NotImplementedError

    async def _browse(
        self,
        session: AsyncSession,
        query: SearchQuery,
        conditions: list[str],
        params: dict[str, Any],
    ) -> docs.SearchResults:
        """No words to match: every visible document the filters let through, newest first."""
        source = "FROM search_documents d WHERE " + " AND ".join(conditions)
        rows = await session.execute(
            text(
                f"SELECT d.type, d.id {source} "
                "ORDER BY d.created_at DESC, d.id LIMIT :limit OFFSET :offset"
            ),
            params,
        )
        total = await session.scalar(text(f"SELECT count(*) {source}"), params)
        facets = await self.facets(session, source, params) if query.facets else ()
        hits = tuple(docs.Hit(type, id, 0.0) for type, id in rows)
        return docs.SearchResults(hits=hits, total=int(total or 0), facets=facets)

    def _suggest_source(self, prefix: str, params: dict[str, Any]) -> str:
        """FROM and the start of WHERE for suggestions (a dialect may narrow by an index)."""
        return "FROM search_documents d WHERE"

    async def suggest(self, query: docs.SuggestQuery) -> list[docs.Suggestion]:
        """Names with a word that starts with the prefix; names that start with it first."""
        prefix = " ".join(query.prefix.lower().split())
        if not prefix:
            return []
        params: dict[str, Any] = {"limit": query.limit}
        conditions = self.filters(query, params)
        params["start"] = like_prefix(prefix)
        params["word"] = "% " + like_prefix(prefix)
        source = self._suggest_source(prefix, params)
        starts = "lower(d.name) LIKE :start ESCAPE '\\'"
        statement = (
            f"SELECT d.type, d.id, d.name, CASE WHEN {starts} THEN 1.0 ELSE 0.5 END AS score "
            f"{source} ({starts} OR lower(d.name) LIKE :word ESCAPE '\\') AND "
            + " AND ".join(conditions)
            + " ORDER BY score DESC, length(d.name), d.name, d.id LIMIT :limit"
        )
        async with self.db.sessions() as session:
            rows = (await session.execute(text(statement), params)).all()
        return [docs.Suggestion(t, i, name, float(score)) for t, i, name, score in rows]


def like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def highlights(name: str | None, description: str | None) -> tuple[docs.Highlight, ...]:
    found = []
    for field, marked in (("name", name), ("description", description)):
        if marked and docs.MARK_START in marked:
            found.append(docs.Highlight(field, render_snippet(marked)))
    return tuple(found)


def empty_facets(query: SearchQuery) -> tuple[docs.Facet, ...]:
    if not query.facets:
        return ()
    return tuple(docs.Facet(field, ()) for field in docs.FACET_FIELDS)
