"""Each post's copy on every connected channel: created with the post, sent after the main one.

The main destination (the outbox, or X) keeps the post's own state machine. Each connected channel
gets a ``Publication`` with the same guarantees: one worker wins it by compare-and-set, its attempt's
identity is committed before a byte is sent, and the remote id is committed the moment it returns.

A publication keeps ONE attempt identity for its whole life, unlike a post (a new one per claim):
Bluesky makes the record key from it and Mastodon sends it as the Idempotency-Key, so a second send
of the same publication, after an answer that was lost, cannot make a second post there.
The photos are destroyed only once every publication is settled (``all_settled``).
This module owns its transactions, like ``publishing``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ...db import compare_and_set, required, transaction
from ...models import Channel, ChannelKind, PhotoState, Post, PostState, Publication, PublicationState, Trip
from ...models.publications import UNSETTLED
from ...pipeline.errors import PipelineError
from ...publishers import base as pub
from ...runtime import Runtime
from ...spool import SpoolError
from ..audit import events as audit
from ..networks.channel_publishers import publisher_for_channel
from ..networks.fitting import fit_to, limits_of, publish_fitted
from ..networks.trip_networks import trip_channels
from .lease import LEASE, LeaseKeeper

RequestBuilder = Callable[[Session, Post], pub.Post]
MAX_BACKOFF = timedelta(hours=1)
PENDING, SENDING = PublicationState.PENDING, PublicationState.SENDING


def create_publications(session: Session, post: Post) -> list[Publication]:
    """One pending publication per connected channel the post's trip posts to (all of them by default)."""
    trip = session.get(Trip, post.trip_id)
    channels = sorted(trip_channels(session, trip), key=lambda c: c.id) if trip is not None else []
    made = [Publication(post_id=post.id, channel_id=channel.id, state=PENDING) for channel in channels]
    session.add_all(made)
    return made


def channel_copies(session: Session | None, post_id: int) -> list[tuple[Publication, ChannelKind]]:
    """The post's copy on each channel, with the channel's network, in the order they were connected."""
    if session is None:
        return []
    query = (select(Publication, Channel.kind).join(Channel, Channel.id == Publication.channel_id)
             .where(Publication.post_id == post_id).order_by(Publication.id))
    return [(publication, ChannelKind(kind)) for publication, kind in session.execute(query).all()]


def unsettled(session: Session, post_id: int) -> bool:
    """Some channel may still get this post: its photos must be kept."""
    query = select(Publication.id).where(Publication.post_id == post_id, Publication.state.in_(UNSETTLED))
    return session.scalars(query.limit(1)).first() is not None


def due_publications(session: Session, now: datetime, post_id: int | None = None) -> list[int]:
    """Pending publications of published posts whose time has come (a paused channel's wait for a person)."""
    query = (
        select(Publication.id).join(Post, Post.id == Publication.post_id)
        .join(Channel, Channel.id == Publication.channel_id)
        .where(Publication.state == PENDING, Post.state == PostState.PUBLISHED, Channel.paused_reason == "",
               or_(Publication.next_try_at.is_(None), Publication.next_try_at <= now))
    )
    if post_id is not None:
        query = query.where(Publication.post_id == post_id)
    return list(session.scalars(query.order_by(Publication.id)))


def posts_with_due_publications(session: Session, now: datetime) -> list[int]:
    """Published posts with a channel still to send to, for the worker's tick."""
    ids = due_publications(session, now)
    query = select(Publication.post_id).where(Publication.id.in_(ids)).distinct()
    return sorted(session.scalars(query)) if ids else []


