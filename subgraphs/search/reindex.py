"""Rebuild the index from the owning subgraphs (`mosaic search reindex [TYPE]`).

Reads every product, project, task and professional through the router as a service caller
with the ADMIN role (admins read every project), then replaces what the index holds of each
type. Versions are computed as the owners' events compute them, so events arriving during or
after the rebuild apply or are ignored exactly as they would be on an index fed by events.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from subgraphs.common.keys import load_signing_key
from subgraphs.common.settings import Settings
from subgraphs.common.tokens import mint_access_token
from subgraphs.common.versions import version_from
from subgraphs.search import documents as docs
from subgraphs.search.backends import SearchBackend
from subgraphs.search.documents import Document
from subgraphs.search.indexer import parse_time, professional_document

PAGE = 100
BATCH = 500
SERVICE_USER = "search-reindex"

PRODUCTS = """query ($after: String) { products(first: 100, after: $after) {
  edges { node { id name description active createdAt updatedAt category { id } } }
  pageInfo { hasNextPage endCursor } } }"""
PROJECTS = """query ($after: String) { projects(first: 100, after: $after) {
  edges { node { id name description createdAt updatedAt members { id } } }
  pageInfo { hasNextPage endCursor } } }"""
TASKS = """query ($after: String) { tasks(first: 100, after: $after) {
  edges { node { id title description tags createdAt version project { id } } }
  pageInfo { hasNextPage endCursor } } }"""
PROFESSIONALS = """query ($after: String) { professionals(first: 100, after: $after) {
  edges { node { id displayName specialization bio createdAt } }
  pageInfo { hasNextPage endCursor } } }"""


class ReindexError(Exception):
    """The owners could not be read (a clear one-line reason for the command)."""


@dataclass(frozen=True)
class Fetched:
    documents: list[Document]
    members: dict[str, tuple[str, int]] = field(default_factory=dict)  # project -> (ids, version)


def service_token(settings: Settings) -> str:
    """An ADMIN token for reading every owner's entities."""
    key = load_signing_key(settings)
    return mint_access_token(settings, key, SERVICE_USER, ["ADMIN"], ttl_seconds=3600)


Progress = Callable[[str, int, int], None]  # (type, done, total)


def _version(value: str) -> int:
    return version_from(datetime.fromisoformat(value))


def product(node: Mapping[str, Any]) -> Document | None:
    if not node["active"]:
        return None
    category = node.get("category") or {}
    return Document(
        docs.PRODUCT, node["id"], _version(node["updatedAt"]), node["name"],
        node.get("description") or "", category_id=category.get("id"),
        created_at=parse_time(node.get("createdAt")),
    )  # fmt: skip


def project(node: Mapping[str, Any]) -> Document:
    return Document(
        docs.PROJECT, node["id"], _version(node["updatedAt"]), node["name"],
        node.get("description") or "", project_id=node["id"],
        created_at=parse_time(node.get("createdAt")),
    )  # fmt: skip


def task(node: Mapping[str, Any]) -> Document:
    return Document(
        docs.TASK, node["id"], int(node["version"]), node["title"], node.get("description") or "",
        tuple(node.get("tags") or ()), project_id=node["project"]["id"],
        created_at=parse_time(node.get("createdAt")),
    )  # fmt: skip


def professional(node: Mapping[str, Any]) -> Document:
    # Profiles are never edited (bookings has no update), so their creation time orders them;
    # a later event's version (updated_at) is at least as new and carries the same text.
    return professional_document({**node, "version": _version(node["createdAt"])})


async def _pages(
    client: httpx.AsyncClient, url: str, query: str, field: str
) -> AsyncIterator[list[Mapping[str, Any]]]:
    after: str | None = None
    while True:
        try:
            response = await client.post(url, json={"query": query, "variables": {"after": after}})
        except httpx.HTTPError as error:
            raise ReindexError(f"cannot reach {url}: {error}") from error
        body = (
            response.json()
            if response.headers.get("content-type", "").startswith("application/json")
            else {}
        )
        if response.status_code != 200 or body.get("errors") or not body.get("data"):
            reason = (body.get("errors") or [{"message": f"HTTP {response.status_code}"}])[0]
            raise ReindexError(f"reading {field} failed: {reason.get('message')}")
        connection = body["data"][field]
        yield [edge["node"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            return
        after = connection["pageInfo"]["endCursor"]


async def fetch(client: httpx.AsyncClient, url: str, type: str) -> Fetched:
    found: list[Document] = []
    members: dict[str, tuple[str, int]] = {}
    if type == docs.PRODUCT:
        async for nodes in _pages(client, url, PRODUCTS, "products"):
            found += [d for d in map(product, nodes) if d is not None]
    elif type == docs.PROJECT:
        async for nodes in _pages(client, url, PROJECTS, "projects"):
            for node in nodes:
                document = project(node)
                found.append(document)
                ids = ",".join(sorted(m["id"] for m in node["members"]))
                members[document.id] = (ids, document.version)
    elif type == docs.PROFESSIONAL:
        async for nodes in _pages(client, url, PROFESSIONALS, "professionals"):
            found += [professional(n) for n in nodes]
    else:
        async for nodes in _pages(client, url, TASKS, "tasks"):
            found += [task(n) for n in nodes]
    return Fetched(found, members)


async def reindex(
    backend: SearchBackend,
    url: str,
    token: str,
    types: tuple[str, ...] = docs.TYPES,
    progress: Progress | None = None,
    *,
    replace: bool = True,
) -> dict[str, int]:
    """Replace the index's documents of `types` with what the owners hold now (`replace=False`:
    only add and update, by version); returns how many documents of each type were read."""
    headers = {"authorization": f"Bearer {token}"}
    written: dict[str, int] = {}
    async with httpx.AsyncClient(headers=headers, timeout=60) as client:
        # Read everything first: a failing owner leaves the index as it was.
        fetched = {type: await fetch(client, url, type) for type in types}
    if replace and set(types) == set(docs.TYPES):
        await backend.clear()  # the vocabulary too
    elif replace:
        for type in types:
            await backend.clear(type)
    for type, found in fetched.items():
        for project_id, (ids, version) in found.members.items():
            await backend.set_members(project_id, ids.split(",") if ids else [], version)
        total = len(found.documents)
        for start in range(0, total, BATCH):
            await backend.upsert(found.documents[start : start + BATCH])
            if progress is not None:
                progress(type, min(start + BATCH, total), total)
        if progress is not None and total == 0:
            progress(type, 0, 0)
        written[type] = total
    await backend.refresh()
    return written
