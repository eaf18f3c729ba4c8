"""Turn ready photos and a caption into a post queued for the next posting window.

Every check runs here, before anything is queued, and again just before publishing.
Problems come back all at once, each a sentence the teacher can act on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ...models import MAIN_NETWORK, Photo, PhotoState, Post, PostState, SchoolSettings, Trip, User
from ...pipeline.caption import AltText, CaptionResult, check_caption
from ...pipeline.errors import PipelineError, Problem
from ...pipeline.window import WindowDecision, decide, describe, end_of_trip, is_open
from ...publishers.base import MAX_IMAGES
from ..audit import events as audit
from ..errors import NotFoundError, ServiceError
from ..networks.fitting import caption_problems
from ..networks.trip_networks import trip_channels
from ..school.rules import caption_rules, photo_consent, pupil_consents, roster_names, trip_window, weekly_hours
from ..school.settings import get_school
from .photo_review import unchecked_problem
from .photos import PUBLIC_ID, IdempotencyConflictError, check_key, own_photo
from .publications import create_publications
from .trip_grace import DEFAULT_GRACE_DAYS, refuse_duplicates, trip_for_post

When = Literal["now", "later", "after_trip"]


class ChecksFailedError(ServiceError):
    """The post breaks one or more rules; nothing was queued."""

    code = "checks_failed"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(" ".join(p.message for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class PostRequest:
    key: str
    trip_id: int
    photo_ids: tuple[str, ...]
    caption: str
    when: When = "now"
    minutes: int = 0
    urgent_reason: str = ""

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.__dict__, sort_keys=True, default=str).encode()).hexdigest()


def check_caption_for(
    session: Session, user: User, trip_id: int, caption: str, tagged: list[int],
    alt_texts: Sequence[tuple[str, Sequence[int]]] = (), *, now: datetime, grace_days: int = DEFAULT_GRACE_DAYS,
) -> CaptionResult:
    """The caption and alt-text check: live as the teacher types, and again when the post is queued.

    It also runs after the trip, in its grace period.
    """
    trip = trip_for_post(session, user, trip_id, now=now, grace_days=grace_days)
    consents = pupil_consents(trip)
    pupils = [p for p in consents if p.pupil_id in set(tagged)]
    alts = [AltText(text, tuple(p for p in consents if p.pupil_id in set(ids))) for text, ids in alt_texts]
    school = get_school(session)
    result = check_caption(caption, caption_rules(school, trip), roster_names(session, school), pupils, alts)
    # The same text goes to each of the trip's networks: each must take its length.
    if longer := [p for p in caption_problems(session, result.text, trip) if p not in result.problems]:
        result = replace(result, problems=(*result.problems, *longer))
    return result


def create_post(
    session: Session, user: User, request: PostRequest, now: datetime, *, grace_days: int = DEFAULT_GRACE_DAYS
) -> tuple[Post, bool]:
    """Check and queue a post. Returns (post, replayed) so a double tap gets the same post back.

    Raises:
        IdempotencyConflictError: the key was used for a different post.
        ChecksFailedError: consent, caption or photo problems; nothing was changed.
        ServiceError, NotFoundError: the trip or a photo cannot be used.
    """
    existing = _by_key(session, user, request)
    if existing is not None:
        return existing, True
    try:
        return _new_post(session, user, request, now, grace_days), False
    except ServiceError:
        # A twin of this request (a retry on another connection) may have committed while this one
        # was being checked, taking its photos: then the answer is the twin's post, as a replay.
        twin = _by_key(session, user, request)
        if twin is None:
            raise
        return twin, True


def _by_key(session: Session, user: User, request: PostRequest) -> Post | None:
    """The post already made with this request's key, if any.

    Raises:
        IdempotencyConflictError: the key was used for a different post.
    """
    existing = session.scalars(select(Post).where(Post.idempotency_key == check_key(request.key))).first()
    if existing is not None and (existing.request_hash != request.digest() or existing.author_id != user.id):
        raise IdempotencyConflictError("This post key was already used for a different post.")
    return existing


def _new_post(session: Session, user: User, request: PostRequest, now: datetime, grace_days: int) -> Post:
    # After the trip (within its grace period) the post follows the "after we've left" rules:
    # the trip's own hours no longer apply, so it goes out in the school's next posting window.
    trip = trip_for_post(session, user, request.trip_id, now=now, grace_days=grace_days)
    photos = _ready_photos(session, user, trip, request.photo_ids)
    refuse_duplicates(photos)
    school = get_school(session)
    tagged = sorted({pid for photo in photos for pid in photo.tagged})
    alt_texts = [(photo.alt_text, photo.tagged) for photo in photos]
    caption = check_caption_for(session, user, trip.id, request.caption, tagged, alt_texts, now=now, grace_days=grace_days)
    problems = [*_consent_problems(school, trip, photos), *caption.problems, *_nowhere_problems(session, trip)]
    if request.when != "now" and request.urgent_reason.strip():
        problems.append(Problem("urgent_later", "An urgent post goes out now. Choose \u201cpost now\u201d or remove the reason."))
    if problems:
        # The rules broken, by code: never the messages, which quote the caption and name pupils.
        audit.record(session, user, "checks.failed", trip, rules=sorted({p.rule for p in problems}), photos=len(photos))
        raise ChecksFailedError(problems)
    decision = _schedule(school, trip, request, now)
    latest = max(end_of_trip(trip_window(trip), school.timezone) + timedelta(days=1), now + timedelta(hours=school.retention_hours))
    if decision.post_at > latest:
        raise ServiceError(
            f"That would go out after the photos must be destroyed ({describe(latest, school.timezone, now)}). "
            "Choose an earlier time."
        )
    post = Post(
        idempotency_key=request.key,
        request_hash=request.digest(),
        trip_id=trip.id,
        author_id=user.id,
        text=caption.text,
        state=PostState.QUEUED if decision.post_at <= now else PostState.SCHEDULED,
        urgent_reason=request.urgent_reason.strip()[:500],
        scheduled_for=decision.post_at,
        created_at=now,
        # The trip's choice as it is now, like its publications below: never sent to the main destination.
        main_skipped="" if trip.posts_to(MAIN_NETWORK) else MAIN_NETWORK,
    )
    session.add(post)
    session.flush()
    for position, photo in enumerate(photos):
        photo.post_id, photo.position, photo.state = post.id, position, PhotoState.POSTING
        # A photo waiting for a later window is kept that long, but never past the day after the trip.
        photo.expires_at = min(max(photo.expires_at, decision.post_at + timedelta(hours=1)), latest)
    create_publications(session, post)  # one copy for each connected network, sent after the main one
    _audit_queued(session, user, post, school, trip, decision, request, [w.rule for w in caption.warnings])
    return post


def _audit_queued(
    session: Session, user: User, post: Post, school: SchoolSettings, trip: Trip, decision: WindowDecision,
    request: PostRequest, warnings: list[str],
) -> None:
    """The post, and any way it goes out outside the school's own hours."""
    audit.record(session, user, "post.queued", post, photos=len(post.photos), when=request.when,
                 at=decision.post_at.isoformat(), state=post.state.value, warnings=sorted(set(warnings)))
    if post.urgent_reason:
        # The reason is the teacher's own words, kept because the school's policy asks why.
        audit.record(session, user, "window.override", post, kind="urgent", reason=post.urgent_reason,
                     at=decision.post_at.isoformat())
    elif not is_open(decision.post_at, weekly_hours(school), school.timezone):
        audit.record(session, user, "window.override", post, kind="trip_hours", at=decision.post_at.isoformat())


