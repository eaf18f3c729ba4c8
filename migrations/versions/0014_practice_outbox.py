"""practice outbox: a publication kept on this server records until when, and when it was destroyed

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 07:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tripposter.models.base

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL for every publication before this revision: they were all on networks, not on this server.
    when = tripposter.models.base.UTCDateTime(timezone=True)
    with op.batch_alter_table("publication") as batch:
        batch.add_column(sa.Column("local_kept_until", when, nullable=True))
        batch.add_column(sa.Column("local_destroyed_at", when, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("publication") as batch:
        batch.drop_column("local_destroyed_at")
        batch.drop_column("local_kept_until")
