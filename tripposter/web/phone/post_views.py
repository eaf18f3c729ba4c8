"""What the posting pages show: the trip page's lists, each post's status, the face boxes.

Plain functions over a session, kept out of ``post.py`` so the views stay thin.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session
from wtforms import SelectChoice

from ...models import MAIN_NETWORK, Photo, PhotoState, Post, PostState, PublicationState, Pupil, Trip, User
from ...pipeline.caption import required_hashtags
from ...pipeline.window import describe
from ...services.deletion.channel_outcomes import leader_note
from ...services.networks.trip_networks import trip_destinations
from ...services.networks.x_account import daily_remaining, get_account
from ...services.posting import posts, recovery
from ...services.posting.publications import channel_copies
from ...services.school.rules import caption_rules, photo_consent
from ...services.school.settings import get_school, school_today
from ...services.school.trips import visible_trips
from .api_io import skipped_main
from .face_labels import Label, place_labels

BLUR_LABEL = "Nobody I'll name: blur this face"
NO_CONSENT = "(no photo consent: will be blurred)"

CHECKING = "Checking whether this went out"
# What each finished or stuck state means to the teacher, and what to do about it.
ADVICE = {
    PostState.QUEUED: "Waiting to go out.",
    PostState.PUBLISHING: "Being sent to X now.",
    PostState.FAILED: "Not posted. Its photos are back in your list: fix the problem and post them again.",
    PostState.WITHDRAWN: "Not posted: a parent withdrew photo consent before it went out. "
    "Its photos have been destroyed.",
    PostState.EXPIRED: "Not posted: it waited longer than the school keeps photos, so they were destroyed. "
    "Take new photos if you still want to post.",
    PostState.UNKNOWN: "We are checking whether this went out, so do not post it again. "
    "If the app cannot tell, a senior leader will check the school's account and decide.",
    PostState.HELD: "Held back: its author's account was disabled. A senior leader will decide whether it goes out.",
    PostState.CANCELLED: "Taken back. Nothing was posted.",
}
LABELS = {
    PostState.QUEUED: "Queued",
    PostState.SCHEDULED: "Scheduled",
    PostState.PUBLISHING: "Publishing",
    PostState.PUBLISHED: "Posted",
    PostState.FAILED: "Failed",
    PostState.WITHDRAWN: "Withdrawn",
    PostState.EXPIRED: "Expired",
    PostState.UNKNOWN: CHECKING,
    PostState.HELD: "Held for a senior leader",
    PostState.CANCELLED: "Taken back",
}


# Each connected network's copy, in a word, as the phone's status list says it (static/js/status.js).
CHANNEL_WORDS = {
    PublicationState.PENDING: "waiting to be posted",
    PublicationState.SENDING: "being posted now",
    PublicationState.PUBLISHED: "posted",
    PublicationState.UNKNOWN: "checking whether it went out",
    PublicationState.FAILED: "refused",
    PublicationState.EXPIRED: "not posted: the photos were destroyed first",
    PublicationState.CANCELLED: "not posted",
}


@dataclass(frozen=True)
class ChannelLine:
    """One network's copy of a post: "Mastodon: posted (recorded as posted by Ms Patel).", and its link."""

    text: str
    url: str | None


@dataclass(frozen=True)
class PostStatus:
    post: Post
    label: str
    detail: str
    problem: bool  # shown in the error colour: something did not go out as planned
    channels: tuple[ChannelLine, ...] = ()

    @property
    def can_cancel(self) -> bool:
        return self.post.state.waiting


@dataclass(frozen=True)
class FaceBox:
    number: int
    x: int
    y: int
    width: int
    height: int
    label: Label  # its number (and a named pupil's first name), placed clear of the other labels


def running_trips(session: Session, user: User, now: datetime | None = None) -> list[Trip]:
    """The trips ``user`` helps lead that are running today where the school is."""
    today = school_today(session, now)
    return [t for t in visible_trips(session, user) if t.is_led_by(user) and t.is_running_on(today)]


def ready_photos(session: Session, user: User, trip: Trip) -> list[Photo]:
    """The teacher's own photos of this trip, waiting for tags or a post."""
    query = select(Photo).where(Photo.trip_id == trip.id, Photo.uploader_id == user.id, Photo.state == PhotoState.READY)
    return list(session.scalars(query.order_by(Photo.created_at, Photo.id)))


def post_statuses(session: Session, user: User, trip: Trip, now: datetime) -> list[PostStatus]:
    """This teacher's posts from this trip, newest first, each with what it means."""
    query = select(Post).where(Post.trip_id == trip.id, Post.author_id == user.id)
    zone = get_school(session).timezone
    found = session.scalars(query.order_by(Post.created_at.desc(), Post.id.desc()))
    return [replace(_status(post, zone, now), channels=channel_lines(session, post)) for post in found]


def channel_lines(session: Session, post: Post) -> tuple[ChannelLine, ...]:
    """The post's copy on each connected network, in words, with what a senior leader decided for it."""
    lines = []
    for publication, kind in channel_copies(session, post.id):
        text = f"{kind.label}: {CHANNEL_WORDS[publication.state]}"
        if note := leader_note(session, publication):
            text += f" ({note})."
        elif publication.state is PublicationState.FAILED and publication.last_error:
            text += f". {publication.last_error}"  # the network's own reason, a sentence already
        else:
            text += "."
        lines.append(ChannelLine(text, publication.url))
    return tuple(lines)


