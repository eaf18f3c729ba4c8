"""The school's X account: encrypted tokens and what X last told us about limits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class XAccount(Base):
    __tablename__ = "x_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    screen_name: Mapped[str] = mapped_column(String(50), default="")
    user_id: Mapped[str] = mapped_column(String(32), default="")
    # Fernet-encrypted access token and secret: never stored or logged in the clear.
    tokens: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    connected_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    connected_at: Mapped[datetime | None] = mapped_column(default=None)
    rotated_at: Mapped[datetime | None] = mapped_column(default=None)
    # Set when X refuses our tokens: publishing pauses until a senior leader reconnects.
    paused_reason: Mapped[str] = mapped_column(Text, default="")
    daily_limit: Mapped[int | None] = mapped_column(default=None)
    daily_remaining: Mapped[int | None] = mapped_column(default=None)
    daily_reset_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
