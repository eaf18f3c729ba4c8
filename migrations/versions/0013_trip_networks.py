"""trip networks: a trip chooses where its posts go; a post remembers a main destination it skips

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 06:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL: every network the school connects (what every trip did before this revision).
    with op.batch_alter_table("trip") as batch:
        batch.add_column(sa.Column("networks", sa.JSON(), nullable=True))
    # Every post before this revision went to the main destination: an empty string says so.
    with op.batch_alter_table("post") as batch:
        batch.add_column(sa.Column("main_skipped", sa.String(length=20), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("post") as batch:
        batch.drop_column("main_skipped")
    with op.batch_alter_table("trip") as batch:
        batch.drop_column("networks")
