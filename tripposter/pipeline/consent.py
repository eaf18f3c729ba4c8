"""Photo consent: who may be seen in a photo, and which faces must be blurred.

The check is pure, so the publisher runs it a second time with fresh consent data just
before posting: consent withdrawn after upload blocks the post as surely as at upload.

Faces are numbered in messages from 1 (``face_index + 1``), as the preview labels them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .errors import Problem


@dataclass(frozen=True)
class PupilConsent:
    """A pupil on the trip and their parents' answers; the caller maps "no record" to False."""

    pupil_id: int
    first_name: str
    last_name: str
    photo_consent: bool
    first_name_consent: bool

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class FaceDecision:
    """The teacher's call on one detected face: whose it is, or ``pupil_id=None`` to blur it."""

    face_index: int
    pupil_id: int | None


@dataclass(frozen=True)
class ConsentResult:
    """Every consent problem at once, and the faces that must be blurred before posting."""

    problems: tuple[Problem, ...]
    blur: frozenset[int]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_consent(
    trip_pupils: Iterable[PupilConsent],
    tagged: Iterable[int],
    faces: Sequence[FaceDecision],
    *,
    face_count: int | None = None,
    allow_blurred_without_consent: bool = False,
) -> ConsentResult:
    """Check the tags and face decisions of one photo against the pupils' current consent.

    ``face_count`` is how many faces were detected; faces without a decision are blurred.
    When it is None, the decisions are taken to cover every face.
    """
    pupils = {p.pupil_id: p for p in trip_pupils}
    tagged_ids = list(dict.fromkeys(tagged))
    shown = _shown_pupils(faces, pupils)
    blur = _faces_to_blur(faces, pupils, set(tagged_ids), face_count)
    # Faces blurred with nobody's name on them: each can hide one pupil without consent.
    anonymous = len(blur - {f.face_index for f in faces if f.pupil_id is not None})
    problems = _face_problems(faces, pupils, set(tagged_ids), shown, face_count)
    problems += _pupil_problems(tagged_ids, pupils, shown, anonymous, allow_blurred_without_consent)
    return ConsentResult(problems=tuple(problems), blur=blur)


def _faces_to_blur(
    faces: Sequence[FaceDecision], pupils: dict[int, PupilConsent], tagged: set[int], face_count: int | None
) -> frozenset[int]:
    """Every face except those with one clear decision naming a tagged pupil who has consent."""
    indexes = set(range(face_count)) if face_count is not None else set()
    indexes |= {f.face_index for f in faces if f.face_index >= 0}
    repeats = Counter(f.face_index for f in faces)
    visible = {
        f.face_index
        for f in faces
        if repeats[f.face_index] == 1
        and f.pupil_id in tagged
        and f.pupil_id in pupils
        and pupils[f.pupil_id].photo_consent
    }
    return frozenset(indexes - visible)


def _shown_pupils(faces: Sequence[FaceDecision], pupils: dict[int, PupilConsent]) -> dict[int, list[int]]:
    """Face indexes assigned to each known pupil."""
    shown: dict[int, list[int]] = {}
    for face in faces:
        if face.pupil_id is not None and face.pupil_id in pupils:
            shown.setdefault(face.pupil_id, []).append(face.face_index)
    return shown