def cancel_post(session: Session, user: User, public_id: str) -> Post:
    """Take a waiting post back: its photos return to the teacher, ready to post again.

    Raises:
        NotFoundError: no such post, or not the user's.
        ServiceError: it is already publishing or published.
    """
    found = PUBLIC_ID.fullmatch(public_id) is not None
    post = session.scalars(select(Post).where(Post.public_id == public_id)).first() if found else None
    if post is None or post.author_id != user.id:
        raise NotFoundError("That post does not exist or is not yours.")
    if post.state is PostState.CANCELLED:
        return post
    # Compare-and-set, not read-then-write: a worker may claim the post between our read and our
    # write, and overwriting its "publishing" would post photos the teacher believes were taken back.
    taken = session.execute(
        update(Post)
        .where(Post.id == post.id, Post.state.in_([PostState.QUEUED, PostState.SCHEDULED]))
        .values(state=PostState.CANCELLED, text="")
        .execution_options(synchronize_session=False)
    )
    session.refresh(post)
    if taken.rowcount != 1:
        raise ServiceError("This post is already on its way to X and cannot be taken back.")
    release_photos(post)
    audit.record(session, user, "post.cancelled", post)
    return post


def release_photos(post: Post) -> None:
    """Give a post's photos back to the teacher (after a refusal or a cancel)."""
    for photo in list(post.photos):
        if photo.state is PhotoState.POSTING:
            photo.state, photo.post_id = PhotoState.READY, None


