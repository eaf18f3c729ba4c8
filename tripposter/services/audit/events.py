"""Write audit events. The caller's transaction commits them with the change they describe.

Actions are dotted, ``<what>.<what happened>`` (``photo.received``, ``post.published``); their
readable descriptions and categories live in ``audit_catalogue``. An event about a trip, its
photos or its posts carries ``trip_id`` (an indexed column, and in its detail for the exports), so
the log can be filtered by trip.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ...models import AuditEvent, Trip, User

# Keys that would tempt someone to put a caption, a token or image data in the log. Refused
# outright, so a careless call fails in the tests instead of leaking in production.
FORBIDDEN_KEYS = frozenset({
    "caption", "text", "alt_text", "token", "tokens", "access_token", "access_token_secret", "secret",
    "password", "bytes_b64", "image", "data", "name", "first_name", "last_name", "full_name",
})


class AuditDetailError(ValueError):
    """An audit detail held something the log must never hold (bytes, a caption, a token, a name)."""


def record(
    session: Session,
    actor: User | None,
    action: str,
    subject: Any = None,
    **detail: Any,
) -> AuditEvent:
    """Add one audit event. ``detail`` must never hold image bytes, captions, names or tokens.

    Raises:
        AuditDetailError: ``detail`` has a forbidden key or a bytes value.
    """
    _check_detail(action, detail)
    trip_id = _trip_id(subject)
    if trip_id is not None:
        detail.setdefault("trip_id", trip_id)
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        subject_type=type(subject).__name__.lower() if subject is not None else "",
        subject_id=str(getattr(subject, "id", "")) if subject is not None else "",
        detail=detail,
        trip_id=detail.get("trip_id") if isinstance(detail.get("trip_id"), int) else None,
    )
    session.add(event)
    return event


def _trip_id(subject: Any) -> int | None:
    """The trip an event is about: the trip itself, or the trip of a photo, post or log."""
    if isinstance(subject, Trip):
        return subject.id
    value = getattr(subject, "trip_id", None)
    return value if isinstance(value, int) else None


def _check_detail(action: str, detail: dict[str, Any]) -> None:
    for key, value in detail.items():
        if key in FORBIDDEN_KEYS:
            raise AuditDetailError(f"audit detail key {key!r} is not allowed ({action})")
        if isinstance(value, bytes | bytearray | memoryview):
            raise AuditDetailError(f"audit detail {key!r} holds bytes ({action})")
