"""Caption rules: length as X counts it, no pupils' names, no stray mentions, proper language.

Names are matched on whole words, ignoring case and accents, so "LEE'S", "lee," and "#Lee"
all match the surname Lee. We are strict on purpose: a roster surname is refused even when it
is an ordinary word ("Hill", "Brown"), and a roster first name is refused unless first names
are allowed, the pupil is tagged and has first-name consent, even when it is an ordinary word
("Will", "May"). The message then says the teacher may reword the sentence.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from better_profanity import Profanity
from twitter_text import extract_urls, parse_tweet

from .consent import PupilConsent
from .errors import Problem

MAX_WEIGHTED_LENGTH = 280
DEFAULT_TEXT_SPEAK = ("lol", "gr8", "l8r", "u", "pls", "plz", "thx", "ur", "omg", "btw")
# Parts of a multi-word surname too common to refuse alone; the whole surname is still refused.
_PARTICLES = frozenset("al ap bin da das de del della den der di dos du el ibn la le st ter van von".split())
_WORD = re.compile(r"(?:[^\W\d_]|[\u0300-\u036f])+")
# X's own rule: an @ preceded by a letter, digit or some symbols is not a mention (e.g. an email).
# \uff20 and \uff03 are the full-width @ and #, which X treats like the ASCII ones.
_MENTION = re.compile(r"(?<![A-Za-z0-9_!#$%&*@\uff20])[@\uff20]([A-Za-z0-9_]+)")
_HASHTAG = re.compile(r"(?<![\w&#\uff03])[#\uff03](\w+)")
# Stripped from the ends of a word before comparing it with the lists: quotes, dashes, brackets.
_EDGE_PUNCTUATION = "\"'.,;:!?()[]{}/#*\u2018\u2019\u201c\u201d\u00ab\u00bb\u2026-\u2013\u2014"


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


@dataclass(frozen=True)
class RosterName:
    """A pupil anywhere on the school roster, whose names must not be posted."""

    pupil_id: int
    first_name: str
    last_name: str


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
    caption: str, rules: CaptionRules, roster: Iterable[RosterName], tagged: Iterable[PupilConsent]
) -> CaptionResult:
    """Check a caption against every rule at once and build the text the publisher will post."""
    text = final_text(caption, rules)
    length = weighted_length(text)
    problems = length_problems(length)
    problems += name_problems(caption, roster, tagged, first_names_allowed=rules.first_names_allowed)
    problems += mention_problems(caption, rules.allowed_handles)
    problems += language_problems(caption, rules.banned_words, rules.allowed_words)
    return CaptionResult(text, length, tuple(problems), tuple(link_warnings(caption)))


def required_hashtags(rules: CaptionRules) -> tuple[str, ...]:
    """The school's then the trip's hashtags, each with one '#', without case-insensitive repeats."""
    tags: dict[str, str] = {}
    for raw in (*rules.school_hashtags, *rules.trip_hashtags):
        body = raw.strip().lstrip("#\uff03").strip()
        if body:
            tags.setdefault(body.casefold(), "#" + body)
    return tuple(tags.values())


def final_text(caption: str, rules: CaptionRules) -> str:
    """The caption with each required hashtag it lacks appended: exactly what gets posted."""
    body = caption.strip()
    present = {m.group(1).casefold() for m in _HASHTAG.finditer(body)}
    missing = [tag for tag in required_hashtags(rules) if tag[1:].casefold() not in present]
    if not missing:
        return body
    tail = " ".join(missing)
    return f"{body}\n\n{tail}" if body else tail


def weighted_length(text: str) -> int:
    """Length as X counts it: most emoji and CJK characters count two, every link 23."""
    return parse_tweet(text).weightedLength


def length_problems(length: int) -> list[Problem]:
    """A problem if the final post is longer than X allows."""
    if length <= MAX_WEIGHTED_LENGTH:
        return []
    over = length - MAX_WEIGHTED_LENGTH
    return [
        Problem(
            "length",
            f"With the school's hashtags added the post is {length} characters long, and X allows "
            f"{MAX_WEIGHTED_LENGTH}. Shorten the caption by {over} characters (emoji count as two).",
        )
    ]


def name_problems(
    caption: str,
    roster: Iterable[RosterName],
    tagged: Iterable[PupilConsent],
    *,
    first_names_allowed: bool,
) -> list[Problem]:
    """Every pupil's surname, full name or unpermitted first name found in the caption."""
    tagged = list(tagged)
    people = [*roster, *(RosterName(t.pupil_id, t.first_name, t.last_name) for t in tagged)]
    index = _name_index(people)
    longest = max((len(key) for key in index), default=0)
    words = _words(caption)
    problems: dict[str, Problem] = {}
    start = 0
    while start < len(words):
        for size in range(min(longest, len(words) - start), 0, -1):
            key = tuple(folded for folded, _ in words[start : start + size])
            if key in index:
                problem = _name_problem(key, index[key], tagged, first_names_allowed)
                if problem is not None:
                    problems.setdefault(problem.message, problem)
                start += size
                break
        else:
            start += 1
    return list(problems.values())


