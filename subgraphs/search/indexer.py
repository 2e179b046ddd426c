"""Domain events -> index changes: which events the index follows and what each one changes.

Every change carries the entity's version from the event (`subgraphs/common/versions.py`),
and the backends apply a change only when it is not older than what they hold, so an event
delivered twice, or after a newer one, leaves the index as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db.base import as_utc
from subgraphs.common.events import Event
from subgraphs.search import documents as docs
from subgraphs.search.backends import SearchBackend
from subgraphs.search.documents import Document

log = logging.getLogger("mosaic.search.indexer")

PRODUCT_EVENTS = ("product.created", "product.updated", "product.deleted")
TASK_EVENTS = ("task.created", "task.updated", "task.assigned", "task.completed", "task.deleted")
PROJECT_EVENTS = (
    "project.created",
    "project.updated",
    "project.archived",
    "project.restored",
    "project.member_added",
    "project.member_removed",
    "project.deleted",
)
PROFESSIONAL_EVENTS = ("professional.registered", "professional.updated")
EVENT_TYPES = PRODUCT_EVENTS + TASK_EVENTS + PROJECT_EVENTS + PROFESSIONAL_EVENTS


@dataclass(frozen=True)
class Upsert:
    document: Document


@dataclass(frozen=True)
class Delete:
    type: str
    id: str
    version: int


@dataclass(frozen=True)
class Members:
    project_id: str
    members: tuple[str, ...]
    version: int


@dataclass(frozen=True)
class DeleteProject:
    project_id: str
    version: int


Change = Upsert | Delete | Members | DeleteProject


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    return as_utc(datetime.fromisoformat(value))


def product_document(p: Mapping[str, Any]) -> Document:
    return Document(
        type=docs.PRODUCT,
        id=str(p["id"]),
        version=int(p["version"]),
        name=str(p.get("name") or ""),
        description=str(p.get("description") or ""),
        category_id=p.get("categoryId"),
        created_at=parse_time(p.get("createdAt")),
    )


def task_document(p: Mapping[str, Any]) -> Document:
    return Document(
        type=docs.TASK,
        id=str(p["task_id"]),
        version=int(p["version"]),
        name=str(p.get("title") or ""),
        description=str(p.get("description") or ""),
        tags=tuple(str(t) for t in p.get("tags") or ()),
        project_id=str(p["project_id"]),
        created_at=parse_time(p.get("created_at")),
    )


def project_document(p: Mapping[str, Any]) -> Document:
    return Document(
        type=docs.PROJECT,
        id=str(p["project_id"]),
        version=int(p["version"]),
        name=str(p.get("name") or ""),
        description=str(p.get("description") or ""),
        project_id=str(p["project_id"]),
        created_at=parse_time(p.get("created_at")),
    )


def professional_document(p: Mapping[str, Any]) -> Document:
    """Found by name, bio and specialization (a tag, so it is also a facet and a filter)."""
    specialization = str(p.get("specialization") or "")
    return Document(
        type=docs.PROFESSIONAL,
        id=str(p["id"]),
        version=int(p["version"]),
        name=str(p.get("displayName") or ""),
        description=str(p.get("bio") or ""),
        tags=(specialization,) if specialization else (),
        created_at=parse_time(p.get("createdAt")),
    )


def changes(event: Event) -> list[Change]:
    """What one event changes in the index (nothing for events it does not follow, or for
    payloads without a version: they cannot be ordered, and a rebuild picks them up)."""
    p = event.payload
    if event.type not in EVENT_TYPES:
        return []
    if "version" not in p:
        log.warning("search ignores %s %s: its payload has no version", event.type, event.id)
        return []
    version = int(p["version"])
    if event.type == "product.deleted":
        return [Delete(docs.PRODUCT, str(p["id"]), version)]
    if event.type in PRODUCT_EVENTS:
        if p.get("active") is False:  # off sale: out of search until it is back on sale
            return [Delete(docs.PRODUCT, str(p["id"]), version)]
        return [Upsert(product_document(p))]
    if event.type in PROFESSIONAL_EVENTS:
        return [Upsert(professional_document(p))]
    if event.type == "task.deleted":
        return [Delete(docs.TASK, str(p["task_id"]), version)]
    if event.type in TASK_EVENTS:
        return [Upsert(task_document(p))]
    if event.type == "project.deleted":
        return [
            DeleteProject(str(p["project_id"]), version),
            Delete(docs.PROJECT, str(p["project_id"]), version),
        ]
    members = tuple(str(m) for m in p.get("member_ids") or ())
    return [Members(str(p["project_id"]), members, version), Upsert(project_document(p))]


async def apply(backend: SearchBackend, found: Sequence[Change]) -> None:
    for change in found:
        if isinstance(change, Upsert):
            await backend.upsert([change.document])
        elif isinstance(change, Delete):
            await backend.delete(change.type, change.id, change.version)
        elif isinstance(change, Members):
            await backend.set_members(change.project_id, change.members, change.version)
        else:
            await backend.delete_project(change.project_id, change.version)
