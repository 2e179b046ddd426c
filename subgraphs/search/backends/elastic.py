"""Elasticsearch through the official async client: the backend for large deployments.

Two indices: `<prefix>documents` and `<prefix>projects` (members per project). Versions use
Elasticsearch's own external versioning (`version_type=external_gte` with `documents.rank`),
so the cluster refuses an older change exactly as the SQL backends do. Deleted documents stay
as tombstone documents (`deleted: true`): a real delete forgets its version after
`index.gc_deletes`. Each query word is a `multi_match` with `fuzziness: AUTO` over name (x4),
tags (x2) and description, and every word must match; facets are terms aggregations;
suggestions use a `search_as_you_type` field.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from elastic_transport import HttpxAsyncHttpNode
from elasticsearch import AsyncElasticsearch, ConflictError
from elasticsearch.helpers import async_bulk

from subgraphs.search import documents as docs
from subgraphs.search.documents import Document, SearchQuery, SearchResults
from subgraphs.search.text import query_words, render_snippet

DOCUMENT_MAPPINGS: dict[str, Any] = {
    "properties": {
        "type": {"type": "keyword"},
        "id": {"type": "keyword"},
        "deleted": {"type": "boolean"},
        "name": {"type": "text", "fields": {"suggest": {"type": "search_as_you_type"}}},
        "description": {"type": "text"},
        "tags": {"type": "keyword", "fields": {"text": {"type": "text"}}},
        "category_id": {"type": "keyword"},
        "project_id": {"type": "keyword"},
        "created_at": {"type": "date"},
    }
}
PROJECT_MAPPINGS: dict[str, Any] = {"properties": {"members": {"type": "keyword"}}}
FIELDS = ["name^4", "tags.text^2", "description"]
MAX_PROJECTS = 10_000  # projects one user may see in search (a terms filter's size)
FACET_FIELDS = {"type": "type", "categoryId": "category_id", "tags": "tags"}


class ElasticBackend:
    def __init__(self, url: str, *, prefix: str = "mosaic-", refresh: bool = False) -> None:
        # httpx: a runtime dependency already (the default aiohttp transport is not).
        self.client = AsyncElasticsearch(url, node_class=HttpxAsyncHttpNode)
        self.documents = f"{prefix}documents"
        self.projects = f"{prefix}projects"
        # True (tests): each write is searchable when it returns; else within the refresh
        # interval (one second by default).
        self._refresh: Any = "wait_for" if refresh else False

    async def setup(self) -> None:
        for index, mappings in (
            (self.documents, DOCUMENT_MAPPINGS),
            (self.projects, PROJECT_MAPPINGS),
        ):
            if not await self.client.indices.exists(index=index):
                await self.client.indices.create(index=index, mappings=mappings)

    async def drop(self) -> None:
        await self.client.indices.delete(
            index=[self.documents, self.projects], ignore_unavailable=True
        )

    # --- writes ----------------------------------------------------------------------------

    def _action(self, document: Document, deleted: bool = False) -> dict[str, Any]:
        return {
            "_op_type": "index",
            "_index": self.documents,
            "_id": f"{document.type}:{document.id}",
            "version": docs.rank(document.version, deleted),
            "version_type": "external_gte",
            "_source": {
                "type": document.type,
                "id": document.id,
                "deleted": deleted,
                "name": document.name,
                "description": document.description,
                "tags": list(document.tags),
                "category_id": document.category_id,
                "project_id": document.project_id,
                "created_at": document.created_at.isoformat() if document.created_at else None,
            },
        }

    async def _bulk(self, actions: list[dict[str, Any]]) -> int:
        applied, errors = await async_bulk(
            self.client, actions, raise_on_error=False, refresh=self._refresh
        )
        for error in errors if isinstance(errors, list) else []:
            status = next(iter(error.values())).get("status")
            if status != 409:  # 409: a newer version is stored, which is what we want
                raise RuntimeError(f"Elasticsearch refused a document: {error}")
        return int(applied)

    async def upsert(self, documents: Sequence[Document]) -> int:
        latest: dict[tuple[str, str], Document] = {}
        for document in documents:
            key = (document.type, document.id)
            if key not in latest or latest[key].version <= document.version:
                latest[key] = document
        if not latest:
            return 0
        return await self._bulk([self._action(d) for d in latest.values()])

    async def delete(self, type: str, id: str, version: int) -> bool:
        tombstone = Document(type=type, id=id, version=version, name="")
        return await self._bulk([self._action(tombstone, deleted=True)]) == 1

    async def _set_members(self, project_id: str, members: Sequence[str], rank: int) -> bool:
        try:
            await self.client.index(
                index=self.projects,
                id=project_id,
                document={"members": sorted(set(members))},
                version=rank,
                version_type="external_gte",
                refresh=self._refresh,
            )
        except ConflictError:
            return False
        return True

    async def set_members(self, project_id: str, members: Sequence[str], version: int) -> bool:
        return await self._set_members(project_id, members, docs.rank(version, False))

    async def delete_project(self, project_id: str, version: int) -> bool:
        if not await self._set_members(project_id, (), docs.rank(version, True)):
            return False
        # No one sees them any more (no members); removing them keeps the index small.
        await self.client.delete_by_query(
            index=self.documents,
            query={"term": {"project_id": project_id}},
            conflicts="proceed",
            refresh=bool(self._refresh),
        )
        return True

    async def projects_of(self, user_id: str) -> frozenset[str]:
        response = await self.client.search(
            index=self.projects,
            query={"term": {"members": user_id}},
            size=MAX_PROJECTS,
            source=False,
        )
        return frozenset(hit["_id"] for hit in response["hits"]["hits"])

    async def clear(self, type: str | None = None) -> None:
        query: dict[str, Any] = {"match_all": {}} if type is None else {"term": {"type": type}}
        await self.client.delete_by_query(
            index=self.documents, query=query, conflicts="proceed", refresh=True
        )
        if type in (None, docs.PROJECT):
            await self.client.delete_by_query(
                index=self.projects, query={"match_all": {}}, conflicts="proceed", refresh=True
            )

    async def refresh(self) -> None:
        await self.client.indices.refresh(index=[self.documents, self.projects])

    async def ping(self) -> None:
        await self.client.info()

    async def close(self) -> None:
        await self.client.close()

    # --- reads -----------------------------------------------------------------------------

    async def _filters(self, query: SearchQuery | docs.SuggestQuery) -> list[dict[str, Any]]:
        filters: list[dict[str, Any]] = [{"term": {"deleted": False}}]
        if query.types is not None:
            filters.append({"terms": {"type": sorted(query.types)}})
        projects = sorted(await self.projects_of(query.viewer)) if query.viewer else []
        no_project = {"bool": {"must_not": {"exists": {"field": "project_id"}}}}
        visible = [no_project, {"terms": {"project_id": projects}}] if projects else [no_project]
        filters.append({"bool": {"should": visible, "minimum_should_match": 1}})
        if isinstance(query, SearchQuery):
            f = query.filters
            if f.category_id is not None:
                filters.append({"term": {"category_id": f.category_id}})
            filters += [{"term": {"tags": tag}} for tag in f.tags]
            window: dict[str, str] = {}
            if f.created_from is not None:
                window["gte"] = f.created_from.isoformat()
            if f.created_to is not None:
                window["lt"] = f.created_to.isoformat()
            if window:
                filters.append({"range": {"created_at": window}})
        return filters

    async def search(self, query: SearchQuery) -> SearchResults:
        words = query_words(query.text)
        must = [
            {"multi_match": {"query": word, "fields": FIELDS, "fuzziness": "AUTO"}}
            for word in words
        ]
        body: dict[str, Any] = {
            "query": {
                "bool": {"must": must or [{"match_all": {}}], "filter": await self._filters(query)}
            },
            "from_": query.offset,
            "size": query.limit,
            "track_total_hits": True,
            "sort": (
                [{"_score": "desc"}, {"id": "asc"}]
                if words
                else [{"created_at": {"order": "desc", "missing": "_last"}}, {"id": "asc"}]
            ),
            "highlight": {
                "pre_tags": [docs.MARK_START],
                "post_tags": [docs.MARK_END],
                "fields": {
                    "name": {"number_of_fragments": 0},
                    "description": {"fragment_size": 100, "number_of_fragments": 1},
                },
            },
        }
        if query.facets:
            body["aggs"] = {
                field: {"terms": {"field": source, "size": docs.FACET_BUCKETS}}
                for field, source in FACET_FIELDS.items()
            }
        if words:
            body["track_scores"] = True
        response = await self.client.search(index=self.documents, **body)
        hits = tuple(
            docs.Hit(
                type=hit["_source"]["type"],
                id=hit["_source"]["id"],
                score=float(hit.get("_score") or 0.0),
                highlights=tuple(
                    docs.Highlight(field, render_snippet(fragments[0]))
                    for field, fragments in (hit.get("highlight") or {}).items()
                    if field in ("name", "description") and fragments
                ),
            )
            for hit in response["hits"]["hits"]
        )
        facets: tuple[docs.Facet, ...] = ()
        if query.facets:
            aggregations = response["aggregations"]
            facets = tuple(
                docs.Facet(
                    field,
                    tuple(
                        docs.Bucket(str(b["key"]), int(b["doc_count"]))
                        for b in aggregations[field]["buckets"]
                    ),
                )
                for field in docs.FACET_FIELDS
            )
        return SearchResults(
            hits=hits, total=int(response["hits"]["total"]["value"]), facets=facets
        )

    async def suggest(self, query: docs.SuggestQuery) -> list[docs.Suggestion]:
        """Names with a word that starts with the prefix, names that start with it first
        (the order of the SQL backends), from the `search_as_you_type` candidates."""
        prefix = " ".join(query.prefix.lower().split())
        if not prefix:
            return []
        field = "name.suggest"
        response = await self.client.search(
            index=self.documents,
            query={
                "bool": {
                    "must": {
                        "multi_match": {
                            "query": prefix,
                            "type": "bool_prefix",
                            "fields": [field, f"{field}._2gram", f"{field}._3gram"],
                            "operator": "and",
                        }
                    },
                    "filter": await self._filters(query),
                }
            },
            size=max(query.limit * 5, 50),
        )
        found = []
        for hit in response["hits"]["hits"]:
            name = str(hit["_source"]["name"])
            lowered = name.lower()
            if lowered.startswith(prefix):
                score = 1.0
            elif f" {prefix}" in f" {lowered}":
                score = 0.5
            else:
                continue
            found.append(docs.Suggestion(hit["_source"]["type"], hit["_source"]["id"], name, score))
        found.sort(key=lambda s: (-s.score, len(s.text), s.text, s.id))
        return found[: query.limit]
