"""The rows of a trip's deletion log: every photo received, its fate, and when each copy was destroyed.

Built from rows other services wrote (Photo, Post, DeletionRecord). Never image bytes, pupil names
or caption text: only hashes, times, fates and the public URLs of what was posted (the main one
and each connected network's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from ...models import DeletionRecord, Fate, Photo, PhotoState, Trip, TripLog, User, utcnow
from ..school.settings import get_school
from .channel_outcomes import channel_records, kept_on_server, local_copies
from .destruction import FATE_OF_STATE, skipped_words
from .staff import Attestation, attestations

FATE_WORDS = {
    Fate.POSTED: "Posted",
    Fate.REJECTED: "Refused",
    Fate.EXPIRED: "Expired unposted",
    Fate.WITHDRAWN: "Consent withdrawn, not posted",
    Fate.CANCELLED: "Cancelled by the teacher",
    Fate.ORPHAN: "Stray copy found at start-up",
    Fate.LEFTOVER: "Extra copy destroyed",
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class LogRow:
    """One received photo, or one stray deletion record, and what became of it."""

    short_id: str
    received_at: datetime | None
    sha256: str
    fate: Fate | None  # None while nothing has decided the photo's fate yet
    fate_text: str
    remote_url: str | None
    destroyed_at: datetime | None
    verified: bool
    copies: int
    held_until: datetime | None
    # The outbox (and the practice outbox, if connected) still holds a posted copy until then.
    outbox_until: datetime | None = None
    outbox_destroyed_at: datetime | None = None  # when the last of those copies was destroyed
    # The same post on each connected network (Bluesky, Mastodon, a Facebook Page): (network, address).
    channel_urls: tuple[tuple[str, str], ...] = ()
    # What a senior leader decided for a network's copy: (network, "recorded as posted by ...").
    channel_notes: tuple[tuple[str, str], ...] = ()

    @property
    def fate_line(self) -> str:
        """The fate, then any network copy a senior leader settled by hand (a row without one reads as before)."""
        return "; ".join([self.fate_text, *(f"{network}: {note}" for network, note in self.channel_notes)])

    @property
    def counted(self) -> bool:
        """A photo received (or a partial upload), not an extra copy of one already counted."""
        return self.fate is not Fate.LEFTOVER

    @property
    def sha_short(self) -> str:
        return self.sha256[:12]

    @property
    def link(self) -> str | None:
        """The post's address if it is safe to link to: a web address, or a page on this site."""
        return self.remote_url if _linkable(self.remote_url or "") else None

    @property
    def channel_links(self) -> tuple[tuple[str, str], ...]:
        """Each network's copy whose address is a web address or a page on this site (the practice outbox's)."""
        return tuple((network, url) for network, url in self.channel_urls if _linkable(url))

    @property
    def all_urls(self) -> str:
        """Every address the photo's post went to, main one first, for the CSV and PDF."""
        return " ".join([*([self.remote_url] if self.remote_url else []), *(url for _, url in self.channel_urls)])

    @property
    def held(self) -> bool:
        return self.destroyed_at is None

    @property
    def settled(self) -> bool:
        """Destroyed, and the destruction was checked."""
        return self.destroyed_at is not None and self.verified


@dataclass(frozen=True)
class TripDeletionLog:
    """A trip's deletion log as it stands now."""

    trip: Trip
    school_name: str
    rows: tuple[LogRow, ...]
    attestations: tuple[Attestation, ...]
    signed_by: User | None
    signed_at: datetime | None
    zone: ZoneInfo
    today: date
    generated_at: datetime
    snapshot: str | None = None  # the log as signed: canonical JSON
    snapshot_sha256: str | None = None

    @property
    def received(self) -> int:
        """Photos received = posted + not posted + still waiting (extra copies are not photos)."""
        return sum(1 for r in self.rows if r.counted)

    @property
    def posted(self) -> int:
        return sum(1 for r in self.rows if r.fate is Fate.POSTED)

    @property
    def not_posted(self) -> int:
        return sum(1 for r in self.rows if r.counted and r.fate is not None and r.fate is not Fate.POSTED)

    @property
    def waiting(self) -> int:
        """Photos whose fate nothing has decided yet."""
        return sum(1 for r in self.rows if r.counted and r.fate is None)

    @property
    def held(self) -> int:
        return sum(1 for r in self.rows if r.held)

    @property
    def in_outbox(self) -> int:
        """Posted photos whose copy the outbox still keeps."""
        return sum(1 for r in self.rows if r.outbox_until is not None)

    @property
    def lead_attestation(self) -> Attestation | None:
        return next((a for a in self.attestations if a.is_lead), None)

    @property
    def unverified(self) -> int:
        return sum(1 for r in self.rows if not r.held and not r.verified)

    @property
    def all_settled(self) -> bool:
        return all(r.settled for r in self.rows) and not self.in_outbox

    @property
    def late_photos(self) -> int:
        """Photos received after a confirmation, which it therefore cannot cover."""
        return max((a.late_photos for a in self.attestations), default=0)

    @property
    def attested(self) -> bool:
        """The lead has confirmed, after the last photo arrived: the least a sign-off needs."""
        lead = self.lead_attestation
        return lead is not None and lead.valid

    @property
    def signed(self) -> bool:
        return self.signed_at is not None

    @property
    def trip_over(self) -> bool:
        """On or after the trip's last day, in the school's time zone."""
        return self.today >= self.trip.end_date

    def when(self, moment: datetime | None) -> str:
        """A time in the school's zone, UK style: 14/03/2025 15:42 GMT."""
        return moment.astimezone(self.zone).strftime("%d/%m/%Y %H:%M %Z") if moment else ""


