"""Reading JSON bodies strictly and writing photos and posts as JSON for the phone page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, request
from sqlalchemy.orm import object_session

from ...models import MAIN_DESTINATIONS, Photo, Post, PostState, Trip
from ...pipeline.errors import Problem
from ...pipeline.window import describe
from ...services.deletion.channel_outcomes import leader_note
from ...services.posting.photo_review import preview_version
from ...services.posting.publications import channel_copies

MAX_TEXT = 5000


def body() -> dict[str, Any]:
    """The request's JSON object.

    Raises:
        HTTPException: 400 when the body is not a JSON object.
    """
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # "silent" covers ValueError only; deeply nested JSON is just as malformed
        data = None
    if not isinstance(data, dict):
        abort(400, "Send a JSON object as the request body.")
    return data


def text(data: dict[str, Any], name: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    value = data.get(name, None if required else "")
    if not isinstance(value, str) or len(value) > limit or (required and not value.strip()) or not storable(value):
        abort(400, f"\u201c{name}\u201d must be plain text of at most {limit} characters.")
    return value


def storable(value: str) -> bool:
    """Text a database column can hold: no NUL (PostgreSQL refuses it) and no lone surrogate (not UTF-8)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def integer(data: dict[str, Any], name: str, *, default: int | None = None, low: int = 0, high: int = 10**6) -> int:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        abort(400, f"\u201c{name}\u201d must be a whole number from {low} to {high}.")
    return value


def id_list(data: dict[str, Any], name: str, *, nullable: bool = False, limit: int = 200) -> list[Any]:
    value = data.get(name, [])
    ok = isinstance(value, list) and len(value) <= limit
    ok = ok and all((v is None and nullable) or (isinstance(v, int) and not isinstance(v, bool)) for v in value)
    if not ok:
        abort(400, f"\u201c{name}\u201d must be a list of pupil ids{' or nulls' if nullable else ''}.")
    return value


def str_list(data: dict[str, Any], name: str, *, low: int = 1, high: int = 4) -> list[str]:
    value = data.get(name)
    if not isinstance(value, list) or not low <= len(value) <= high or not all(isinstance(v, str) and len(v) <= 64 for v in value):
        abort(400, f"\u201c{name}\u201d must be a list of {low} to {high} photo ids.")
    return value


def regions(data: dict[str, Any], name: str = "regions") -> list[dict[str, Any]] | None:
    """The teacher's blur areas, or None when the body leaves them as they are.

    Only the shape is checked here (a list of objects); their values are checked against the photo.
    """
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > 100 or not all(isinstance(v, dict) for v in value):
        abort(400, f"\u201c{name}\u201d must be a list of rectangles, each {{\"x\", \"y\", \"width\", \"height\"}}.")
    return value


def flag(data: dict[str, Any], name: str) -> bool | None:
    """A true/false field, or None when it is absent."""
    value = data.get(name)
    if value is not None and not isinstance(value, bool):
        abort(400, f"\u201c{name}\u201d must be true or false.")
    return value


def alt_texts(data: dict[str, Any]) -> list[tuple[str, list[int]]]:
    """The photos' descriptions for the live check: [{"text": ..., "tagged": [pupil ids]}, ...], at most 4."""
    value = data.get("alt_texts", [])
    if not isinstance(value, list) or len(value) > 4 or not all(isinstance(v, dict) for v in value):
        abort(400, "\u201calt_texts\u201d must be a list of at most 4 objects, each with text and tagged.")
    return [(text(v, "text", required=False, limit=1000), id_list(v, "tagged")) for v in value]


def idempotency_key(data: dict[str, Any] | None = None) -> str:
    key = request.headers.get("Idempotency-Key") or (data or {}).get("key") or ""
    if not isinstance(key, str) or not key:
        abort(400, "Every upload and post needs an Idempotency-Key header made on the phone.")
    return key


def taken_at() -> datetime | None:
    """When the phone says the photo was taken: the optional multipart field ``taken_at`` (ISO 8601, with a zone).

    Raises:
        HTTPException: 400 when it is there but not an ISO 8601 time with a zone.
    """
    raw = request.form.get("taken_at", "")
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw) if len(raw) <= 40 else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or moment.utcoffset() is None:
        abort(400, "\u201ctaken_at\u201d must be a time like 2026-11-27T14:05:00Z.")
    return moment


def problems_json(problems: list[Problem] | tuple[Problem, ...]) -> list[dict[str, str]]:
    return [{"rule": p.rule, "message": p.message} for p in problems]


def photo_json(photo: Photo) -> dict[str, Any]:
    return {
        "id": photo.public_id,
        "trip_id": photo.trip_id,
        "state": photo.state.value,
        "width": photo.width,
        "height": photo.height,
        "faces": photo.faces,
        "face_pupils": photo.face_pupils,
        "tagged": photo.tagged,
        "alt_text": photo.alt_text,
        "removed_metadata": photo.removed_metadata,
        "expires_at": photo.expires_at.isoformat(),
        "preview_url": f"/api/photos/{photo.public_id}/preview.jpg" if photo.spool_name else None,
        "regions": photo.regions or [],
        "faces_checked": photo.faces_checked_at is not None,
        "posting_url": f"/api/photos/{photo.public_id}/posting.jpg?v={preview_version(photo)}" if photo.spool_name else None,
    }


def post_json(post: Post, tz: str, now: datetime) -> dict[str, Any]:
    session = object_session(post)
    return {
        "id": post.public_id,
        "trip_id": post.trip_id,
        # A send whose lease ran out is being checked, not posted: the phone says so.
        "state": "unknown" if post.state is PostState.PUBLISHING and (post.claimed_until or now) < now
        else post.state.value,
        "text": post.text,
        "photos": len(post.photos),
        "scheduled_for": post.scheduled_for.isoformat(),
        "scheduled_text": describe(post.scheduled_for, tz, now),
        "url": post.remote_url,
        "error": post.last_error,
        "urgent": bool(post.urgent_reason),
        "channels": [
            {"network": kind.label, "state": p.state.value, "url": p.url, "error": p.last_error,
             "decided": _capital(leader_note(session, p)) if session is not None else ""}
            for p, kind in channel_copies(session, post.id)
        ],
        "skipped_main": skipped_main(post),
    }


def _capital(note: str) -> str:
    """A note as a sentence of its own on the phone: "Recorded as posted by Ms Patel." """
    return f"{note[0].upper()}{note[1:]}." if note else ""


def skipped_main(post: Post) -> str | None:
    """Why the post never goes to the main destination (the trip does not post there), or None when it does."""
    if not post.main_skipped:
        return None
    where = MAIN_DESTINATIONS.get(post.main_skipped, "the school's main account")
    return f"Not sent to {where}: this trip does not post there."


def trip_json(trip: Trip, networks: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": trip.id,
        "networks": networks or [],
        "name": trip.name,
        "destination": trip.destination,
        "start_date": trip.start_date.isoformat(),
        "end_date": trip.end_date.isoformat(),
        "hashtags": trip.hashtags,
        "pupils": [
            {
                "id": p.id,
                "name": p.full_name,
                "first_name": p.first_name,
                "class": p.class_name,
                "photo_consent": p.has_photo_consent,
                "first_name_consent": p.has_first_name_consent,
            }
            for p in trip.pupils
        ],
    }
