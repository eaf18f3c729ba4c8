"""Write audit events. The caller's transaction commits them with the change they describe."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ..models import AuditEvent, User


def record(
    session: Session,
    actor: User | None,
    action: str,
    subject: Any = None,
    **detail: Any,
) -> AuditEvent:
    """Add one audit event. ``detail`` must never hold image bytes, captions or tokens."""
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        subject_type=type(subject).__name__.lower() if subject is not None else "",
        subject_id=str(getattr(subject, "id", "")) if subject is not None else "",
        detail=detail,
    )
    session.add(event)
    return event
