"""The events the media subgraph emits and their payloads.

`media.uploaded` is the media worker's work item (its consumer group `media` makes the
variants); `media.processed` and `media.failed` tell everyone else how that ended."""

from __future__ import annotations

from typing import Any

from subgraphs.media.models import Media, Variant

MEDIA_UPLOADED = "media.uploaded"
MEDIA_PROCESSED = "media.processed"
MEDIA_FAILED = "media.failed"
MEDIA_DELETED = "media.deleted"


def uploaded_payload(media: Media) -> dict[str, Any]:
    return {"id": media.id, "owner_id": media.owner_id}


def processed_payload(media: Media, variants: list[Variant]) -> dict[str, Any]:
    return {
        "id": media.id,
        "owner_id": media.owner_id,
        "content_type": media.content_type,
        "width": media.width,
        "height": media.height,
        "size": media.size,
        "variants": sorted(v.name for v in variants),
    }


def failed_payload(media: Media) -> dict[str, Any]:
    return {"id": media.id, "owner_id": media.owner_id, "reason": media.failure_reason}


def deleted_payload(media: Media) -> dict[str, Any]:
    return {"id": media.id, "owner_id": media.owner_id}