def _status(post: Post, zone: str, now: datetime) -> PostStatus:
    if post.main_skipped and post.state is PostState.PUBLISHED:
        return _released_status(post)
    if post.state is PostState.SCHEDULED:
        detail = f"Will go out at {describe(post.scheduled_for, zone, now)}."
    elif post.state is PostState.PUBLISHED:
        detail = f"Posted at {describe(post.published_at, zone, now)}." if post.published_at else "Posted."
    else:
        detail = ADVICE[post.state]
    if post.last_error and post.state is not PostState.PUBLISHED and post.last_error != recovery.NEEDS_HUMAN:
        # Publishing's own explanation (X refused it, X is busy until..., the account needs reconnecting).
        detail = f"{post.last_error} {detail}"
    bad = post.state in (PostState.FAILED, PostState.WITHDRAWN, PostState.EXPIRED, PostState.UNKNOWN, PostState.HELD)
    if post.state is PostState.PUBLISHING and post.claimed_until is not None and post.claimed_until < now:
        # Its worker stopped renewing the lease: recovery is about to check, not to post.
        return PostStatus(post, CHECKING, ADVICE[PostState.UNKNOWN], True)
    return PostStatus(post, LABELS[post.state], detail, bad)


def _released_status(post: Post) -> PostStatus:
    """A post its trip keeps off the main destination: how it fared is how its networks fared."""
    copies = channel_copies(object_session(post), post.id)
    skipped = skipped_main(post) or ""
    posted = [kind.label for p, kind in copies if p.state is PublicationState.PUBLISHED]
    if posted:
        return PostStatus(post, "Posted", f"Posted to {', '.join(posted)}. {skipped}", False)
    if any(not p.state.settled for p, _ in copies):
        return PostStatus(post, "Posting", f"Going to the trip's networks now. {skipped}", False)
    return PostStatus(post, "Not posted", f"No network took it, so it was not posted anywhere. {skipped}", True)


def trip_page(session: Session, user: User, trip: Trip, now: datetime, publisher: str) -> dict[str, Any]:
    """Everything the trip's posting page shows besides its forms."""
    school = get_school(session)
    return {
        "trip": trip,
        "photos": ready_photos(session, user, trip),
        "statuses": post_statuses(session, user, trip, now),
        "hashtags": required_hashtags(caption_rules(school, trip)),
        "remaining": daily_remaining(get_account(session), now) if trip.posts_to(MAIN_NETWORK) else None,
        "networks": trip_destinations(session, publisher, trip),
    }


def face_choices(trip: Trip) -> list[SelectChoice]:
    """Blur first; pupils without photo consent are shown but cannot be chosen."""
    choices = [SelectChoice("", BLUR_LABEL)]
    choices += [SelectChoice(str(p.id), p.full_name) for p in trip.pupils if p.has_photo_consent]
    choices += [
        SelectChoice(str(p.id), f"{p.full_name} {NO_CONSENT}", render_kw={"disabled": True})
        for p in trip.pupils
        if not p.has_photo_consent
    ]
    return choices


def pupil_choices(trip: Trip) -> list[SelectChoice]:
    return [SelectChoice(str(p.id), p.full_name) for p in trip.pupils]


def pupils_by_id(trip: Trip) -> dict[int, Pupil]:
    return {p.id: p for p in trip.pupils}


def face_boxes(photo: Photo, pupils: dict[int, Pupil]) -> list[FaceBox]:
    """The detected faces, numbered from 1 as the consent messages number them.

    A named face's label carries the pupil's first name: this page is the teacher's alone.
    """
    rects = [(int(f["x"]), int(f["y"]), int(f["width"]), int(f["height"])) for f in photo.faces]
    names = [*photo.face_pupils, *[None] * len(rects)]
    texts = [f"{n} {pupils[p].first_name}" if p in pupils else str(n) for n, p in enumerate(names[: len(rects)], start=1)]
    labels = place_labels(rects, texts, max(28, photo.width // 16), (photo.width, photo.height))
    return [FaceBox(label.number, *rect, label=label) for rect, label in zip(rects, labels, strict=True)]


def consent_problems(session: Session, photo: Photo, trip: Trip) -> list[str]:
    """What would stop this photo being posted with its tags as they are now."""
    return [p.message for p in photo_consent(get_school(session), trip, photo).problems]


def alt_text_problems(session: Session, user: User, photo: Photo, trip: Trip, now: datetime) -> list[str]:
    """What the name guard (and the language rules) would refuse in this photo's alt text."""
    result = posts.check_caption_for(session, user, trip.id, "", [], [(photo.alt_text, photo.tagged)], now=now)
    return [p.message for p in result.problems if p.message.startswith("The photo's description")]


def when_text(session: Session, post: Post, now: datetime) -> str:
    """A post's scheduled time as the teacher reads it."""
    return describe(post.scheduled_for, get_school(session).timezone, now)


@dataclass(frozen=True)
class DecisionRow:
    post: Post
    trip: Trip | None
    created: str


def decision_rows(session: Session, now: datetime) -> list[DecisionRow]:
    """Posts whose outcome is unknown, each with its trip and when it was made."""
    zone = get_school(session).timezone
    return [
        DecisionRow(post, session.get(Trip, post.trip_id), describe(post.created_at, zone, now))
        for post in recovery.unknown_posts(session)
    ]
