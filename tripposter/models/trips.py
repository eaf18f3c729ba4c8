"""Trips, who leads them, who goes on them."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .people import User
from .roster import Pupil

# The trip's chosen networks name the main destination (the outbox or X) this way; the others by kind.
MAIN_NETWORK = "main"

trip_pupil = Table(
    "trip_pupil",
    Base.metadata,
    Column("trip_id", ForeignKey("trip.id", ondelete="CASCADE"), primary_key=True),
    Column("pupil_id", ForeignKey("pupil.id", ondelete="CASCADE"), primary_key=True),
)

trip_staff = Table(
    "trip_staff",
    Base.metadata,
    Column("trip_id", ForeignKey("trip.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)


class Trip(Base):
    __tablename__ = "trip"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    destination: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date]
    end_date: Mapped[date]
    lead_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    # Space-separated, each with its '#': added to every post from this trip.
    hashtags: Mapped[str] = mapped_column(Text, default="")
    # The trip's own posting hours on trip dates; None means the school's hours apply.
    posting_start: Mapped[time | None] = mapped_column(default=None)
    posting_end: Mapped[time | None] = mapped_column(default=None)
    # Where its posts go: "main" (the outbox or X) and channel kinds ("bluesky", ...). None, the
    # default, means every network the school has connected when a post is queued, later ones included.
    networks: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lead: Mapped[User] = relationship(foreign_keys=[lead_id])
    staff: Mapped[list[User]] = relationship(secondary=trip_staff, order_by=User.display_name)
    pupils: Mapped[list[Pupil]] = relationship(
        secondary=trip_pupil, order_by=(Pupil.class_name, Pupil.last_name, Pupil.first_name)
    )

    @property
    def pupils_without_photo_consent(self) -> int:
        return sum(1 for p in self.pupils if not p.has_photo_consent)

    def posts_to(self, network: str) -> bool:
        """Whether this trip's posts go to ``network`` ("main" or a channel kind) when it is connected."""
        return self.networks is None or network in self.networks

    def is_running_on(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date

    def is_led_by(self, user: User) -> bool:
        """The lead or one of the extra staff: the people who may post from this trip."""
        return user.id == self.lead_id or any(s.id == user.id for s in self.staff)

    def __repr__(self) -> str:
        return f"<Trip {self.id}>"
