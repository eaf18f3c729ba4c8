"""publications: each post's copy on each connected channel, with its own crash-safe state

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 04:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tripposter.models.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = ("pending", "sending", "published", "unknown", "failed", "expired", "cancelled")


def upgrade() -> None:
    when = tripposter.models.base.UTCDateTime(timezone=True)
    op.create_table(
        "publication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.Enum(*STATES, name="publicationstate", native_enum=False, length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.String(length=32), nullable=True),
        sa.Column("attempt_started_at", when, nullable=True),
        sa.Column("claimed_until", when, nullable=True),
        sa.Column("next_try_at", when, nullable=True),
        sa.Column("remote_id", sa.String(length=200), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("published_at", when, nullable=True),
        sa.Column("created_at", when, nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"], name=op.f("fk_publication_post_id_post")),
        sa.ForeignKeyConstraint(["channel_id"], ["channel.id"], name=op.f("fk_publication_channel_id_channel")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication")),
        # Exactly one copy of a post per channel, whatever two workers or a replayed request do.
        sa.UniqueConstraint("post_id", "channel_id", name="uq_publication_post_channel"),
    )
    op.create_index(op.f("ix_publication_post_id"), "publication", ["post_id"], unique=False)
    op.create_index(op.f("ix_publication_state"), "publication", ["state"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_publication_state"), table_name="publication")
    op.drop_index(op.f("ix_publication_post_id"), table_name="publication")
    op.drop_table("publication")
