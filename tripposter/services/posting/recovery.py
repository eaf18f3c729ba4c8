"""After a crash: settle posts whose outcome is unknown, finish destructions, clear the spool.

A post is *unknown* when it was sent (or may have been) but its remote id was never recorded.
It is reconciled by asking the publisher for the post *this attempt* made: the attempt's id (the
outbox stores it), or its start time, photo count and the ids other posts own (X). Text alone is
never enough: every photo-only post of a trip has the same text. When the publisher cannot tell
(X's lower API tiers cannot read the timeline, or more than one post fits), a senior leader decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...db import compare_and_set, transaction
from ...models import Fate, PhotoState, Post, PostState, User
from ...publishers import base as pub
from ...runtime import Runtime
from ..audit import events as audit
from ..deletion.destruction import Reconciled, destroy_photo, finish_destructions, reconcile_spool
from ..deletion.outbox import OutboxSettled, settle_outbox
from ..errors import ServiceError
from ..networks import x_account
from ..networks.budget import charge
from .attempts import SAME_TEXT_DUPLICATE, attempt_of
from .publication_recovery import recover_publications
from .publications import unsettled
from .publishing import destroy_post_photos, get_post, record_published

Decision = Literal["posted", "resend", "cancel"]
NEEDS_HUMAN = "X cannot tell us whether this post went out. A senior leader must check the account and decide."
UNSETTLED = (PostState.UNKNOWN, PostState.PUBLISHING)


@dataclass
class RecoveryReport:
    stale: int = 0
    reconciled: dict[str, int] = field(default_factory=dict)
    spool: Reconciled | None = None
    outbox: OutboxSettled | None = None
    channels: dict[str, int] = field(default_factory=dict)


def recover(rt: Runtime, *, spool: bool = False) -> RecoveryReport:
    """Turn interrupted publishes into unknown posts and try to settle every unknown post."""
    report = RecoveryReport()
    now = rt.clock()
    with transaction(rt.sessions) as session:
        stale = session.scalars(
            select(Post).where(Post.state == PostState.PUBLISHING, Post.claimed_until < now)
        ).all()
        for post in stale:
            # Conditional, like every transition away from a state another process may also be
            # leaving: a slow worker may record its post between our read and this write.
            if _move(session, post, PostState.PUBLISHING, state=PostState.UNKNOWN, maybe_posted=True, claimed_until=None):
                audit.record(session, None, "post.unknown", post, error="interrupted")
                report.stale += 1
        finish_destructions(session, rt.spool, now)
        unknown = list(session.scalars(select(Post.id).where(Post.state == PostState.UNKNOWN)))
    for post_id in unknown:
        outcome = reconcile_unknown(rt, post_id)
        report.reconciled[outcome] = report.reconciled.get(outcome, 0) + 1
    report.channels = recover_publications(rt)
    if any(report.channels.get(settled) for settled in ("published", "expired", "cancelled")):
        with transaction(rt.sessions) as session:  # those posts may now be settled everywhere
            finish_destructions(session, rt.spool, rt.clock())
    if spool:
        with transaction(rt.sessions) as session:
            report.spool = reconcile_spool(session, rt.spool, rt.clock())
            report.outbox = settle_outbox(session, rt, rt.clock())
    return report


def reconcile_unknown(rt: Runtime, post_id: int) -> str:
    """Ask the publisher whether an unknown post went out, and settle it if it can say."""
    with rt.sessions() as session:
        post = session.get(Post, post_id)
        if post is None or post.state is not PostState.UNKNOWN:
            return "settled"
        attempt = attempt_of(session, post)
        if attempt is None:  # no identity to look for (or X's evidence was ambiguous): a person decides
            return _needs_human(rt, post_id)
        try:
            found = rt.publisher_for(session).find_recent(post.text, attempt)
        except pub.CannotTellError as exc:
            return _needs_human(rt, post_id, exc.user_message if isinstance(exc, pub.AmbiguousError) else "")
        except (pub.PausedError, pub.NeedsReconnectError) as exc:
            with transaction(rt.sessions) as paused:
                x_account.pause(paused, exc.user_message)  # no more asking until a person acts
            return "later"
        except pub.PublishError:
            return "later"  # X is down or refusing: try again on the next round
        if found is not None and _twin_unsettled(session, post):
            # Another unsettled post with the same text and photos could own what was found.
            return _needs_human(rt, post_id)
    if found is not None:
        record_published(rt, post_id, found.remote_id, found.url)
        destroy_post_photos(rt, post_id)
        return "published"
    with transaction(rt.sessions) as session:
        post = get_post(session, post_id)
        # Not on the account: it never went out, so sending it is the first time, not the second.
        # Only if it is still unknown: another worker may have settled, requeued and sent it already.
        if not _move(session, post, PostState.UNKNOWN, state=PostState.QUEUED, scheduled_for=rt.clock()):
            return "settled"
        audit.record(session, None, "post.requeued", post, reason="not found on the account")
    return "requeued"


def _move(session: Session, post: Post, expected: PostState, **values: object) -> bool:
    """Change ``post`` only if it is still in state ``expected`` (compare-and-set); say whether it was."""
    return compare_and_set(session, post, Post.state == expected, **values)


def _twin_unsettled(session: Session, post: Post) -> bool:
    """Another post whose outcome is open has this text and as many photos: a match could be its."""
    query = select(Post).where(Post.id != post.id, Post.text == post.text, Post.state.in_(UNSETTLED))
    return any(len(other.photos) == len(post.photos) for other in session.scalars(query))


def _needs_human(rt: Runtime, post_id: int, why: str = "") -> str:
    message = NEEDS_HUMAN if not why or why == NEEDS_HUMAN else f"{why} A senior leader must decide."
    with transaction(rt.sessions) as session:
        post = get_post(session, post_id)
        if post.last_error == SAME_TEXT_DUPLICATE and not why:
            return "needs-human"  # the more precise reason stays on show
        if post.last_error != message:
            post.last_error = message
            audit.record(session, None, "post.needs_decision", post)
    return "needs-human"


def unknown_posts(session: Session) -> list[Post]:
    """Posts a senior leader must decide: outcome unknown, or held because their author was disabled."""
    waiting = Post.state.in_([PostState.UNKNOWN, PostState.HELD])
    return list(session.scalars(select(Post).where(waiting).order_by(Post.created_at)))


def resolve_unknown(rt: Runtime, session: Session, actor: User, public_id: str, decision: Decision) -> Post:
    """A senior leader settles an unknown post after looking at the account.

    "resend" queues it again; X's refusal of a duplicate will then count as proof it had gone out.

    Raises:
        ServiceError: the post is not waiting for a decision.
    """
    post = session.scalars(select(Post).where(Post.public_id == public_id)).first()
    now = rt.clock()
    # A worker may settle the post from X's timeline while the leader looks at it.
    state = {"posted": PostState.PUBLISHED, "resend": PostState.QUEUED, "cancel": PostState.CANCELLED}[decision]
    held = post is not None and post.state is PostState.HELD
    if held and decision == "posted":
        raise ServiceError("That post was held before it was sent, so it cannot have been posted. Send it or cancel it.")
    if post is None or not _move(session, post, post.state if held else PostState.UNKNOWN, state=state, last_error=""):
        raise ServiceError("That post is not waiting for a decision any more.")
    if decision == "posted":
        post.published_at = now
        charge(post, rt.settings)  # it went out on X, so X charged for it
        keep = unsettled(session, post.id)  # connected channels still to get it: the tick sends, then destroys
        for photo in post.photos:
            photo.state = PhotoState.PUBLISHED
            if not keep:
                destroy_photo(session, rt.spool, photo, Fate.POSTED, now, reason="confirmed posted by a senior leader")
    elif decision == "resend":
        post.scheduled_for = now
        if held:
            post.released_by = actor.id  # sent on a senior leader's word, though its author is disabled
    else:
        post.text = ""
        for photo in post.photos:
            photo.state = PhotoState.CANCELLED
            destroy_photo(session, rt.spool, photo, Fate.CANCELLED, now, reason="cancelled by a senior leader")
    audit.record(session, actor, "post.decided", post, decision=decision)
    return post
