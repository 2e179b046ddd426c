"""recipients: when the copy's profile and preferences last changed at their source

Revision ID: 7f3a9c21d4e8
Revises: dede6c891c4e
Create Date: 2026-12-06 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base

revision: str = "7f3a9c21d4e8"
down_revision: str | None = "dede6c891c4e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("recipients") as batch:
        batch.add_column(sa.Column("profile_at", db.base.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("preferences_at", db.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("recipients") as batch:
        batch.drop_column("preferences_at")
        batch.drop_column("profile_at")
