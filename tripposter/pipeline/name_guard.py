"""The name guard: the one check every outgoing text passes, in the form it will be published.

``guard`` takes every field of a post (the caption with its hashtags, each photo's alt text, a
hashtag being saved...) and returns every problem at once. The rules, as the README states them:

- a pupil's full name or surname, from anywhere on the roster, is never posted;
- a first name only if the school allows first names, the pupil is tagged where the text appears
  and their parents agreed to first names;
- a name that is also an everyday word (Grace, Hope, Will, Hill, Baker: ``wordlists.EVERYDAY_NAMES``)
  counts only where it reads as a name: with a capital letter other than at the start of a
  sentence, in a hashtag, @handle or link, disguised, beside another name, or after "Mr", "Miss",
  "well done", "thanks"... At the start of a sentence it is a warning, not a refusal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .consent import PupilConsent
from .errors import Problem
from .names import Entry, Hit, NameIndex, Piece, RosterName, find_names, name_index
from .normalise import upside_down

# Words after which an everyday word is someone's name: "well done Will", "thanks Grace", "Mr Brown".
_CUES = frozenset("mr mrs ms miss mx dr sir master dear thanks congratulations congrats bravo hi hello hey".split())
_CUE_PAIRS = frozenset({("well", "done"), ("thank", "you"), ("go", "team")})
# Words that, after a capitalised everyday word at the start of a sentence, show it is not a name.
_NOT_AFTER_A_NAME = frozenset(
    "you your yourself we us our they them their i me my it its the a an this that these those all everyone "
    "everybody of to for be is are was were been has have had s".split()
)
# Words English always writes with a capital, so a capital says nothing: "back in May".
_ALWAYS_CAPITAL = frozenset("april may june august".split())
_JOINERS = frozenset({"and", "with", "plus", "or", "nor"})
_STRICTNESS = {"full_name": 0, "surname": 1, "staff_surname": 2, "first_name": 3}
_WHY_FIRST = {
    "school": "The school does not post first names",
    "untagged": "That pupil is not tagged in this photo",
    "consent": "That pupil's parents have not agreed to their first name being posted",
    "every_post": "A hashtag goes out on every post, so it may not hold any pupil's name",
}


@dataclass(frozen=True)
class OutgoingText:
    """One field that will leave the school: ``label`` starts the teacher's sentence ("The caption")."""

    label: str
    text: str
    tagged: tuple[PupilConsent, ...] = ()
    every_post: bool = False  # a hashtag added to every post: no first name is ever allowed there


@dataclass(frozen=True)
class GuardResult:
    problems: tuple[Problem, ...]
    warnings: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def guard(
    texts: Iterable[OutgoingText], roster: Iterable[RosterName], *, first_names_allowed: bool
) -> GuardResult:
    """Every name problem in every outgoing text, all at once, each a sentence the teacher can act on."""
    texts = list(texts)
    tagged = {t.pupil_id: t for text in texts for t in text.tagged}
    people = _as_tuple(roster)
    # Tagged pupils are on the roster already; one who is not is guarded too. Adding only those keeps
    # the index's cache key the roster itself, so a different set of tags does not rebuild it.
    known = {p.pupil_id for p in people if not p.staff}
    extra = tuple(RosterName(t.pupil_id, t.first_name, t.last_name) for t in tagged.values() if t.pupil_id not in known)
    index = name_index((*people, *extra))
    problems: dict[str, Problem] = {}
    warnings: dict[str, Problem] = {}
    for text in texts:
        for problem, certain in _problems_in(text, index, first_names_allowed):
            (problems if certain else warnings).setdefault(problem.message, problem)
    return GuardResult(tuple(problems.values()), tuple(warnings.values()))


def _as_tuple(roster: Iterable[RosterName]) -> tuple[RosterName, ...]:
    return roster if isinstance(roster, tuple) else tuple(roster)


def _problems_in(text: OutgoingText, index: NameIndex, first_names_allowed: bool) -> list[tuple[Problem, bool]]:
    found = _problems_in_reading(text, text.text, index, first_names_allowed, disguised=False)
    if (flipped := upside_down(text.text)) is not None:  # written upside down: every name in it is hidden
        found += _problems_in_reading(text, flipped, index, first_names_allowed, disguised=True)
    return found


def _problems_in_reading(
    text: OutgoingText, reading: str, index: NameIndex, first_names_allowed: bool, *, disguised: bool
) -> list[tuple[Problem, bool]]:
    hits, pieces = find_names(reading, index)
    named = {id(h) for h in hits} if disguised else _reading_as_names(hits, pieces)
    found: list[tuple[Problem, bool]] = []
    for hit in hits:
        entry = min(hit.entries, key=lambda e: _STRICTNESS[e.kind])
        certain = id(hit) in named
        if not certain and not _maybe_a_name(hit, entry, pieces):
            continue
        if entry.kind != "first_name":
            # A full name and a surname may read the same ("Lee Lee" run together, "Leelee"): report each.
            shown = {(e.kind, e.shown): e for e in hit.entries if e.kind != "first_name"}
            found += [(_problem(text.label, e, "", certain), certain) for e in shown.values()]
            continue
        if why := _first_name_refusal(hit, entry, text, first_names_allowed):
            found.append((_problem(text.label, entry, why, certain), certain))
    return found


