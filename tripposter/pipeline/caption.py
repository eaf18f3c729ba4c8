"""A post's words as they will be published, checked against every rule at once.

The rules live beside this module, one concern each: ``length`` (the final text and X's count),
``name_guard`` and ``names`` (no pupil named, however written), ``text_rules`` (mentions,
text-speak, offensive words, links). ``check_caption`` runs them all on the final text (the caption
with the school's and the trip's hashtags appended) and on each photo's alt text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .consent import PupilConsent
from .errors import Problem
from .length import MAX_WEIGHTED_LENGTH, length_problems, weighted_length, with_hashtags
from .length import required_hashtags as _required_hashtags
from .name_guard import OutgoingText, guard
from .names import RosterName
from .text_rules import DEFAULT_TEXT_SPEAK, language_problems, link_warnings, mention_problems

__all__ = [
    "MAX_WEIGHTED_LENGTH", "AltText", "CaptionResult", "CaptionRules", "RosterName", "check_caption", "final_text",
    "language_problems", "length_problems", "link_warnings", "mention_problems", "name_problems",
    "required_hashtags", "weighted_length",
]


@dataclass(frozen=True)
class CaptionRules:
    """The school's and the trip's caption settings, as plain values."""

    school_hashtags: tuple[str, ...] = ()
    trip_hashtags: tuple[str, ...] = ()
    first_names_allowed: bool = False
    allowed_handles: tuple[str, ...] = ()
    banned_words: tuple[str, ...] = DEFAULT_TEXT_SPEAK
    # Words the school has accepted despite the offensive-word list (e.g. "organ", "virgin").
    allowed_words: tuple[str, ...] = ()
    # The post goes to the main destination (X, or the outbox standing in for it), so X's 280 applies.
    # False for a trip that posts only to other networks: each of those counts its own length.
    x_length: bool = True


@dataclass(frozen=True)
class AltText:
    """One photo's description, with the pupils tagged in that photo."""

    text: str
    tagged: tuple[PupilConsent, ...] = ()


@dataclass(frozen=True)
class CaptionResult:
    """The exact text to post, its weighted length, blocking problems and advisory warnings."""

    text: str
    weighted_length: int
    problems: tuple[Problem, ...]
    warnings: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_caption(
    caption: str,
    rules: CaptionRules,
    roster: Iterable[RosterName],
    tagged: Iterable[PupilConsent],
    alt_texts: Sequence[AltText] = (),
) -> CaptionResult:
    """Check a caption (and the photos' alt texts) against every rule at once; build the text to post."""
    text = final_text(caption, rules)
    length = weighted_length(text)
    fields = [OutgoingText("The caption", text, tuple(tagged)), *alt_fields(alt_texts)]
    names = guard(fields, roster, first_names_allowed=rules.first_names_allowed)
    problems = (length_problems(length) if rules.x_length else []) + list(names.problems)
    problems += mention_problems(caption, rules.allowed_handles)
    problems += language_problems(caption, rules.banned_words, rules.allowed_words)
    for alt in alt_texts:
        problems += language_problems(alt.text, rules.banned_words, rules.allowed_words)
    warnings = [*link_warnings(caption), *names.warnings]
    return CaptionResult(text, length, tuple(_unique(problems)), tuple(warnings))


def alt_fields(alt_texts: Sequence[AltText]) -> list[OutgoingText]:
    """Each alt text as a field the name guard checks, labelled so the teacher knows which photo."""
    if len(alt_texts) == 1:
        return [OutgoingText("The photo's description (alt text)", alt_texts[0].text, alt_texts[0].tagged)]
    return [
        OutgoingText(f"Photo {number}'s description (alt text)", alt.text, alt.tagged)
        for number, alt in enumerate(alt_texts, start=1)
    ]


def required_hashtags(rules: CaptionRules) -> tuple[str, ...]:
    """The school's then the trip's hashtags, each with one '#', without case-insensitive repeats."""
    return _required_hashtags(rules.school_hashtags, rules.trip_hashtags)


def final_text(caption: str, rules: CaptionRules) -> str:
    """The caption with each required hashtag it lacks appended: exactly what gets posted."""
    return with_hashtags(caption, required_hashtags(rules))


def name_problems(
    caption: str, roster: Iterable[RosterName], tagged: Iterable[PupilConsent], *, first_names_allowed: bool
) -> list[Problem]:
    """Every pupil's name in a caption that may not be posted (the name guard on one field)."""
    field = OutgoingText("The caption", caption, tuple(tagged))
    return list(guard([field], roster, first_names_allowed=first_names_allowed).problems)


def _unique(problems: list[Problem]) -> list[Problem]:
    return list({p.message: p for p in problems}.values())