def _face_problems(
    faces: Sequence[FaceDecision],
    pupils: dict[int, PupilConsent],
    tagged: set[int],
    shown: dict[int, list[int]],
    face_count: int | None,
) -> list[Problem]:
    """Decisions that do not make sense: unknown faces, unknown or untagged pupils, doubles."""
    problems: list[Problem] = []
    repeats = Counter(f.face_index for f in faces)
    for index in sorted(i for i, n in repeats.items() if n > 1):
        problems.append(
            Problem(
                "face_conflict",
                f"Face {index + 1} has more than one decision. Choose one pupil for it, or blur it.",
            )
        )
    for pupil_id, indexes in shown.items():
        if len(set(indexes)) > 1:
            problems.append(
                Problem(
                    "face_twice",
                    f"Faces {_numbers(indexes)} are marked as {pupils[pupil_id].full_name}. "
                    "Keep the right one and blur or reassign the others.",
                )
            )
    for face in faces:
        if face.face_index < 0 or (face_count is not None and face.face_index >= face_count):
            problems.append(
                Problem(
                    "face_unknown",
                    "A face decision refers to a face that is not in this photo. Check the faces again.",
                )
            )
        elif face.pupil_id is None:
            continue
        elif face.pupil_id not in pupils:
            problems.append(
                Problem(
                    "face_unknown_pupil",
                    f"Face {face.face_index + 1} is assigned to a pupil who is not on this trip. "
                    "Choose a pupil from this trip, or blur the face.",
                )
            )
        elif face.pupil_id not in tagged:
            first = pupils[face.pupil_id].first_name
            problems.append(
                Problem(
                    "face_not_tagged",
                    f"Face {face.face_index + 1} is assigned to {pupils[face.pupil_id].full_name}, "
                    f"who is not tagged in this photo. Tag {first}, or blur the face.",
                )
            )
    return problems


def _pupil_problems(
    tagged: list[int],
    pupils: dict[int, PupilConsent],
    shown: dict[int, list[int]],
    anonymous: int,
    allow_blurred: bool,
) -> list[Problem]:
    """One problem per pupil in the photo whose consent forbids how they appear."""
    problems: list[Problem] = []
    if any(pupil_id not in pupils for pupil_id in tagged):
        problems.append(
            Problem(
                "unknown_pupil",
                "A pupil tagged in this photo is not on this trip. Remove the tag, "
                "or ask the office to add the pupil to the trip.",
            )
        )
    for pupil_id in list(dict.fromkeys([*tagged, *shown])):
        pupil = pupils.get(pupil_id)
        if pupil is None or pupil.photo_consent:
            continue
        problems.extend(_no_consent_problem(pupil, shown.get(pupil_id, []), allow_blurred))
    problems.extend(_not_enough_blurred(tagged, pupils, shown, anonymous, allow_blurred))
    return problems


def _no_consent_problem(pupil: PupilConsent, faces: list[int], allow_blurred: bool) -> list[Problem]:
    """The block for one pupil without photo consent, if their appearance is not allowed."""
    name, first = pupil.full_name, pupil.first_name
    if faces:
        which = f"face {_numbers(faces)} is" if len(set(faces)) == 1 else f"faces {_numbers(faces)} are"
        # Assigning a face to them means showing it: never allowed, whatever the setting.
        return [
            Problem(
                "no_consent",
                f"{name}'s parents have not given photo consent, but {which} marked as {first}. "
                f"Blur {first}'s face or retake the photo.",
            )
        ]
    if allow_blurred:
        return []
    return [
        Problem(
            "no_consent",
            f"{name}'s parents have not given photo consent, and the school does not post photos "
            f"of pupils without it, even blurred. Retake the photo without {first}.",
        )
    ]


def _not_enough_blurred(
    tagged: list[int],
    pupils: dict[int, PupilConsent],
    shown: dict[int, list[int]],
    anonymous: int,
    allow_blurred: bool,
) -> list[Problem]:
    """With the blur setting on, each unconsented pupil needs a face of their own marked to blur.

    Why: a face the detector missed is not blurred, so a tagged pupil without consent and
    no blurred face to be theirs could be posted clearly visible.
    """
    if not allow_blurred:
        return []
    hidden = [pupils[i] for i in tagged if i in pupils and not pupils[i].photo_consent and i not in shown]
    if len(hidden) <= anonymous:
        return []
    names = _and([p.full_name for p in hidden])
    have, faces = ("has", "face") if len(hidden) == 1 else ("have", "faces")
    return [
        Problem(
            "blur_missing",
            f"{names} {have} no photo consent and may appear only blurred, but not enough faces are "
            f"marked to blur. Mark their {faces} to blur, or retake the photo without them.",
        )
    ]


def _numbers(indexes: Iterable[int]) -> str:
    """Face numbers as the teacher sees them: "2", "2 and 5", "1, 2 and 5"."""
    return _and([str(i + 1) for i in sorted(set(indexes))])


def _and(items: list[str]) -> str:
    """Join with commas and a final "and": "1, 2 and 5"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
