"""The audit log: who did what, when, and what changed. Never image bytes, captions or tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .people import User


class AuditEvent(Base):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None, index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(32), default="")
    subject_id: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The trip the event is about, if any: a column, not a key of ``detail``, so the senior
    # leader's per-trip filter is an index lookup. No foreign key: the log outlives what it describes.
    trip_id: Mapped[int | None] = mapped_column(default=None, index=True)

    actor: Mapped[User | None] = relationship()
