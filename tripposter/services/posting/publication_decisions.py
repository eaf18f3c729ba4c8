"""A senior leader settles a post's copy on a connected network that the app cannot settle itself.

Two kinds wait on the decisions page, beside the posts X cannot account for:

- *unknown* copies recovery gave up on (``needs_decision_at``: the network cannot tell, or its
  account was disconnected): "It went out" (with the link, if the leader pastes one), "Send it
  again" (only while the photos exist), or "Do not send";
- *refused* copies (``failed``) of posts that went out in the last ``REFUSED_SHOWN_FOR``: "Send it
  again" while the photos exist (say, after fixing the account), or "Do not send" to clear it.

Every decision is a compare-and-set from the state the page showed, so a worker that settles the
copy at the same moment wins and the leader is told. "Send it again" keeps the copy's attempt
identity (see ``publications``): Bluesky's record key and Mastodon's Idempotency-Key stay the same,
so a copy that did arrive after all is found or handed back, not posted twice. The decision that
settles a post's last copy destroys its photos, exactly as a worker's settle does.
Runs in the caller's transaction, like ``recovery.resolve_unknown``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ...db import compare_and_set
from ...models import Channel, ChannelKind, PhotoState, Post, PostState, Publication, PublicationState, Trip, User
from ...runtime import Runtime
from ..audit import events as audit
from ..errors import ServiceError
from .publishing import destroy_settled_photos

NetworkDecision = Literal["posted", "resend", "cancel"]
UNKNOWN, FAILED = PublicationState.UNKNOWN, PublicationState.FAILED
# A refused copy stays on the page this long after its post went out, then only the records keep it.
REFUSED_SHOWN_FOR = timedelta(days=7)
NOT_WAITING = "That post is not waiting for a decision any more."
HOSTS = {
    ChannelKind.BLUESKY: frozenset({"bsky.app"}),
    ChannelKind.FACEBOOK: frozenset({"facebook.com", "www.facebook.com", "m.facebook.com", "web.facebook.com"}),
}
# What "Send it again" does on each network if the first copy did arrive after all.
RESEND_SAFETY = {
    ChannelKind.BLUESKY: "Sending it again is safe: Bluesky will not take a second copy of the same post.",
    ChannelKind.MASTODON: "Mastodon refuses a second copy only for about an hour after the first try. "
    "After that, look at the account first: if the post is there, choose \u201cIt went out\u201d, "
    "or it will appear twice.",
    ChannelKind.FACEBOOK: "Facebook cannot spot a second copy. Look at the Page first: if the post is there, "
    "choose \u201cIt went out\u201d, or it will appear twice.",
}


@dataclass(frozen=True)
class WaitingCopy:
    """One network copy on the decisions page, with what the leader may do about it."""

    publication: Publication
    post: Post
    trip: Trip | None
    kind: ChannelKind
    account: str  # the account's name as the network gave it
    why: str
    can_resend: bool
    resend_note: str  # why it cannot be sent again, or what sending again does on this network

    @property
    def refused(self) -> bool:
        return self.publication.state is FAILED


def waiting_copies(session: Session, now: datetime) -> list[WaitingCopy]:
    """Network copies a senior leader should decide: unknown ones recovery gave up on, then recent refusals."""
    asked = (Publication.state == UNKNOWN) & Publication.needs_decision_at.is_not(None)
    refused = (Publication.state == FAILED) & (Post.published_at >= now - REFUSED_SHOWN_FOR)
    query = (select(Publication, Post, Channel).join(Post, Post.id == Publication.post_id)
             .join(Channel, Channel.id == Publication.channel_id).where(or_(asked, refused))
             .order_by(Post.created_at, Publication.id))
    copies = [_copy(session, publication, post, channel) for publication, post, channel in session.execute(query).all()]
    return sorted(copies, key=lambda copy: copy.refused)  # the unknown ones first: only a person can settle them


def _copy(session: Session, publication: Publication, post: Post, channel: Channel) -> WaitingCopy:
    kind = ChannelKind(channel.kind)
    blocked = resend_blocker(post, channel)
    why = publication.last_error or ("The network refused it." if publication.state is FAILED else "")
    return WaitingCopy(publication, post, session.get(Trip, post.trip_id), kind, channel.display_name, why,
                       not blocked, blocked or RESEND_SAFETY[kind])


def resend_blocker(post: Post, channel: Channel) -> str:
    """Why this copy can no longer be sent again; "" if it can."""
    network = ChannelKind(channel.kind).label
    if any(photo.state is PhotoState.DESTROYED or not (photo.spool_name and photo.wrapped_key) for photo in post.photos):
        return (f"It can no longer be sent to {network}: its photos were destroyed (the other networks were "
                "settled, or the photos reached the school's time limit). Post new photos if it still matters.")
    if not channel.active:
        return f"It cannot be sent again: the {network} account it was meant for has been disconnected."
    return ""


def decide_copy(rt: Runtime, session: Session, actor: User, publication_id: int, decision: NetworkDecision,
                url: str = "") -> Publication:
    """Settle (or send again) one network copy as a senior leader decided, and destroy the photos if it was the last.

    Raises:
        ServiceError: the copy is not waiting for a decision (a worker settled it first), the link is
            not one on that network, or it cannot be sent again (its photos are gone, the account is disconnected).
    """
    publication = session.get(Publication, publication_id)
    if publication is None or publication.state not in (UNKNOWN, FAILED):
        raise ServiceError(NOT_WAITING)
    post, channel = session.get(Post, publication.post_id), session.get(Channel, publication.channel_id)
    assert post is not None and channel is not None
    expected, now = publication.state, rt.clock()
    values: dict[str, object] = {"decision": decision, "decided_by": actor.id, "decided_at": now,
                                 "needs_decision_at": None, "claimed_until": None}
    if decision == "posted":
        if expected is FAILED:
            raise ServiceError("The network refused this post, so it did not go out there. Send it again or choose "
                               "\u201cDo not send\u201d.")
        values |= {"state": PublicationState.PUBLISHED, "url": post_link(channel, url), "published_at": now,
                   "last_error": ""}
    elif decision == "resend":
        if blocked := resend_blocker(post, channel):
            raise ServiceError(blocked)
        # The same attempt identity: a copy that did arrive is found by it, not posted twice.
        values |= {"state": PublicationState.PENDING, "next_try_at": now, "last_error": ""}
    else:
        values |= {"state": PublicationState.CANCELLED}
        if expected is UNKNOWN:
            values["last_error"] = ""  # "cannot tell" no longer explains anything; a refusal's reason stays
    if not _move(session, publication, expected, needs_asked=expected is UNKNOWN, **values):
        raise ServiceError(NOT_WAITING)
    link = {"url": publication.url} if decision == "posted" and publication.url else {}
    audit.record(session, actor, "publication.decided", post, publication=publication.id,
                 kind=ChannelKind(channel.kind).value, decision=decision, **link)
    if publication.state.settled and post.state is PostState.PUBLISHED:
        destroy_settled_photos(session, rt, post)  # the last copy settled: the photos go, as after a worker's settle
    return publication


def post_link(channel: Channel, url: str) -> str | None:
    """The leader's pasted link, checked to be a post's address on this channel's network; None if left empty.

    Raises:
        ServiceError: it is not an https address on that network.
    """
    url = url.strip()
    if not url:
        return None
    kind = ChannelKind(channel.kind)
    hosts = HOSTS.get(kind) or frozenset({(urlsplit(str(channel.settings.get("instance", ""))).hostname or "")})
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    example = {ChannelKind.BLUESKY: "https://bsky.app/profile/\u2026/post/\u2026",
               ChannelKind.FACEBOOK: "https://www.facebook.com/\u2026"}.get(kind, f"https://{min(hosts)}/@\u2026/\u2026")
    if (len(url) > 500 or parts.scheme != "https" or host not in hosts or parts.username or parts.password
            or not parts.path.strip("/")):
        raise ServiceError(f"That is not a link to a post on {kind.label}. Open the post there and copy its "
                           f"address (it starts {example}), or leave the box empty.")
    return url


def _move(session: Session, publication: Publication, expected: PublicationState, *, needs_asked: bool,
          **values: object) -> bool:
    """Compare-and-set from the state the page showed (an unknown one only while it still waits for a person)."""
    still = [Publication.state == expected]
    if needs_asked:
        still.append(Publication.needs_decision_at.is_not(None))
    return compare_and_set(session, publication, *still, **values)
