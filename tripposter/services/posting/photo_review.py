"""The teacher's last look at a photo: areas blurred by hand, "I have looked at every face", and the
image exactly as it will be posted.

The preview and the publish job build the posted image with the same function, so what the teacher
sees is what goes out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ...models import Photo, PhotoState, SchoolSettings, Trip, User
from ...pipeline.errors import Problem
from ...pipeline.faces import Face
from ...pipeline.photo import Limits
from ...pipeline.regions import RegionError, check_regions, posting_jpeg, stored_regions
from ...spool import Spool
from ..audit import events as audit
from ..errors import NotFoundError, ServiceError
from ..school.rules import photo_consent
from ..school.settings import get_school
from .photos import own_photo, photo_trip

CONFIRMATION = "I have looked at every face in this photo"


class RegionRefusedError(ServiceError):
    """The teacher's blur areas do not fit the photo; nothing was changed."""

    code = "bad_region"


def review_photo(
    session: Session, user: User, public_id: str, *, regions: Sequence[Mapping[str, Any]] | None,
    faces_checked: bool | None, now: datetime,
) -> Photo:
    """Store the hand-drawn blur areas and the face confirmation; ``None`` leaves either as it was.

    Raises:
        NotFoundError: see ``own_photo``.
        ServiceError: the photo is no longer ready.
        RegionRefusedError: an area is malformed, outside the photo, too small, or one too many.
    """
    photo = own_photo(session, user, public_id)
    if photo.state is not PhotoState.READY:
        raise ServiceError("This photo can no longer be changed: it is already on its way or destroyed.")
    if regions is not None:
        try:
            photo.regions = [r.as_dict() for r in check_regions(regions, photo.width, photo.height)]
        except RegionError as exc:
            raise RegionRefusedError(exc.user_message) from None
    if faces_checked is True and photo.faces_checked_at is None:
        photo.faces_checked_at, photo.faces_checked_by = now, user.id
        # Counts only, like "photo.tagged": never who is in the photo.
        audit.record(session, user, "photo.faces_checked", photo, faces=len(photo.faces),
                     named=sum(1 for f in photo.face_pupils if f is not None), regions=len(photo.regions))
    elif faces_checked is False:
        photo.faces_checked_at = photo.faces_checked_by = None
    return photo


def posting_image(school: SchoolSettings, trip: Trip, photo: Photo, clean: bytes, limits: Limits) -> bytes:
    """``clean`` with every face consent says to blur, and every hand-drawn area, blurred for good."""
    blur = photo_consent(school, trip, photo).blur
    faces = [Face(**photo.faces[i]) for i in sorted(blur)]
    return posting_jpeg(clean, faces, stored_regions(photo.regions or []), limits)


def preview_image(session: Session, spool: Spool, user: User, public_id: str, limits: Limits) -> bytes:
    """The photo as it would be posted right now, for its teacher's eyes only.

    Raises:
        NotFoundError: not the user's photo, or already destroyed.
    """
    photo = own_photo(session, user, public_id)
    if not photo.spool_name or not photo.wrapped_key:
        raise NotFoundError("This photo has been destroyed.")
    clean = spool.read(photo.spool_name, photo.wrapped_key)
    return posting_image(get_school(session), photo_trip(session, photo), photo, clean, limits)


def preview_version(photo: Photo) -> str:
    """Changes whenever the posted image would: lets the page ask for a fresh preview, never a stale one."""
    state = json.dumps([photo.face_pupils, photo.tagged, photo.regions], sort_keys=True)
    return hashlib.sha256(state.encode()).hexdigest()[:12]


def unchecked_problem(photo: Photo, number: int, prefix: str) -> list[Problem]:
    """The post is refused until the teacher has confirmed they looked at every face in the photo."""
    if photo.faces_checked_at is not None:
        return []
    return [Problem("faces_not_checked",
                    f"{prefix}Look at photo {number} as it will be posted and tick \u201c{CONFIRMATION}\u201d. "
                    "Blur anything the boxes missed first.")]
