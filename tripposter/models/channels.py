"""The school's connected accounts on other networks (Bluesky, Mastodon, a Facebook Page): one row each.

The practice outbox is a channel too: a folder on this server, with no account and no secret, for
trying multi-network posting without any account anywhere.

A channel's secret (app password and saved session, or access token) is one Fernet-sealed blob,
sealed with the same token key as the X tokens; it is never stored, shown or logged in the clear.
Disconnecting keeps the row, with the secret wiped, so the audit log and later records still point
somewhere.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class ChannelKind(enum.StrEnum):
    """The networks a school can connect here.

    Stored as plain text (no database enum, no CHECK constraint), so the outbox and X can join as
    kinds later without a migration that rebuilds the table.
    """

    BLUESKY = "bluesky"
    MASTODON = "mastodon"
    FACEBOOK = "facebook"
    # A folder on this server that behaves as a network: no account, nothing leaves the machine.
    OUTBOX = "practice-outbox"

    @property
    def label(self) -> str:
        return {"bluesky": "Bluesky", "mastodon": "Mastodon", "facebook": "Facebook Page",
                "practice-outbox": "Practice outbox"}[self.value]

    @property
    def local(self) -> bool:
        """Its copies are kept on this server, so they are destroyed after the outbox's retention."""
        return self is ChannelKind.OUTBOX


class Channel(Base):
    __tablename__ = "channel"
    # One active channel per network: the school has one account on each. Old rows stay, inactive.
    __table_args__ = (
        Index("uq_channel_active_kind", "kind", unique=True, sqlite_where=text("active"),
              postgresql_where=text("active")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ChannelKind] = mapped_column(
        Enum(ChannelKind, native_enum=False, length=20, values_callable=lambda kinds: [k.value for k in kinds])
    )
    # What the school recognises: the account's name as the network reported it when last checked.
    display_name: Mapped[str] = mapped_column(String(200), default="")
    # Non-secret settings: Bluesky "handle" and "service"; Mastodon "instance"; Facebook "page_id".
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Fernet-sealed JSON of the secrets; None once disconnected.
    secret: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    connected_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    connected_at: Mapped[datetime | None] = mapped_column(default=None)
    last_tested_at: Mapped[datetime | None] = mapped_column(default=None)
    last_test_ok: Mapped[bool | None] = mapped_column(default=None)
    last_test_message: Mapped[str] = mapped_column(Text, default="")
    # Set when the network refuses the saved connection: nothing is posted there until reconnected.
    paused_reason: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    disconnected_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    disconnected_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
