"""Turn the school's and the trip's rows into the plain values the pipeline checks take."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import MAIN_NETWORK, Photo, Pupil, SchoolSettings, Trip, User
from ...pipeline.caption import CaptionRules, RosterName
from ...pipeline.consent import ConsentResult, FaceDecision, PupilConsent, check_consent
from ...pipeline.window import TripWindow, WeeklyHours


def pupil_consents(trip: Trip) -> list[PupilConsent]:
    """The trip's pupils with their consent as it stands now; no record means no."""
    return [
        PupilConsent(p.id, p.first_name, p.last_name, p.has_photo_consent, p.has_first_name_consent)
        for p in trip.pupils
    ]


def caption_rules(school: SchoolSettings, trip: Trip) -> CaptionRules:
    return CaptionRules(
        school_hashtags=tuple(SchoolSettings.split_words(school.required_hashtags)),
        trip_hashtags=tuple(SchoolSettings.split_words(trip.hashtags)),
        first_names_allowed=school.first_names_allowed,
        allowed_handles=tuple(SchoolSettings.split_words(school.allowed_handles)),
        banned_words=tuple(SchoolSettings.split_words(school.banned_words)),
        allowed_words=tuple(SchoolSettings.split_words(school.allowed_words)),
        x_length=trip.posts_to(MAIN_NETWORK),
    )


def roster_names(session: Session, school: SchoolSettings | None = None) -> list[RosterName]:
    """Every pupil on the school roster (no surname of any of them may be posted), and the staff's
    surnames when ``school`` says staff are never named either."""
    rows = session.execute(select(Pupil.id, Pupil.first_name, Pupil.last_name))
    names = [RosterName(pid, first, last) for pid, first, last in rows]
    if school is not None and school.guard_staff_surnames:
        staff = session.execute(select(User.id, User.display_name).where(User.is_active.is_(True)))
        # A display name's last word is the surname: "Jane Baker", "Mr Baker".
        names += [RosterName(-uid, "", shown.split()[-1], staff=True) for uid, shown in staff if len(shown.split()) > 1]
    return names


def weekly_hours(school: SchoolSettings) -> WeeklyHours:
    return {day: school.hours_for(day) for day in range(7)}


def trip_window(trip: Trip) -> TripWindow:
    return TripWindow(trip.start_date, trip.end_date, trip.posting_start, trip.posting_end)


def photo_consent(school: SchoolSettings, trip: Trip, photo: Photo) -> ConsentResult:
    """Check one photo's tags and face decisions against the consent recorded right now."""
    return check_consent(
        pupil_consents(trip),
        photo.tagged,
        face_decisions(photo.face_pupils),
        face_count=len(photo.faces),
        allow_blurred_without_consent=school.allow_blurred_without_consent,
    )


def face_decisions(face_pupils: Sequence[int | None]) -> list[FaceDecision]:
    return [FaceDecision(i, pupil) for i, pupil in enumerate(face_pupils)]
