"""The embedded backend of `make dev`: SQLite FTS5 with the trigram tokenizer.

A query word matches the indexed words at most `text.max_edits` typos away: the trigrams of
the word find candidates in the vocabulary (`search_terms_fts`), the edit distance keeps the
near ones, and each document must contain one of them for every query word. bm25 ranks with
the name weighing four times the description (tags twice).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.search.backends.sql import SqlBackend
from subgraphs.search.documents import MARK_END, MARK_START
from subgraphs.search.text import near, trigrams

CANDIDATES = 200  # vocabulary words a query word's trigrams may bring (closest by bm25)
WEIGHTS = "4.0, 1.0, 2.0"  # bm25 column weights: name, description, tags


class SQLiteBackend(SqlBackend):
    dialect = "sqlite"
    score_sign = -1.0  # bm25 is lower for a better match

    async def _expand(self, session: AsyncSession, word: str) -> list[str]:
        match = " OR ".join(f'"{t}"' for t in trigrams(word))
        rows = await session.scalars(
            text(
                "SELECT word FROM search_terms_fts WHERE search_terms_fts MATCH :m "
                f"ORDER BY bm25(search_terms_fts) LIMIT {CANDIDATES}"
            ),
            {"m": match},
        )
        return near(word, list(rows))

    def _match_text(self, alternatives: list[list[str]]) -> str:
        """The FTS5 query: each word as one of its near words."""
        return " AND ".join("(" + " OR ".join(f'"{w}"' for w in ws) + ")" for ws in alternatives)

    def _has_tag(self, param: str) -> str:
        return f"EXISTS (SELECT 1 FROM json_each(d.tags) t WHERE t.value = {param})"

    def _tag_facet(self, source: str) -> str:
        with_tags = source.replace("WHERE", ", json_each(d.tags) t WHERE", 1)
        return f"SELECT t.value, count(*) AS n {with_tags} GROUP BY t.value"

    def _match_source(self, conditions: list[str]) -> str:
        # CROSS JOIN: SQLite then always starts from the full-text match; with a plain JOIN and
        # a category filter it walked the category's rows and ran the match once per row
        # (EXPLAIN QUERY PLAN; p50 930 ms on 100,000 documents, bench/search).
        return (
            "FROM search_fts CROSS JOIN search_documents d ON d.rowid = search_fts.rowid "
            "WHERE search_fts MATCH :match AND " + " AND ".join(conditions)
        )

    def _ranked_query(self, source: str, params: dict[str, Any]) -> str:
        return (
            f"SELECT d.type, d.id, bm25(search_fts, {WEIGHTS}) AS score, "
            f"highlight(search_fts, 0, '{MARK_START}', '{MARK_END}'), "
            f"snippet(search_fts, 1, '{MARK_START}', '{MARK_END}', '…', 16) "
            f"{source} ORDER BY score, d.id LIMIT :limit OFFSET :offset"
        )

    def _suggest_source(self, prefix: str, params: dict[str, Any]) -> str:
        if len(prefix) >= 3 and prefix.replace(" ", "").isalnum():
            # The trigram index narrows the candidates to names containing the prefix.
            params["anywhere"] = f"%{prefix}%"
            return (
                "FROM search_fts CROSS JOIN search_documents d ON d.rowid = search_fts.rowid "
                "WHERE search_fts.name LIKE :anywhere AND"
            )
        return "FROM search_documents d WHERE"
