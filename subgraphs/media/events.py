"""The events the media subgraph emits and their payloads."""

from __future__ import annotations

from typing import Any

from subgraphs.media.models import Media, Variant

MEDIA_PROCESSED = "media.processed"
MEDIA_DELETED = "media.deleted"


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


def deleted_payload(media: Media) -> dict[str, Any]:
    return {"id": media.id, "owner_id": media.owner_id}
