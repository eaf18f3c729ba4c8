"""photos: the teacher's hand-drawn blur regions, and their "I have looked at every face" confirmation

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 23:55:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

import tripposter.models.base
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("photo", schema=None) as batch_op:
        # Existing photos have no regions, and nobody has confirmed their faces yet.
        batch_op.add_column(sa.Column("regions", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("faces_checked_at", tripposter.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("faces_checked_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_photo_faces_checked_by_user", "user", ["faces_checked_by"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("photo", schema=None) as batch_op:
        batch_op.drop_constraint("fk_photo_faces_checked_by_user", type_="foreignkey")
        batch_op.drop_column("faces_checked_by")
        batch_op.drop_column("faces_checked_at")
        batch_op.drop_column("regions")