def _ready_photos(session: Session, user: User, trip: Trip, public_ids: tuple[str, ...]) -> list[Photo]:
    if not 1 <= len(public_ids) <= MAX_IMAGES or len(set(public_ids)) != len(public_ids):
        raise ServiceError(f"A post has 1 to {MAX_IMAGES} different photos.")
    photos = [own_photo(session, user, pid) for pid in public_ids]
    if any(p.trip_id != trip.id for p in photos):
        raise ServiceError("All the photos in a post must come from the same trip.")
    if any(p.state is not PhotoState.READY for p in photos):
        raise ServiceError("One of these photos is already posted, on its way, or destroyed. Choose others.")
    return photos


def _nowhere_problems(session: Session, trip: Trip) -> list[Problem]:
    """A trip kept off the main destination whose chosen networks are all disconnected has nowhere to post."""
    if trip.posts_to(MAIN_NETWORK) or trip_channels(session, trip):
        return []
    return [Problem("networks", "This trip posts only to networks that are not connected now, so the post has "
                    "nowhere to go. Ask a senior leader to reconnect the network, or the office to choose "
                    "another one for the trip.")]


def _consent_problems(school: SchoolSettings, trip: Trip, photos: list[Photo]) -> list[Problem]:
    problems: list[Problem] = []
    for number, photo in enumerate(photos, start=1):
        prefix = f"Photo {number}: " if len(photos) > 1 else ""
        for problem in photo_consent(school, trip, photo).problems:
            problems.append(Problem(problem.rule, prefix + problem.message))
        problems.extend(unchecked_problem(photo, number, prefix))
        if not photo.alt_text.strip():
            problems.append(Problem("alt_text", f"Describe photo {number} for people who cannot see it (alt text)."))
    return problems


def _schedule(school: SchoolSettings, trip: Trip, request: PostRequest, now: datetime) -> WindowDecision:
    not_before = None
    if request.when == "later":
        not_before = now + timedelta(minutes=max(1, min(request.minutes, 7 * 24 * 60)))
    elif request.when == "after_trip":
        not_before = end_of_trip(trip_window(trip), school.timezone)
    try:
        return decide(
            now,
            weekly_hours(school),
            school.timezone,
            trip_window(trip),
            urgent=bool(request.urgent_reason.strip()),
            not_before=not_before,
        )
    except PipelineError as exc:
        raise ServiceError(exc.user_message) from None


def trip_posts(session: Session, user: User, trip_id: int, limit: int = 50) -> list[Post]:
    """The newest posts of a trip ``user`` staffs.

    Raises:
        NotFoundError: not their trip.
    """
    trip = session.get(Trip, trip_id)
    if trip is None or not trip.is_led_by(user):
        raise NotFoundError("That trip does not exist or is not one of yours.")
    query = select(Post).where(Post.trip_id == trip_id).order_by(Post.created_at.desc()).limit(limit)
    return list(session.scalars(query))
