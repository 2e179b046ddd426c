"""The media subgraph's events, with the payloads it builds (subgraphs/media/events.py),
become notifications to the upload's owner: processed, or failed with the reason."""

from __future__ import annotations

from subgraphs.common.events import Event
from subgraphs.media.events import MEDIA_FAILED, MEDIA_PROCESSED, failed_payload, processed_payload
from subgraphs.media.models import Media
from tests.subgraphs.notifications.conftest import ALICE, BOB, NotificationsApi, add_recipient

TITLES = """{ notifications(first: 5) { edges { node {
  type title body subject { __typename ... on Media { id } } } } } }"""


def media(owner: str, reason: str | None = None) -> Media:
    status = "FAILED" if reason else "READY"
    return Media(id=f"m-{owner}-{reason}", owner_id=owner, filename="cat.png",
                 content_type="image/png", format="png", size=10, width=2, height=2,
                 status=status, etag="e", failure_reason=reason)  # fmt: skip


async def test_the_owner_hears_that_an_upload_was_processed_or_failed(
    api: NotificationsApi,
) -> None:
    await add_recipient(api.db, ALICE)
    await add_recipient(api.db, BOB, locale="de")
    # The media worker acts for nobody; the owner is told all the same.
    assert await api.deliver(Event.new(MEDIA_PROCESSED, processed_payload(media(ALICE), []), None))
    failed = failed_payload(media(BOB, "not an image"))
    assert await api.deliver(Event.new(MEDIA_FAILED, failed, BOB)) == 1

    alice = await api.ok(TITLES, as_user=ALICE)
    assert [e["node"] for e in alice["notifications"]["edges"]] == [
        {"type": "media.processed", "title": "Your upload is ready",
         "body": "Your file has been processed.",
         "subject": {"__typename": "Media", "id": f"m-{ALICE}-None"}},
    ]  # fmt: skip
    bob = await api.ok(TITLES, as_user=BOB)
    assert [e["node"] for e in bob["notifications"]["edges"]] == [
        {"type": "media.failed", "title": "Ihr Upload konnte nicht verarbeitet werden",
         "body": "Ihre Datei konnte nicht verarbeitet werden: not an image.",
         "subject": {"__typename": "Media", "id": f"m-{BOB}-not an image"}},
    ]  # fmt: skip
