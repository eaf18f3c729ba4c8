"""name guard: the school's choice to refuse staff surnames in posts too

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 23:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("school_settings", schema=None) as batch_op:
        # Off for existing schools: their posts go on as before until a senior leader turns it on.
        batch_op.add_column(sa.Column("guard_staff_surnames", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("school_settings", schema=None) as batch_op:
        batch_op.drop_column("guard_staff_surnames")
