"""records that stay true: attempt identity, outbox retention, a frozen sign-off, per-staff attestation

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 23:55:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tripposter.models.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = tripposter.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempt_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("attempt_started_at", _TIME, nullable=True))
        batch_op.add_column(sa.Column("outbox_kept_until", _TIME, nullable=True))
        batch_op.add_column(sa.Column("outbox_destroyed_at", _TIME, nullable=True))
        batch_op.add_column(sa.Column("released_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_post_released_by_user"), "user", ["released_by"], ["id"])
        batch_op.create_index(batch_op.f("ix_post_attempt_id"), ["attempt_id"], unique=False)
    with op.batch_alter_table("trip_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("snapshot", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("snapshot_sha256", sa.String(length=64), nullable=True))
    op.create_table(
        "trip_attestation",
        sa.Column("trip_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("attested_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["trip_id"], ["trip.id"], name=op.f("fk_trip_attestation_trip_id_trip"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_trip_attestation_user_id_user")),
        sa.PrimaryKeyConstraint("trip_id", "user_id", name=op.f("pk_trip_attestation")),
    )
    # The one attestation a log could hold so far becomes that person's own.
    op.execute("INSERT INTO trip_attestation (trip_id, user_id, attested_at) "
               "SELECT trip_id, attested_by, attested_at FROM trip_log "
               "WHERE attested_by IS NOT NULL AND attested_at IS NOT NULL")


def downgrade() -> None:
    op.drop_table("trip_attestation")
    with op.batch_alter_table("trip_log", schema=None) as batch_op:
        batch_op.drop_column("snapshot_sha256")
        batch_op.drop_column("snapshot")
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_attempt_id"))
        batch_op.drop_constraint(batch_op.f("fk_post_released_by_user"), type_="foreignkey")
        batch_op.drop_column("released_by")
        batch_op.drop_column("outbox_destroyed_at")
        batch_op.drop_column("outbox_kept_until")
        batch_op.drop_column("attempt_started_at")
        batch_op.drop_column("attempt_id")