def send_publications(rt: Runtime, post_id: int, build: RequestBuilder) -> dict[str, int]:
    """Send each due publication of post ``post_id``; returns how many ended each way."""
    with rt.sessions() as session:
        ids = due_publications(session, rt.clock(), post_id)
    outcomes: dict[str, int] = {}
    for publication_id in ids:
        outcome = send_publication(rt, publication_id, build)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def send_publication(rt: Runtime, publication_id: int, build: RequestBuilder) -> str:
    """Claim one publication, send it through its channel's publisher, record what happened."""
    with transaction(rt.sessions) as session:
        outcome = _claim(session, publication_id, rt.clock())
    if outcome != "claimed":
        return outcome
    rt.checkpoint("channel claimed")
    with rt.sessions() as session:
        publication = _get(session, publication_id)
        post, channel = _post(session, publication), _channel(session, publication)
        try:
            publisher = publisher_for_channel(channel, rt.settings.token_key, rt.settings.practice_outbox_path)
            request = replace(build(session, post), attempt=attempt_for(session, publication, post))
            # The same pictures, re-encoded smaller where this network takes fewer bytes.
            limits = limits_of(publisher, channel.kind)
            request = fit_to(request, limits)
        except pub.PublishError as exc:
            return record_error(rt, publication_id, exc)
        except (PipelineError, SpoolError) as exc:  # a photo that no longer reads or passes the pipeline
            message = "A photo of this post could not be prepared again, so it was not sent here."
            return record_error(rt, publication_id, pub.RejectedError(message), detail=type(exc).__name__)
        sealed = channel.secret
    try:
        with LeaseKeeper(rt, publication_id, renewer=renew):
            published = publish_fitted(publisher, request, limits)
    except pub.PublishError as exc:
        return record_error(rt, publication_id, exc, secret=_changed(channel, sealed))
    except PipelineError as exc:  # the photo could not be made small enough for this server
        return record_error(rt, publication_id, pub.InvalidPostError(exc.user_message), detail=type(exc).__name__,
                            secret=_changed(channel, sealed))
    rt.checkpoint("channel sent")
    record_sent(rt, publication_id, published, secret=_changed(channel, sealed))
    rt.checkpoint("channel recorded")
    return "published"


