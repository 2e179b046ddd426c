"""`mosaic seed` for notifications (SQLite and PostgreSQL): the first run writes the seed
templates, the demo recipients and Alice's welcome; later runs add only the seed templates a
database lacks (a new event type) and leave published versions alone."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, func, select

from db import Database, migrations
from subgraphs.common.settings import Settings
from subgraphs.notifications import MIGRATIONS
from subgraphs.notifications.models import Notification, Recipient, Template
from subgraphs.notifications.seed import seed
from subgraphs.notifications.seed_templates import SEED_TEMPLATES


async def test_seed_once_then_only_missing_templates(database_url: str, tmp_path: Path) -> None:
    await migrations.upgrade(database_url, MIGRATIONS, "notifications")
    db = Database.from_url(database_url)
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    try:
        assert await seed(db, settings) > len(SEED_TEMPLATES)
        async with db.transaction() as session:
            assert await session.scalar(select(func.count()).select_from(Notification)) == 1
            recipients = await session.scalar(select(func.count()).select_from(Recipient))
            # A seeded database from before media.failed had a template: it lacks those two.
            await session.execute(delete(Template).where(Template.event_type == "media.failed"))
            admin_version = Template(event_type="task.assigned", locale="en", version=2,
                                     title="Edited {{ title }}", body="b")  # fmt: skip
            session.add(admin_version)
        assert await seed(db, settings) == 2
        assert await seed(db, settings) == 0
        async with db.sessions() as session:
            rows = (await session.execute(select(Template.event_type, Template.locale))).all()
            assert {tuple(r) for r in rows} == set(SEED_TEMPLATES)
            latest = await session.scalar(
                select(func.max(Template.version)).where(Template.event_type == "task.assigned",
                                                         Template.locale == "en"))  # fmt: skip
            assert latest == 2
            assert await session.scalar(select(func.count()).select_from(Notification)) == 1
            assert await session.scalar(select(func.count()).select_from(Recipient)) == recipients
    finally:
        await db.dispose()
