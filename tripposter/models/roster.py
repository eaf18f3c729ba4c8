"""Pupils and their parents' consent, as imported from the school information system."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class Pupil(Base):
    __tablename__ = "pupil"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The school information system's own id (UPN, admission number...): re-imports match on it.
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    class_name: Mapped[str] = mapped_column(String(50), default="")
    # None means no record. No record counts as no consent: see has_photo_consent.
    photo_consent: Mapped[bool | None] = mapped_column(default=None)
    first_name_consent: Mapped[bool | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def has_photo_consent(self) -> bool:
        return self.photo_consent is True

    @property
    def has_first_name_consent(self) -> bool:
        return self.first_name_consent is True

    def __repr__(self) -> str:
        return f"<Pupil {self.id}>"