def _claim(session: Session, publication_id: int, now: datetime) -> str:
    """Take the publication (compare-and-set: one worker wins), then check it may go out now."""
    taken = session.execute(
        update(Publication)
        .where(Publication.id == publication_id, Publication.state == PENDING,
               or_(Publication.next_try_at.is_(None), Publication.next_try_at <= now))
        .values(state=SENDING, claimed_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        return "taken"
    publication = _get(session, publication_id)
    session.refresh(publication)
    post, channel = _post(session, publication), _channel(session, publication)
    if post.state is not PostState.PUBLISHED:  # the main destination goes first
        publication.state, publication.claimed_until = PENDING, None
        return "not-yet"
    if not channel.active:
        why = "The network was disconnected before this post went out there."
        return _settle(session, publication, post, PublicationState.CANCELLED, why)
    if channel.paused_reason:  # nothing is sent until a senior leader reconnects it
        publication.state, publication.claimed_until, publication.last_error = PENDING, None, channel.paused_reason
        return "paused"
    if any(photo.state is PhotoState.DESTROYED or not (photo.spool_name and photo.wrapped_key) for photo in post.photos):
        why = "The photos were destroyed at their retention limit before this post could go out here."
        return _settle(session, publication, post, PublicationState.EXPIRED, why)
    publication.attempts += 1
    if publication.attempt_id is None:  # who this publication is, committed with the claim
        publication.attempt_id, publication.attempt_started_at = secrets.token_hex(16), now
    return "claimed"


def attempt_for(session: Session, publication: Publication, post: Post) -> pub.Attempt | None:
    """The publication's attempt, with the remote ids other publications on its channel own."""
    if publication.attempt_id is None or publication.attempt_started_at is None:
        return None
    since = publication.attempt_started_at - timedelta(days=1)
    owned = select(Publication.remote_id).where(
        Publication.channel_id == publication.channel_id, Publication.id != publication.id,
        Publication.remote_id.is_not(None), Publication.published_at >= since,
    )
    known = frozenset(str(remote) for remote in session.scalars(owned))
    return pub.Attempt(publication.attempt_id, publication.attempt_started_at, len(post.photos), known)


def record_sent(rt: Runtime, publication_id: int, published: pub.Published, *, secret: bytes | None = None,
                evidence: str = "", expected: PublicationState | None = None) -> bool:
    """Commit the remote id and address the moment the network gives them (with ``expected``: only from it)."""
    with transaction(rt.sessions) as session:
        publication = _get(session, publication_id)
        if expected is not None and not _still(session, publication, expected):
            return False  # settled meanwhile (a senior leader's decision): theirs stands
        publication.state, publication.remote_id, publication.url = PublicationState.PUBLISHED, published.remote_id, published.url
        publication.published_at, publication.claimed_until, publication.last_error = rt.clock(), None, ""
        if ChannelKind(_channel(session, publication).kind).local:  # a copy on this server: kept a set time only
            publication.local_kept_until = rt.clock() + timedelta(days=rt.settings.outbox_retention_days)
        _keep_secret(session, publication, secret)
        extra = {"evidence": evidence} if evidence else {}
        audit.record(session, None, "publication.published", _post(session, publication),
                     **_about(session, publication), url=published.url, **extra)
    return True


def _still(session: Session, publication: Publication, expected: PublicationState) -> bool:
    """Compare-and-set: mark ``publication`` published only if it is still ``expected``."""
    return compare_and_set(session, publication, Publication.state == expected, state=PublicationState.PUBLISHED)


def record_error(rt: Runtime, publication_id: int, exc: pub.PublishError, *, secret: bytes | None = None,
                 detail: str = "") -> str:
    """What a refused or failed send means for this publication (and, if refused access, its channel)."""
    now = rt.clock()
    with transaction(rt.sessions) as session:
        publication = _get(session, publication_id)
        post, channel = _post(session, publication), _channel(session, publication)
        _keep_secret(session, publication, secret)
        publication.claimed_until, publication.last_error = None, exc.user_message[:500]
        about = _about(session, publication)
        if isinstance(exc, pub.RetryableError) and exc.outcome_unknown:
            publication.state = PublicationState.UNKNOWN  # recovery asks the network; never a blind resend
            audit.record(session, None, "publication.unknown", post, **about, error=exc.code)
            return "unknown"
        if isinstance(exc, pub.RetryableError):
            backoff = min(timedelta(minutes=2 ** min(publication.attempts, 10)), MAX_BACKOFF)
            publication.state, publication.next_try_at = PENDING, exc.retry_at or now + backoff
            audit.record(session, None, "publication.retrying", post, **about, error=exc.code,
                         at=publication.next_try_at.isoformat())
            return "retrying"
        if isinstance(exc, (pub.NeedsReconnectError, pub.PausedError)):
            # Nothing was posted and the post is fine: it waits, with the photos, for a senior leader.
            publication.state = PENDING
            pause_channel(session, channel, exc.user_message)
            return "paused"
        _settle(session, publication, post, PublicationState.FAILED, exc.user_message, error=exc.code, cause=detail)
        return "failed"


def pause_channel(session: Session, channel: Channel, message: str) -> None:
    """Stop posting to ``channel`` until a senior leader reconnects it (its "Test connection" lifts this)."""
    if channel.paused_reason != message:
        channel.paused_reason = message[:2000]
        audit.record(session, None, "channel.paused", channel, kind=channel.kind.value, account=channel.display_name)


def _settle(session: Session, publication: Publication, post: Post, state: PublicationState, message: str,
            **detail: str) -> str:
    publication.state, publication.claimed_until, publication.last_error = state, None, message[:500]
    audit.record(session, None, f"publication.{state.value}", post, **_about(session, publication),
                 **{k: v for k, v in detail.items() if v})
    return state.value


def renew(rt: Runtime, publication_id: int) -> bool:
    """Push a sending publication's lease to now + LEASE (see ``lease.LeaseKeeper``)."""
    with transaction(rt.sessions) as session:
        renewed = session.execute(
            update(Publication).where(Publication.id == publication_id, Publication.state == SENDING)
            .values(claimed_until=rt.clock() + LEASE).execution_options(synchronize_session=False)
        )
    return renewed.rowcount == 1


def _changed(channel: Channel, before: bytes | None) -> bytes | None:
    """Bluesky's renewed session, sealed onto the (detached) channel while it sent, to be stored."""
    return channel.secret if channel.secret != before else None


def _keep_secret(session: Session, publication: Publication, secret: bytes | None) -> None:
    channel = _channel(session, publication)
    if secret is not None and channel.active:  # never bring back a secret a disconnect wiped
        channel.secret = secret


def _about(session: Session, publication: Publication) -> dict[str, object]:
    return {"publication": publication.id, "kind": ChannelKind(_channel(session, publication).kind).value}


def _get(session: Session, publication_id: int) -> Publication:
    return required(session, Publication, publication_id, f"publication {publication_id}")


def _post(session: Session, publication: Publication) -> Post:
    return required(session, Post, publication.post_id, f"the post of publication {publication.id}")


def _channel(session: Session, publication: Publication) -> Channel:
    return required(session, Channel, publication.channel_id, f"the channel of publication {publication.id}")