def mention_problems(caption: str, allowed_handles: Iterable[str]) -> list[Problem]:
    """Every @mention of an account the school has not allowed (case-insensitive)."""
    allowed = {h.strip().lstrip("@\uff20").casefold() for h in allowed_handles}
    found: dict[str, Problem] = {}
    for match in _MENTION.finditer(caption):
        handle = match.group(1)
        if handle.casefold() not in allowed:
            message = (
                f"The caption mentions @{handle}, which is not one of the school's allowed accounts. "
                "Remove the mention, or ask a senior leader to allow that account."
            )
            found.setdefault(handle.casefold(), Problem("mention", message))
    return list(found.values())


def language_problems(
    caption: str, banned_words: Iterable[str], allowed_words: Iterable[str] = ()
) -> list[Problem]:
    """Text-speak from the school's list, and words from the offensive-word list."""
    banned = {w.strip().casefold() for w in banned_words if w.strip()}
    allowed = {w.strip().casefold() for w in allowed_words}
    problems: dict[str, Problem] = {}
    kept: list[str] = []
    for token in caption.split():
        word = token.strip(_EDGE_PUNCTUATION)
        folded = word.casefold()
        if folded in allowed:
            continue
        if folded in banned:
            message = f'"{word}" is text-speak. Write it out in full: the school\'s posts use plain English.'
            problems.setdefault("t:" + folded, Problem("text_speak", message))
        elif _profanity().contains_profanity(token):
            message = f'"{word}" is on the list of words the school never posts. Reword the caption.'
            problems.setdefault("o:" + folded, Problem("offensive", message))
        else:
            kept.append(token)
    # Some entries are phrases of innocent words, caught only when read together.
    if _profanity().contains_profanity(" ".join(kept)):
        problems["phrase"] = Problem(
            "offensive", "The caption contains a phrase the school never posts. Reword the caption."
        )
    return list(problems.values())


def link_warnings(caption: str) -> list[Problem]:
    """A warning, not a refusal: a post with a link costs far more to send through X's API."""
    urls = extract_urls(caption)
    if not urls:
        return []
    return [
        Problem(
            "link",
            f"The caption contains a link ({urls[0]}). Posts with links cost the school much more "
            "to send on X: remove it unless it is needed.",
        )
    ]


@functools.cache
def _profanity() -> Profanity:
    """One filter per process: building it expands the word list into every spelling variant."""
    return Profanity()


def _fold(word: str) -> str:
    """Lower case without accents: "Zoë" and "ZOE" fold to the same word."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _words(text: str) -> list[tuple[str, str]]:
    """(folded, original) for each run of letters; digits, '_', "'" and '-' separate words."""
    return [(_fold(m.group()), m.group()) for m in _WORD.finditer(unicodedata.normalize("NFC", text))]


_Entry = tuple[str, int, str]  # (kind, pupil_id, the name as the roster spells it)


def _name_index(people: Iterable[RosterName]) -> dict[tuple[str, ...], list[_Entry]]:
    """Folded word sequences to refuse: full names, surnames, first names and their main parts."""
    index: dict[tuple[str, ...], list[_Entry]] = {}
    for person in people:
        for kind, name in (("surname", person.last_name), ("first_name", person.first_name)):
            for key, shown in _name_keys(name):
                index.setdefault(key, []).append((kind, person.pupil_id, shown))
        full = tuple(f for f, _ in _words(person.first_name) + _words(person.last_name))
        if _words(person.first_name) and _words(person.last_name):
            index.setdefault(full, []).append(
                ("full_name", person.pupil_id, f"{person.first_name} {person.last_name}")
            )
    return index


def _name_keys(name: str) -> list[tuple[tuple[str, ...], str]]:
    """(folded words, spelling to show) for a whole name and, if it has several words, its main parts."""
    words = _words(name)
    if not words:
        return []
    keys = [(tuple(f for f, _ in words), name.strip())]
    if len(words) > 1:
        # A double-barrelled or multi-word name is often written in part: "Jones" for "Smith-Jones".
        keys += [((f,), o) for f, o in words if len(f) > 1 and f not in _PARTICLES]
    return keys


def _name_problem(
    key: tuple[str, ...], entries: list[_Entry], tagged: list[PupilConsent], first_names_allowed: bool
) -> Problem | None:
    """The problem for one matched name, the strictest reading first."""
    by_kind = {kind: shown for kind, _, shown in reversed(entries)}
    if "full_name" in by_kind:
        return Problem(
            "full_name",
            f'The caption contains "{by_kind["full_name"]}", the full name of a pupil on the roster. '
            "Remove it: pupils' names are never posted in full.",
        )
    if "surname" in by_kind:
        return Problem(
            "surname",
            f'The caption contains the surname "{by_kind["surname"]}", which belongs to a pupil on the '
            "roster. Remove it: pupils' surnames are never posted.",
        )
    shown = by_kind["first_name"]
    if not first_names_allowed:
        why = "The school does not post first names"
    else:
        same = [t for t in tagged if key in {k for k, _ in _name_keys(t.first_name)}]
        if not same:
            why = "That pupil is not tagged in this photo"
        elif not all(t.first_name_consent for t in same):
            why = "That pupil's parents have not agreed to their first name being posted"
        else:
            return None
    return Problem(
        "first_name",
        f'The caption contains "{shown}", the first name of a pupil on the roster. {why}: remove it, '
        "or reword the sentence if you meant an ordinary word.",
    )
