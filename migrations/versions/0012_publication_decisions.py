"""publication decisions: a senior leader settles a network's copy that recovery cannot

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 06:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tripposter.models.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    when = tripposter.models.base.UTCDateTime(timezone=True)
    with op.batch_alter_table("publication", schema=None) as batch_op:
        batch_op.add_column(sa.Column("needs_decision_at", when, nullable=True))
        batch_op.add_column(sa.Column("decision", sa.String(length=20), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("decided_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decided_at", when, nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_publication_decided_by_user"), "user", ["decided_by"], ["id"])
    # The default only filled the rows that were there; the model supplies it from now on.
    with op.batch_alter_table("publication", schema=None) as batch_op:
        batch_op.alter_column("decision", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("publication", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_publication_decided_by_user"), type_="foreignkey")
        batch_op.drop_column("decided_at")
        batch_op.drop_column("decided_by")
        batch_op.drop_column("decision")
        batch_op.drop_column("needs_decision_at")
