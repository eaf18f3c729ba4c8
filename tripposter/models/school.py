"""The school's own rules, stored as data so an office or senior user can change them."""

from __future__ import annotations

from datetime import time
from typing import Any

from sqlalchemy import JSON, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_HOURS: dict[str, list[str] | None] = {
    **{d: ["08:00", "18:00"] for d in WEEKDAYS[:5]},
    "sat": None,
    "sun": None,
}
DEFAULT_TEXT_SPEAK = "lol gr8 l8r u pls plz thx ur omg btw"


class SchoolSettings(Base):
    """One row: this installation's school."""

    __tablename__ = "school_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="Our School")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    # {"mon": ["08:00", "18:00"], ..., "sat": None}: None means no posting that day.
    posting_hours: Mapped[dict[str, Any]] = mapped_column(JSON, default=lambda: dict(DEFAULT_HOURS))
    required_hashtags: Mapped[str] = mapped_column(Text, default="")
    first_names_allowed: Mapped[bool] = mapped_column(default=False)
    allowed_handles: Mapped[str] = mapped_column(Text, default="")
    banned_words: Mapped[str] = mapped_column(Text, default=DEFAULT_TEXT_SPEAK)
    # Words the offensive-word list refuses that this school really needs ("Dick Whittington").
    allowed_words: Mapped[str] = mapped_column(Text, default="")
    # Off by default: a pupil without consent may appear only if their face is blurred.
    allow_blurred_without_consent: Mapped[bool] = mapped_column(default=False)
    retention_hours: Mapped[int] = mapped_column(default=24)
    # Who may reply to our posts on X. The policies say the account does not enter discussions.
    reply_settings: Mapped[str] = mapped_column(String(20), default="mentionedUsers")
    # Senior leaders and office staff must use two-step sign-in (trip leads may choose to).
    require_two_factor: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The name guard also refuses staff surnames ("Mr Baker") in posts: some schools never name staff.
    guard_staff_surnames: Mapped[bool] = mapped_column(default=False, server_default=false())
    # X charges per post: posting to X waits once this month's posts would cost more (None: no limit).
    x_monthly_budget_cents: Mapped[int | None] = mapped_column(default=None)

    def hours_for(self, weekday: int) -> tuple[time, time] | None:
        """The posting window for ``weekday`` (0 = Monday), or None if the school does not post then."""
        span = (self.posting_hours or {}).get(WEEKDAYS[weekday])
        if not span:
            return None
        return time.fromisoformat(span[0]), time.fromisoformat(span[1])

    @staticmethod
    def split_words(text: str) -> list[str]:
        return [w for w in text.replace(",", " ").split() if w]