def build_log(session: Session, trip: Trip, *, now: datetime | None = None) -> TripDeletionLog:
    """Every photo received for ``trip`` and what became of it, with the attestation and sign-off."""
    school = get_school(session)
    zone = ZoneInfo(school.timezone)
    now = now or utcnow()
    entry = session.get(TripLog, trip.id)
    rows = tuple(_rows(session, trip))
    return TripDeletionLog(
        trip=trip,
        school_name=school.name,
        rows=rows,
        attestations=attestations(session, trip, [r.received_at for r in rows if r.counted and r.received_at]),
        signed_by=session.get(User, entry.signed_by) if entry and entry.signed_by else None,
        signed_at=entry.signed_at if entry else None,
        zone=zone,
        today=now.astimezone(zone).date(),
        generated_at=now,
        snapshot=entry.snapshot if entry else None,
        snapshot_sha256=entry.snapshot_sha256 if entry else None,
    )


def _rows(session: Session, trip: Trip) -> list[LogRow]:
    photos = list(session.scalars(select(Photo).where(Photo.trip_id == trip.id).options(selectinload(Photo.post))))
    ids = [p.id for p in photos]
    query = select(DeletionRecord).where(or_(DeletionRecord.trip_id == trip.id, DeletionRecord.photo_id.in_(ids)))
    records = list(session.scalars(query))
    known = set(ids)
    by_photo = {r.photo_id: r for r in records if r.photo_id in known}
    names = _pupil_names(trip)
    post_ids = {p.post_id for p in photos if p.post_id is not None}
    urls, notes = channel_records(session, post_ids)
    local = local_copies(session, post_ids)
    rows = [_photo_row(p, by_photo.get(p.id), names, urls.get(p.post_id or 0, ()), notes.get(p.post_id or 0, ()),
                       local.get(p.post_id or 0, [])) for p in photos]
    rows += [_record_row(r, names) for r in records if r.photo_id not in by_photo]
    return sorted(rows, key=lambda r: (r.received_at is None, r.received_at or _EPOCH, r.short_id))


def _photo_row(photo: Photo, record: DeletionRecord | None, names: re.Pattern[str] | None,
               channel_urls: tuple[tuple[str, str], ...] = (), channel_notes: tuple[tuple[str, str], ...] = (),
               local: list[tuple[datetime, datetime | None]] | None = None) -> LogRow:
    post = photo.post
    fate = record.fate if record else FATE_OF_STATE.get(photo.state)
    if record is None and post is not None and post.main_skipped and photo.state is PhotoState.PUBLISHED:
        fate = None  # released to the trip's networks: nothing is posted until one of them takes it
    destroyed_at = record.deleted_at if record else photo.destroyed_at
    post_url = post.remote_url if post is not None else None
    if record is None:
        waiting = photo.state in (PhotoState.POSTING, PhotoState.PUBLISHED)
        words = "Waiting to be posted" if waiting else "Not posted yet"
        fate_text = _fate_text(fate, "", names) if fate else words
        if destroyed_at is not None and fate is None:
            fate_text = "Destroyed, but no deletion record"
    else:
        fate_text = _fate_text(record.fate, record.reason, names)
    if post is not None and post.main_skipped and "this trip does not post there" not in fate_text:
        fate_text = f"{fate_text}; {skipped_words(post)}"  # the main destination never got it, and the log says so
    return LogRow(
        short_id=photo.public_id[:8],
        received_at=photo.created_at,
        sha256=photo.received_sha256,
        fate=fate,
        fate_text=fate_text,
        remote_url=((record.remote_url if record else None) or post_url) if fate is Fate.POSTED else None,
        destroyed_at=destroyed_at,
        # Without a DeletionRecord nothing has proved the copies are gone.
        verified=bool(record and record.verified),
        copies=record.copies if record else 0,
        held_until=photo.expires_at if destroyed_at is None else None,
        **kept_on_server(post, local or [], fate is Fate.POSTED),
        channel_urls=channel_urls if fate is Fate.POSTED else (),
        channel_notes=channel_notes if fate is Fate.POSTED else (),
    )


def _linkable(url: str) -> bool:
    """A web address, or a page on this site (never ``//host`` or ``/\\host``, which leave it)."""
    return url.startswith(("https://", "http://")) or (url.startswith("/") and url[1:2] not in ("/", "\\"))


def _record_row(record: DeletionRecord, names: re.Pattern[str] | None) -> LogRow:
    return LogRow(
        short_id=f"rec-{record.id}",
        received_at=record.received_at,
        sha256=record.received_sha256 or "",
        fate=record.fate,
        fate_text=_fate_text(record.fate, record.reason, names),
        remote_url=record.remote_url if record.fate is Fate.POSTED else None,
        destroyed_at=record.deleted_at,
        verified=record.verified,
        copies=record.copies,
        held_until=None,
    )


def _fate_text(fate: Fate, reason: str, names: re.Pattern[str] | None) -> str:
    words = FATE_WORDS[fate]
    if fate in (Fate.REJECTED, Fate.ORPHAN, Fate.LEFTOVER) and reason.strip():
        # Reasons are meant to be name-free; this is the second line of defence for the log.
        clean = names.sub("a pupil", reason.strip()) if names else reason.strip()
        words = f"{words}: {clean}"
    return words


def _pupil_names(trip: Trip) -> re.Pattern[str] | None:
    # Whole names first (the longest alternative wins), then each part on its own.
    parts = {n.strip() for p in trip.pupils for n in (f"{p.first_name} {p.last_name}", p.first_name, p.last_name)}
    parts = {n for n in parts if len(n) > 1}
    if not parts:
        return None
    alternatives = "|".join(re.escape(n) for n in sorted(parts, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})\b")
