"""The name guard once more just before publishing (hashtags are checked when saved: ``school.hashtags``).

``recheck_before_publish`` runs the guard once more, with consent and school settings as they
are now, over everything the publisher will send: the post's text, each photo's alt text and the
hashtags. A post that now names a pupil is held: nothing is published, the photos go back to the
teacher, and the post's ``error`` (which the phone shows) says why.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ...models import Post, PostState, SchoolSettings, Trip
from ...pipeline.caption import AltText, alt_fields
from ...pipeline.errors import Problem
from ...pipeline.name_guard import OutgoingText, guard
from ..audit import events as audit
from ..school.rules import pupil_consents, roster_names
from ..school.settings import get_school
from .posts import release_photos

HELD = "held"


def recheck_before_publish(session: Session, post: Post) -> list[Problem]:
    """Every name problem in what the publisher would send for ``post``, under today's consent and settings."""
    trip = session.get(Trip, post.trip_id)
    if trip is None:
        return []
    school = get_school(session)
    consents = {p.pupil_id: p for p in pupil_consents(trip)}
    photos = list(post.photos)
    tagged_in = [tuple(consents[i] for i in photo.tagged if i in consents) for photo in photos]
    everyone = tuple({p.pupil_id: p for group in tagged_in for p in group}.values())
    fields = [
        OutgoingText("The caption", post.text, everyone),
        *alt_fields([AltText(photo.alt_text, tags) for photo, tags in zip(photos, tagged_in, strict=True)]),
        *_hashtag_fields(school, trip),
    ]
    people = roster_names(session, school)
    return list(guard(fields, people, first_names_allowed=school.first_names_allowed).problems)


def hold_if_named(session: Session, post: Post, now: datetime) -> str | None:
    """Hold a claimed post whose words now name a pupil; returns "held", or None if it may go."""
    problems = recheck_before_publish(session, post)
    if not problems:
        return None
    # The rules broken, by code: never the messages, which quote the names.
    audit.record(session, None, "checks.failed", post, rules=sorted({p.rule for p in problems}),
                 photos=len(post.photos), stage="before publishing")
    post.state, post.text, post.claimed_until = PostState.FAILED, "", None
    post.last_error = ("Held, nothing was posted: " + " ".join(p.message for p in problems))[:500]
    release_photos(post)
    audit.record(session, None, "post.failed", post, error=HELD)
    return HELD


def _hashtag_fields(school: SchoolSettings, trip: Trip) -> list[OutgoingText]:
    tags = [("school", t) for t in SchoolSettings.split_words(school.required_hashtags)]
    tags += [("trip", t) for t in SchoolSettings.split_words(trip.hashtags)]
    return [OutgoingText(f"The {whose} hashtag {tag}", tag, every_post=True) for whose, tag in tags]
