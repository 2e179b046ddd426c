"""The production backend without Elasticsearch: PostgreSQL `tsvector` and `pg_trgm`.

A query word matches the indexed words at most `text.max_edits` typos away: `pg_trgm`'s `%`
finds candidates in the vocabulary (GIN trigram index), the edit distance keeps the near ones,
and the document's `tsvector` must hold one of them for every query word. `ts_rank` weighs
the name (A) over the tags (B) over the description (C).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.search.backends.sql import SqlBackend
from subgraphs.search.documents import MARK_END, MARK_START
from subgraphs.search.text import near

CANDIDATES = 200
WEIGHTS = "{0.1, 0.25, 0.5, 1.0}"  # ts_rank weights of D, C (description), B (tags), A (name)
NAME_HEADLINE = f'StartSel="{MARK_START}", StopSel="{MARK_END}", HighlightAll=true'
DESCRIPTION_HEADLINE = (
    f'StartSel="{MARK_START}", StopSel="{MARK_END}", MaxFragments=1, MaxWords=16, MinWords=6'
)


class PostgresBackend(SqlBackend):
    dialect = "postgresql"

    async def _expand(self, session: AsyncSession, word: str) -> list[str]:
        rows = await session.scalars(
            text(
                "SELECT word FROM search_terms WHERE word % :w "
                f"ORDER BY similarity(word, :w) DESC LIMIT {CANDIDATES}"
            ),
            {"w": word},
        )
        return near(word, list(rows))

    def _match_text(self, alternatives: list[list[str]]) -> str:
        """`to_tsquery` text: each word as one of its near words."""
        return " & ".join("(" + " | ".join(f"'{w}'" for w in ws) + ")" for ws in alternatives)

    def _has_tag(self, param: str) -> str:
        return f"{param} = ANY(d.tags)"

    def _tag_facet(self, source: str) -> str:
        with_tags = source.replace(
            "FROM search_documents d", "FROM search_documents d, unnest(d.tags) AS t(value)", 1
        )
        return f"SELECT t.value, count(*) AS n {with_tags} GROUP BY t.value"

    def _match_source(self, conditions: list[str]) -> str:
        return (
            "FROM search_documents d WHERE d.tsv @@ to_tsquery('simple', :match) AND "
            + " AND ".join(conditions)
        )

    def _ranked_query(self, source: str, params: dict[str, Any]) -> str:
        params.update(name_options=NAME_HEADLINE, text_options=DESCRIPTION_HEADLINE)
        return (
            "SELECT p.type, p.id, p.score, "
            "ts_headline('simple', p.name, to_tsquery('simple', :match), :name_options), "
            "ts_headline('simple', p.description, to_tsquery('simple', :match), :text_options) "
            f"FROM (SELECT d.type, d.id, d.name, d.description, ts_rank('{WEIGHTS}', "
            f"d.tsv, to_tsquery('simple', :match)) AS score {source} "
            "ORDER BY score DESC, d.id LIMIT :limit OFFSET :offset) p "
            "ORDER BY p.score DESC, p.id"
        )
