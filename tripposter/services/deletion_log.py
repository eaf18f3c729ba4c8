"""The post-trip deletion log's closing steps: the teacher's attestation and the senior leader's sign-off.

The rows themselves are built in ``deletion_rows``; this module decides when the log may be closed.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from ..models import Role, Trip, TripLog, User, utcnow
from . import audit
from .deletion_rows import FATE_WORDS, LogRow, TripDeletionLog, build_log
from .errors import ServiceError, ValidationError

__all__ = ["ATTESTATION", "FATE_WORDS", "LogRow", "TripDeletionLog", "attest", "build_log", "sign_off"]

ATTESTATION = (
    "I confirm that I have deleted every photo of this trip from my phone and any other device, "
    "including 'recently deleted' folders."
)


class LogClosedError(ServiceError):
    """The log is signed off and can no longer change."""


class NotTripStaffError(ServiceError):
    """Only the trip's own staff may attest; a senior leader may not attest for a teacher."""


class LogNotReadyError(ServiceError):
    """The attestation or sign-off cannot be made yet; the message says why."""


def attest_refusals(log: TripDeletionLog, actor: User) -> list[ServiceError]:
    """Why ``actor`` may not attest the log now; empty when they may."""
    if log.signed:
        return [_closed(log)]
    refusals: list[ServiceError] = []
    if not log.trip.is_led_by(actor):
        refusals.append(NotTripStaffError("Only the staff of this trip can confirm that their phones are clear."))
    waits: list[str] = []
    if log.attested and log.attested_by is not None:
        waits.append(f"{log.attested_by.display_name} already confirmed this on {log.when(log.attested_at)}.")
    if not log.trip_over:
        last = log.trip.end_date.strftime("%A %-d %B %Y")
        waits.append(f"You can confirm this from {last}, the trip's last day: photos may be taken until then.")
    return refusals + [LogNotReadyError(w) for w in waits]


def sign_off_refusals(log: TripDeletionLog, actor: User) -> list[ServiceError]:
    """Why ``actor`` may not sign the log off now; empty when they may."""
    if log.signed:
        return [_closed(log)]
    refusals: list[ServiceError] = []
    if actor.role is not Role.ADMIN:
        refusals.append(ServiceError("Only a senior leader can sign off a deletion log."))
    waits: list[str] = []
    if log.late_photos:
        waits.append(f"{log.late_photos} photo(s) arrived after the staff confirmed: they must confirm again.")
    elif not log.attested:
        waits.append("The trip's staff have not yet confirmed that their phones are clear.")
    elif log.attested_by is not None and log.attested_by.id == actor.id:
        # The sign-off is a second person's check on the attestation.
        waits.append("You confirmed this log yourself: another senior leader must sign it off.")
    if log.held:
        waits.append(f"{log.held} photo(s) are still held. Sign off once they have been destroyed.")
    if log.unverified:
        waits.append(f"{log.unverified} photo(s) were deleted but not verified. Ask your IT support to check.")
    return refusals + [LogNotReadyError(w) for w in waits]


def attest(session: Session, actor: User, trip: Trip, *, confirmed: bool) -> TripLog:
    """Record that ``actor``, one of the trip's staff, has deleted every photo from their devices.

    Raises:
        LogClosedError: the log is already signed off.
        NotTripStaffError: ``actor`` is not the trip's lead or extra staff.
        LogNotReadyError: the trip has not reached its last day, or the log is already attested.
        ValidationError: the confirmation box was not ticked.
    """
    log = build_log(session, trip)
    if refusals := attest_refusals(log, actor):
        raise refusals[0]
    if not confirmed:
        raise ValidationError({"confirm": "Tick the box to confirm that you have deleted every photo."})
    entry = _write(session, trip, attested_by=actor.id, attested_at=utcnow())
    audit.record(session, actor, "log.attested", trip, photos=log.received, still_held=log.held)
    return entry


def sign_off(session: Session, actor: User, trip: Trip) -> TripLog:
    """Close the log for good: a senior leader's sign-off after the attestation, with every photo destroyed.

    Raises:
        LogClosedError: the log is already signed off.
        LogNotReadyError: not attested, a photo is still held or unverified, or ``actor`` attested it.
        ServiceError: ``actor`` is not a senior leader.
    """
    log = build_log(session, trip)
    if refusals := sign_off_refusals(log, actor):
        raise refusals[0]
    entry = _write(session, trip, signed_by=actor.id, signed_at=utcnow())
    audit.record(session, actor, "log.signed_off", trip, photos=log.received, posted=log.posted)
    return entry


def _closed(log: TripDeletionLog) -> LogClosedError:
    who = log.signed_by.display_name if log.signed_by else "a senior leader"
    return LogClosedError(f"This log was signed off by {who} on {log.when(log.signed_at)}; it can no longer change.")


def _write(session: Session, trip: Trip, **values: Any) -> TripLog:
    entry = session.get(TripLog, trip.id)
    if entry is None:
        session.add(entry := TripLog(trip_id=trip.id))
        session.flush()
    # A conditional UPDATE, so two people pressing at once cannot change a log that one of them closed.
    open_log = update(TripLog).where(TripLog.trip_id == trip.id, TripLog.signed_at.is_(None))
    if cast("CursorResult[Any]", session.execute(open_log.values(**values))).rowcount != 1:
        raise LogClosedError("This log was signed off a moment ago and can no longer be changed.")
    return entry
