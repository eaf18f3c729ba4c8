"""The post-trip deletion log's closing steps: the teacher's attestation and the senior leader's sign-off.

The rows themselves are built in ``deletion_rows``; this module decides when the log may be closed.
"""

from __future__ import annotations

import dataclasses
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from ...models import Role, Trip, TripAttestation, TripLog, User, utcnow
from ..audit import events as audit
from ..errors import ServiceError, ValidationError
from .report import live_cells, live_facts
from .rows import FATE_WORDS, LogRow, TripDeletionLog, build_log
from .snapshot import freeze
from .staff import ATTESTATION

__all__ = ["ATTESTATION", "FATE_WORDS", "LogRow", "TripDeletionLog", "attest", "build_log", "sign_off"]



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
    mine = next((a for a in log.attestations if a.user.id == actor.id), None)
    if mine is not None and mine.valid:
        waits.append(f"You already confirmed this on {log.when(mine.at)}.")
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
    lead = log.lead_attestation
    if lead is not None and lead.late_photos:
        waits.append(f"{lead.late_photos} photo(s) arrived after {lead.user.display_name} confirmed: "
                     "they must confirm again.")
    elif not log.attested:
        waits.append(f"The lead teacher, {log.trip.lead.display_name}, has not yet confirmed that their phone is clear.")
    if any(a.user.id == actor.id and a.at is not None for a in log.attestations):
        # The sign-off is a second person's check on the attestation.
        waits.append("You confirmed this log yourself: another senior leader must sign it off.")
    if log.held:
        waits.append(f"{log.held} photo(s) are still held. Sign off once they have been destroyed.")
    if log.in_outbox:
        waits.append(f"The outbox still keeps {log.in_outbox} posted photo(s). Sign off once it has destroyed them.")
    if log.unverified:
        waits.append(f"{log.unverified} photo(s) were deleted but not verified. Ask your IT support to check.")
    return refusals + [LogNotReadyError(w) for w in waits]


def attest(session: Session, actor: User, trip: Trip, *, confirmed: bool) -> TripAttestation:
    """Record that ``actor``, one of the trip's staff, has deleted every photo from their own devices.

    Raises:
        LogClosedError: the log is already signed off.
        NotTripStaffError: ``actor`` is not the trip's lead or extra staff.
        LogNotReadyError: the trip has not reached its last day, or ``actor`` already confirmed it.
        ValidationError: the confirmation box was not ticked.
    """
    log = build_log(session, trip)
    if refusals := attest_refusals(log, actor):
        raise refusals[0]
    if not confirmed:
        raise ValidationError({"confirm": "Tick the box to confirm that you have deleted every photo."})
    entry = session.get(TripAttestation, (trip.id, actor.id))
    if entry is None:
        session.add(entry := TripAttestation(trip_id=trip.id, user_id=actor.id))
    entry.attested_at = utcnow()  # again after late photos: the new time covers them
    session.flush()
    audit.record(session, actor, "log.attested", trip, photos=log.received, still_held=log.held)
    return entry


def sign_off(session: Session, actor: User, trip: Trip, *, confirmed: bool) -> TripLog:
    """Close the log for good, storing it exactly as signed (header and rows) with its SHA-256.

    Raises:
        LogClosedError: the log is already signed off.
        LogNotReadyError: the lead has not confirmed, a photo is still held or unverified, or ``actor`` attested it.
        ServiceError: ``actor`` is not a senior leader.
        ValidationError: the confirmation box was not ticked.
    """
    log = build_log(session, trip)
    if refusals := sign_off_refusals(log, actor):
        raise refusals[0]
    if not confirmed:
        raise ValidationError({"confirm": "Tick the box to confirm that you have checked this log and want to close it."})
    signed = dataclasses.replace(log, signed_by=actor, signed_at=utcnow())
    snapshot, digest = freeze(live_facts(signed), [live_cells(signed, row) for row in signed.rows])
    entry = _write(session, trip, signed_by=actor.id, signed_at=signed.signed_at, snapshot=snapshot,
                   snapshot_sha256=digest)
    audit.record(session, actor, "log.signed_off", trip, photos=log.received, posted=log.posted, sha256=digest)
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
