"""audit log: an indexed trip_id column (filled from existing events) and an index on the actor

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 13:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trip_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_event_trip_id"), ["trip_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_actor_id"), ["actor_id"], unique=False)
    # Existing events: the trip's own events name it as subject; the rest carry it in their detail.
    op.execute("UPDATE audit_event SET trip_id = CAST(subject_id AS INTEGER) WHERE subject_type = 'trip'")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE audit_event SET trip_id = CAST(detail->>'trip_id' AS INTEGER) "
                   "WHERE trip_id IS NULL AND detail->>'trip_id' IS NOT NULL")
    else:
        op.execute("UPDATE audit_event SET trip_id = CAST(json_extract(detail, '$.trip_id') AS INTEGER) "
                   "WHERE trip_id IS NULL AND json_extract(detail, '$.trip_id') IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_actor_id"))
        batch_op.drop_index(batch_op.f("ix_audit_event_trip_id"))
        batch_op.drop_column("trip_id")
