"""media processing: failure_reason and attempts (variants are made by the media worker)

Revision ID: 5c0e7a1d9b42
Revises: 127b7230eced
Create Date: 2026-12-06 14:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c0e7a1d9b42"
down_revision: str | None = "127b7230eced"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("media") as batch:
        batch.add_column(sa.Column("failure_reason", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("media") as batch:
        batch.drop_column("attempts")
        batch.drop_column("failure_reason")