def _reading_as_names(hits: list[Hit], pieces: list[Piece]) -> set[int]:
    """The ids of the hits that read as names; an everyday word needs something to make it one."""
    named = {id(h) for h in hits if _is_name(h, pieces)}
    in_text = sorted((h for h in hits if h.first >= 0), key=lambda h: h.first)
    for _ in range(2):  # beside a name is a name: "Isla and Grace", "Grace Baker" (twice, for chains)
        for left, right in zip(in_text, in_text[1:], strict=False):
            gap = [p.text for p in pieces[left.last : right.first]]
            if len(gap) <= 1 and all(w in _JOINERS for w in gap) and (id(left) in named or id(right) in named):
                named |= {id(left), id(right)}
    return named


def _is_name(hit: Hit, pieces: list[Piece]) -> bool:
    entry = min(hit.entries, key=lambda e: _STRICTNESS[e.kind])
    if not entry.everyday or hit.disguised or any(p.altered for p in hit.pieces):
        return True
    if entry.kind == "full_name" and len(hit.pieces) > 1 and any(p.upper for p in hit.pieces):
        return True  # a pupil's first name and surname together, capitalised ("GRACE HILL") is the pupil
    if hit.first < 0:
        return False  # an everyday word inside an ordinary unknown word ("willpower")
    if any(p.compound for p in hit.pieces):
        return True
    if any(p.capital and not p.sentence_start and p.text not in _ALWAYS_CAPITAL for p in hit.pieces):
        return True
    before = [p.text for p in pieces[max(0, hit.first - 2) : hit.first]]
    after = pieces[hit.last] if hit.last < len(pieces) else None
    initial = after is not None and len(after.text) == 1 and after.capital and hit.pieces[0].capital  # "May R."
    cued = bool(before) and (before[-1] in _CUES or tuple(before) in _CUE_PAIRS)
    cued = cued or bool(before) and before[-1] == "with" and hit.pieces[0].capital  # "a day with May"
    return cued or initial or (hit.possessive and hit.pieces[0].capital)


def _maybe_a_name(hit: Hit, entry: Entry, pieces: list[Piece]) -> bool:
    """An everyday name that starts a sentence and may be the pupil: "Grace won", not "Hope you all..."."""
    if entry.kind == "full_name" and len(hit.pieces) > 1:
        return True  # "hope baker" in small letters: perhaps the pupil, perhaps two ordinary words
    if entry.kind not in ("first_name", "surname") or hit.first < 0 or not (hit.pieces[0].capital and hit.pieces[0].sentence_start):
        return False
    following = pieces[hit.last].text if hit.last < len(pieces) else ""
    return following not in _NOT_AFTER_A_NAME


def _first_name_refusal(hit: Hit, entry: Entry, text: OutgoingText, first_names_allowed: bool) -> str:
    """Why this first name may not be posted here, or "" if it may."""
    if text.every_post:
        return _WHY_FIRST["every_post"]
    if not first_names_allowed:
        return _WHY_FIRST["school"]
    owners = {e.pupil_id for e in hit.entries if e.kind == "first_name"}
    here = [t for t in text.tagged if t.pupil_id in owners]
    if not here:
        return _WHY_FIRST["untagged"]
    if not all(t.first_name_consent for t in here):
        return _WHY_FIRST["consent"]
    return ""


def _problem(label: str, entry: Entry, why: str, certain: bool) -> Problem:
    if not certain and entry.kind == "full_name":
        return Problem(
            "maybe_name",
            f'{label} has the words "{entry.shown.lower()}", which together are the name of a pupil on the '
            "roster. If you mean the pupil, remove them; if they are ordinary words, carry on.",
        )
    if not certain:
        return Problem(
            "maybe_name",
            f'{label} starts a sentence with "{entry.shown}", which is also the name of a pupil on the roster. '
            "If you mean the pupil, remove it; if you mean the ordinary word, carry on.",
        )
    if entry.kind == "full_name":
        return Problem(
            "full_name",
            f'{label} contains "{entry.shown}", the full name of a pupil on the roster. '
            "Remove it: pupils' names are never posted in full.",
        )
    if entry.kind == "surname":
        return Problem(
            "surname",
            f'{label} contains the surname "{entry.shown}", which belongs to a pupil on the roster. '
            "Remove it: pupils' surnames are never posted.",
        )
    if entry.kind == "staff_surname":
        return Problem(
            "staff_surname",
            f'{label} contains "{entry.shown}", the surname of a member of staff. '
            "The school does not post staff surnames: remove it, or say \u201cour teachers\u201d instead.",
        )
    return Problem(
        "first_name",
        f'{label} contains "{entry.shown}", the first name of a pupil on the roster. {why}: remove it, '
        "or reword the sentence if you meant an ordinary word.",
    )
