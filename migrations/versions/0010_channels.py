"""channels: the school's Bluesky, Mastodon and Facebook Page connections, secrets sealed

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 03:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tripposter.models.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "channel",
        sa.Column("id", sa.Integer(), nullable=False),
        # Plain text, no CHECK: new kinds (the outbox, X) need no table rebuild.
        sa.Column("kind", sa.Enum("bluesky", "mastodon", "facebook", name="channelkind", native_enum=False,
                                  length=20), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=True),
        sa.Column("connected_by", sa.Integer(), nullable=True),
        sa.Column("connected_at", tripposter.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_tested_at", tripposter.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_test_ok", sa.Boolean(), nullable=True),
        sa.Column("last_test_message", sa.Text(), nullable=False),
        sa.Column("paused_reason", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("disconnected_by", sa.Integer(), nullable=True),
        sa.Column("disconnected_at", tripposter.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", tripposter.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["connected_by"], ["user.id"], name=op.f("fk_channel_connected_by_user")),
        sa.ForeignKeyConstraint(["disconnected_by"], ["user.id"], name=op.f("fk_channel_disconnected_by_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel")),
    )
    # One active channel per network; disconnected rows stay for the records.
    op.create_index("uq_channel_active_kind", "channel", ["kind"], unique=True,
                    sqlite_where=sa.text("active"), postgresql_where=sa.text("active"))


def downgrade() -> None:
    op.drop_index("uq_channel_active_kind", table_name="channel")
    op.drop_table("channel")
