"""The publish job: one due post, published at most once, then every local copy destroyed.

X has no idempotency key, so the order is the guarantee: ``publishing`` is committed before the
publisher is called and the remote id is committed the moment it comes back. A post found still
``publishing`` after its lease ran out is never re-sent blindly: ``recovery`` reconciles it.
This module owns its transactions, because the job queue calls it.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ...db import required, transaction
from ...errors import UserFacingError
from ...models import Fate, Photo, PhotoState, Post, PostState, Trip, User
from ...pipeline.errors import PipelineError
from ...pipeline.window import is_open, next_opening
from ...publishers import base as pub
from ...runtime import Runtime
from ...spool import SpoolError
from ..audit import events as audit
from ..deletion.destruction import destroy_photo, skipped_main_fate, skipped_words
from ..networks import x_account
from ..networks.budget import charge, over_budget
from ..school.rules import photo_consent, trip_window, weekly_hours
from ..school.settings import get_school
from .attempts import HELD_AUTHOR, SAME_TEXT_DUPLICATE, attempt_of, same_text_posted
from .lease import LEASE, LeaseKeeper
from .name_checks import hold_if_named
from .photo_review import posting_image
from .posts import release_photos
from .publications import send_publications, unsettled

MAX_BACKOFF = timedelta(hours=1)
OUTBOX_URL = "/outbox/"


def publish_post(rt: Runtime, post_id: int) -> str:
    """Publish post ``post_id`` if it is due and still allowed. Returns what happened, in a word."""
    with transaction(rt.sessions) as session:
        outcome = _claim(session, rt, post_id, rt.clock())
    if outcome == "released":  # the trip does not post to the main destination: only its networks get it
        rt.checkpoint("released")
        finish_post(rt, post_id)
        return outcome
    if outcome != "claimed":
        return outcome
    rt.checkpoint("claimed")
    with rt.sessions() as session:
        post = get_post(session, post_id)
        try:
            request = _build_request(session, rt, post)
            publisher = rt.publisher_for(session)
        except (PipelineError, pub.PublishError) as exc:
            return _handle_error(rt, post_id, exc)
        except SpoolError:
            unreadable = UserFacingError("A photo of this post could not be read back, so nothing was posted. Take it again.")
            return _handle_error(rt, post_id, unreadable)
    rt.checkpoint("built")
    try:
        with LeaseKeeper(rt, post_id):  # the send may be slow; only a dead worker loses its lease
            published = publisher.publish(request)
    except pub.PublishError as exc:
        outcome = _handle_error(rt, post_id, exc)
        if outcome == "published":
            destroy_post_photos(rt, post_id)
        return outcome
    rt.checkpoint("sent")
    record_published(rt, post_id, published.remote_id, published.url, published.daily_limit)
    rt.checkpoint("recorded")
    finish_post(rt, post_id)
    rt.checkpoint("destroyed")
    return "published"


def finish_post(rt: Runtime, post_id: int) -> dict[str, int]:
    """Send a published post to each connected channel still due, then destroy its photos if all are settled."""
    sent = send_publications(rt, post_id, lambda session, post: _build_request(session, rt, post))
    destroy_post_photos(rt, post_id)
    return sent


def _claim(session: Session, rt: Runtime, post_id: int, now: datetime) -> str:
    """Atomically take the post (one worker wins), then recheck it against today's rules."""
    post = session.get(Post, post_id)
    if post is None or not post.state.waiting:
        return "not-waiting"
    if post.scheduled_for > now:
        return "not-due"
    if not post.main_skipped and _paused(session, rt):
        return "paused"
    if not post.main_skipped and (waiting := over_budget(session, rt.settings, post, now)):
        # Nothing changes but what the teacher reads, and only while the post still waits.
        session.execute(update(Post).where(Post.id == post_id, Post.state.in_([PostState.QUEUED, PostState.SCHEDULED]))
                        .values(last_error=waiting).execution_options(synchronize_session=False))
        return "over-budget"
    # The compare-and-set comes first, and every later write in this transaction depends on it.
    # What was read above may already be stale: another worker (or the teacher's cancel) can
    # change the row between a read and a write, and on SQLite the driver does not even open the
    # transaction until the first write. A conditional UPDATE is atomic on both databases: on
    # PostgreSQL a second worker's UPDATE waits for the first one's row lock, then re-reads the row
    # (READ COMMITTED), finds it no longer waiting and changes nothing; SQLite runs one writer at
    # a time. Only the winner then rechecks the rules, holding the row until it commits.
    taken = session.execute(
        update(Post)
        .where(Post.id == post_id, Post.state.in_([PostState.QUEUED, PostState.SCHEDULED]), Post.scheduled_for <= now)
        .values(state=PostState.PUBLISHING, claimed_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        return "taken"
    session.refresh(post)
    author = session.get(User, post.author_id)
    if (author is None or not author.is_active) and post.released_by is None:
        # Disabling an account is step 2 of the lost-phone procedure: what it queued waits for a person.
        post.state, post.claimed_until, post.last_error = PostState.HELD, None, HELD_AUTHOR
        audit.record(session, None, "post.held", post, reason="author disabled or removed")
        return "held"
    trip, school = _trip(session, post), get_school(session)
    photos = list(post.photos)
    if any(not (photo.spool_name and photo.wrapped_key) for photo in photos):
        # A photo's file vanished (found at start-up) or it was swept: the post cannot be whole.
        _finish_unposted(session, rt, post, PostState.EXPIRED, Fate.EXPIRED, "a photo was no longer held", now)
        return "expired"
    if broken := sorted({p.rule for photo in photos for p in photo_consent(school, trip, photo).problems}):
        # A parent withdrew consent (or a tag became invalid) since this was queued.
        audit.record(session, None, "checks.failed", post, rules=broken, photos=len(photos), stage="before publishing")
        _finish_unposted(session, rt, post, PostState.WITHDRAWN, Fate.WITHDRAWN, "consent changed before posting", now)
        return "withdrawn"
    if held := hold_if_named(session, post, now):  # the name guard again, on today's consent and settings
        return held
    if not post.urgent_reason and not is_open(now, weekly_hours(school), school.timezone, trip_window(trip)):
        return _reschedule(session, rt, post, next_opening(now, weekly_hours(school), school.timezone, trip_window(trip)), now)
    if post.main_skipped:
        return _release(session, rt, post, now)
    post.attempts += 1
    # Who this attempt is, committed with the claim, before a single byte is sent.
    post.attempt_id, post.attempt_started_at = secrets.token_hex(16), now
    return "claimed"


def _release(session: Session, rt: Runtime, post: Post, now: datetime) -> str:
    """Let the trip's networks have a post that never goes to the main destination, in the claim's transaction.

    Nothing is sent to X (or written to the outbox): no attempt is made, so there is nothing for recovery
    to reconcile there. The post counts as out (its publications wait for that), with no main address.
    """
    post.main_skipped = rt.settings.publisher  # the record names the destination it skipped
    post.state, post.claimed_until, post.published_at, post.last_error = PostState.PUBLISHED, None, now, ""
    post.attempt_id = None
    for photo in post.photos:
        photo.state = PhotoState.PUBLISHED  # kept while a network waits; destroyed with their true fate
    audit.record(session, None, "post.released", post, skipped=rt.settings.publisher, reason=skipped_words(post))
    return "released"


def _build_request(session: Session, rt: Runtime, post: Post) -> pub.Post:
    """Decrypt each photo, blur every face that must be blurred under today's consent, and verify."""
    trip, school = _trip(session, post), get_school(session)
    images = []
    for photo in post.photos:
        clean = rt.spool.read(photo.spool_name or "", photo.wrapped_key or b"")
        # The same function builds the teacher's preview: faces and hand-drawn areas blurred.
        jpeg = posting_image(school, trip, photo, clean, rt.limits)
        images.append(pub.PostImage(jpeg, photo.alt_text))
    attempt = attempt_of(session, post)
    return pub.Post(text=post.text, images=tuple(images), reply_settings=school.reply_settings or None, attempt=attempt)


def record_published(rt: Runtime, post_id: int, remote_id: str, url: str, daily: pub.RateLimit | None = None) -> None:
    """Commit the remote id the moment X (or the outbox) gives it."""
    now = rt.clock()
    with transaction(rt.sessions) as session:
        post = get_post(session, post_id)
        post.remote_id, post.remote_url, post.state = remote_id, url, PostState.PUBLISHED
        post.published_at, post.claimed_until, post.last_error = now, None, ""
        if url.startswith(OUTBOX_URL):  # the outbox's copy is a local copy too: kept for a set time only
            post.outbox_kept_until = now + timedelta(days=rt.settings.outbox_retention_days)
        for photo in post.photos:
            photo.state = PhotoState.PUBLISHED
        charge(post, rt.settings)
        x_account.record_limits(session, daily)
        audit.record(session, None, "post.published", post, remote_id=remote_id, url=url)


def destroy_post_photos(rt: Runtime, post_id: int) -> None:
    """Destroy every photo of a published post, once no channel still waits for them; each gets its DeletionRecord."""
    with transaction(rt.sessions) as session:
        destroy_settled_photos(session, rt, get_post(session, post_id))


def destroy_settled_photos(session: Session, rt: Runtime, post: Post) -> bool:
    """``destroy_post_photos`` inside the caller's transaction (a senior leader's decision); say whether it did."""
    if unsettled(session, post.id):
        return False  # a channel still needs the photos: the tick sends it, then destroys them
    fate, reason, url = skipped_main_fate(session, post) if post.main_skipped else (Fate.POSTED, "", post.remote_url)
    for photo in post.photos:
        if photo.state is not PhotoState.DESTROYED:
            destroy_photo(session, rt.spool, photo, fate, rt.clock(), reason=reason, url=url)
    return True


def _handle_error(rt: Runtime, post_id: int, exc: UserFacingError) -> str:
    now = rt.clock()
    with transaction(rt.sessions) as session:
        post = get_post(session, post_id)
        post.claimed_until = None
        post.last_error = exc.user_message[:500]
        if isinstance(exc, pub.RetryableError) and exc.outcome_unknown:
            post.state, post.maybe_posted = PostState.UNKNOWN, True  # recovery reconciles; never a blind resend
            audit.record(session, None, "post.unknown", post, error=exc.code)
            return "unknown"
        if isinstance(exc, pub.RejectedError) and exc.duplicate and post.maybe_posted and same_text_posted(session, post):
            # The copy X has may be another post's: only a person can tell.
            post.state, post.attempt_id, post.last_error = PostState.UNKNOWN, None, SAME_TEXT_DUPLICATE
            audit.record(session, None, "post.needs_decision", post, error=exc.code)
            return "unknown"
        if isinstance(exc, pub.RejectedError) and exc.duplicate and post.maybe_posted:
            # X refuses a copy of a post it already has: the earlier, unknown attempt went out.
            post.state = PostState.PUBLISHED
            for photo in post.photos:
                photo.state = PhotoState.PUBLISHED
            audit.record(session, None, "post.published", post, evidence="duplicate refusal")
            return "published"
        if isinstance(exc, pub.RetryableError):
            # X's reset time when it gave one (429), else exponential backoff (5xx, timeouts).
            backoff = min(timedelta(minutes=2 ** min(post.attempts, 10)), MAX_BACKOFF)
            return _reschedule(session, rt, post, exc.retry_at or now + backoff, now, state=PostState.QUEUED, why=exc.code)
        if isinstance(exc, (pub.NeedsReconnectError, pub.PausedError)):
            # Nothing was posted and the post itself is fine (a refused connection, X's credits
            # spent): it waits, visibly, until a senior leader reconnects or resumes.
            post.state = PostState.QUEUED
            x_account.pause(session, exc.user_message)
            return "paused"
        # Rejected, or a photo that no longer passes the pipeline: the teacher gets the photos back.
        post.state, post.text = PostState.FAILED, ""
        release_photos(post)
        audit.record(session, None, "post.failed", post, error=exc.code)
        return "failed"


def _reschedule(
    session: Session, rt: Runtime, post: Post, when: datetime, now: datetime, state: PostState = PostState.SCHEDULED,
    why: str = "window closed",
) -> str:
    """Move the post to ``when``, unless a photo would outlive its retention limit by then."""
    if any(when > photo.expires_at for photo in post.photos):
        _finish_unposted(session, rt, post, PostState.EXPIRED, Fate.EXPIRED, "retention limit reached before posting", now)
        return "expired"
    post.state, post.scheduled_for, post.claimed_until = state, when, None
    audit.record(session, None, "post.rescheduled", post, at=when.isoformat(), reason=why)
    return "rescheduled"


def _finish_unposted(
    session: Session, rt: Runtime, post: Post, state: PostState, fate: Fate, reason: str, now: datetime
) -> None:
    post.state, post.text, post.claimed_until = state, "", None
    for photo in list(post.photos):
        destroy_photo(session, rt.spool, photo, fate, now, reason=reason)
    audit.record(session, None, f"post.{state.value}", post, reason=reason)


def _paused(session: Session, rt: Runtime) -> bool:
    """Publishing to X waits while the account is missing or refused our tokens."""
    if rt.settings.publisher != "x":
        return False
    account = x_account.get_account(session)
    return not x_account.is_connected(account) or bool(account and account.paused_reason)


def get_post(session: Session, post_id: int) -> Post:
    return required(session, Post, post_id, f"post {post_id}")


def _trip(session: Session, post: Post) -> Trip:
    return required(session, Trip, post.trip_id, f"the trip of post {post.id}")


def due_posts(session: Session, now: datetime) -> list[int]:
    """Posts whose time has come, for the dispatcher to hand to workers."""
    query = select(Post.id).where(Post.state.in_([PostState.QUEUED, PostState.SCHEDULED]), Post.scheduled_for <= now)
    return list(session.scalars(query.order_by(Post.scheduled_for)))


def waiting_photos(session: Session) -> list[Photo]:
    return list(session.scalars(select(Photo).where(Photo.state != PhotoState.DESTROYED)))
