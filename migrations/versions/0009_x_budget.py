"""X's pay-per-use prices: a school's monthly budget, and what each post cost

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 03:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("school_settings", schema=None) as batch_op:
        # No limit for existing schools until a senior leader sets one.
        batch_op.add_column(sa.Column("x_monthly_budget_cents", sa.Integer(), nullable=True))
    with op.batch_alter_table("post", schema=None) as batch_op:
        # Posts sent before prices were recorded count as free: the budget starts from now.
        batch_op.add_column(sa.Column("x_cost_micros", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_column("x_cost_micros")
    with op.batch_alter_table("school_settings", schema=None) as batch_op:
        batch_op.drop_column("x_monthly_budget_cents")
