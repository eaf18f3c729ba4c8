"""After a crash, and on every tick: settle channel publications whose outcome is open.

A publication found ``sending`` after its lease ran out becomes *unknown*; an unknown one is settled
by asking its channel for the post this publication's attempt made (``find_recent``: Bluesky reads
the record key made from the attempt, Mastodon and Facebook match their own recent posts). Found:
published. Not there: pending again, with the same attempt (see ``publications``). When the network
cannot tell (or its account was disconnected), the publication stays unknown, marked
``needs_decision_at`` with the reason in staff's words, and waits for a senior leader on the
decisions page (``publication_decisions``).
Publications of a post that never went out (failed, cancelled, withdrawn, expired) are cancelled.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...db import compare_and_set, transaction
from ...models import Channel, ChannelKind, Photo, PhotoState, Post, PostState, Publication, PublicationState
from ...publishers import base as pub
from ...runtime import Runtime
from ..audit import events as audit
from ..networks.channel_publishers import publisher_for_channel
from .publications import attempt_for, pause_channel, record_sent

NEVER_SENT = (PostState.FAILED, PostState.CANCELLED, PostState.WITHDRAWN, PostState.EXPIRED)
UNKNOWN, PENDING = PublicationState.UNKNOWN, PublicationState.PENDING
DISCONNECTED = ("The {network} account was disconnected before the app could check whether this post went out "
                "there. Look at the account if the school still has it, then decide.")
NO_IDENTITY = ("The app has no record of which try this was, so it cannot look for it on {network}. "
               "Look at the account, then decide.")


def recover_publications(rt: Runtime) -> dict[str, int]:
    """Stale sends become unknown, unknown ones are asked about, orphaned ones cancelled."""
    now = rt.clock()
    report: dict[str, int] = {}
    with transaction(rt.sessions) as session:
        report["stale"] = _stale_to_unknown(session, now)
        report["cancelled"] = _cancel_unsent(session)
        unknown = list(session.scalars(select(Publication.id).where(Publication.state == UNKNOWN)))
    for publication_id in unknown:
        outcome = reconcile_publication(rt, publication_id)
        report[outcome] = report.get(outcome, 0) + 1
    return report


def _stale_to_unknown(session: Session, now: datetime) -> int:
    stale = session.scalars(select(Publication).where(
        Publication.state == PublicationState.SENDING, Publication.claimed_until < now)).all()
    count = 0
    for publication in stale:
        # Conditional: a slow worker may record its publication between our read and this write.
        if _move(session, publication, PublicationState.SENDING, state=UNKNOWN, claimed_until=None,
                 needs_decision_at=None):
            audit.record(session, None, "publication.unknown", session.get(Post, publication.post_id),
                         publication=publication.id, error="interrupted")
            count += 1
    return count


def _cancel_unsent(session: Session) -> int:
    """The main post never went out, so neither does its copy on any channel."""
    query = select(Publication).join(Post, Post.id == Publication.post_id).where(
        Publication.state == PENDING, Post.state.in_(NEVER_SENT))
    count = 0
    for publication in session.scalars(query).all():
        if _move(session, publication, PENDING, state=PublicationState.CANCELLED,
                 last_error="The post did not go out, so it was not sent to this network either."):
            audit.record(session, None, "publication.cancelled", session.get(Post, publication.post_id),
                         publication=publication.id)
            count += 1
    return count


def reconcile_publication(rt: Runtime, publication_id: int) -> str:
    """Ask the channel whether an unknown publication went out, and settle it if it can say."""
    with rt.sessions() as session:
        publication = session.get(Publication, publication_id)
        if publication is None or publication.state is not UNKNOWN:
            return "settled"
        post, channel = session.get(Post, publication.post_id), session.get(Channel, publication.channel_id)
        assert post is not None and channel is not None
        attempt, network = attempt_for(session, publication, post), ChannelKind(channel.kind).label
        if not channel.active:
            return _needs_human(rt, publication_id, DISCONNECTED.format(network=network))
        if attempt is None:
            return _needs_human(rt, publication_id, NO_IDENTITY.format(network=network))
        if channel.paused_reason:
            return "later"  # asking again would be refused: a senior leader reconnects first
        try:
            publisher = publisher_for_channel(channel, rt.settings.token_key, rt.settings.practice_outbox_path)
            found = publisher.find_recent(post.text, attempt)
        except pub.CannotTellError as exc:
            return _needs_human(rt, publication_id, f"{exc.user_message} A senior leader must decide.")
        except (pub.PausedError, pub.NeedsReconnectError) as exc:
            with transaction(rt.sessions) as paused:
                pause_channel(paused, paused.get(Channel, channel.id) or channel, exc.user_message)
            return "later"
        except pub.PublishError:
            return "later"  # the network is down: try again on the next round
    if found is not None:
        # Only if still unknown: a senior leader may have decided it while the network was asked.
        settled = record_sent(rt, publication_id, found, evidence="found on the network", expected=UNKNOWN)
        return "published" if settled else "settled"
    with transaction(rt.sessions) as session:
        publication = session.get(Publication, publication_id)
        assert publication is not None
        photos = session.scalars(select(Photo).where(Photo.post_id == publication.post_id)).all()
        gone = any(photo.state is PhotoState.DESTROYED for photo in photos)
        # Not there: it never went out, so sending it is the first time. Without photos it cannot go.
        state = PublicationState.EXPIRED if gone else PENDING
        if not _move(session, publication, UNKNOWN, state=state, next_try_at=rt.clock(), needs_decision_at=None):
            return "settled"
        action = "publication.expired" if gone else "publication.requeued"
        audit.record(session, None, action, session.get(Post, publication.post_id), publication=publication.id,
                     reason="not found on the network")
    return "expired" if gone else "requeued"


def _needs_human(rt: Runtime, publication_id: int, message: str) -> str:
    """Mark an unknown publication as waiting for a senior leader, saying why; audited once per reason."""
    with transaction(rt.sessions) as session:
        publication = session.get(Publication, publication_id)
        if publication is None or (publication.last_error == message[:500] and publication.needs_decision_at):
            return "needs-human"
        # Conditional: a senior leader may decide it, or a worker settle it, between our read and this write.
        since = publication.needs_decision_at or rt.clock()
        if _move(session, publication, UNKNOWN, last_error=message[:500], needs_decision_at=since):
            audit.record(session, None, "publication.needs_decision", session.get(Post, publication.post_id),
                         publication=publication.id, kind=_kind(session, publication))
    return "needs-human"


def _kind(session: Session, publication: Publication) -> str:
    channel = session.get(Channel, publication.channel_id)
    return ChannelKind(channel.kind).value if channel is not None else ""


def _move(session: Session, publication: Publication, expected: PublicationState, **values: object) -> bool:
    """Change ``publication`` only if it is still ``expected`` (compare-and-set); say whether it was."""
    return compare_and_set(session, publication, Publication.state == expected, **values)

