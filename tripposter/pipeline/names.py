"""Find pupils' names in text, however they are written: the matching half of the name guard.

Text is folded (``normalise``), cut into words at spaces, punctuation, capitals inside a word
("IslaBaker") and digits, and matched against an index of every roster name as plain letters
("O'Brien" -> "obrien"). Several words match together where a name was spaced out or split
("O Brien", "I.s.l.a", "B a k e r", "Smith Jones"). A hashtag, @handle, link or unknown word is
also read run-together ("#islabaker", "#teambaker") by splitting it into the fewest words.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .normalise import AMBIGUOUS_IL, LEET, fold_name, fold_text, leet_variants
from .tokens import LEADING, TRAILING, Chunk, Piece, chunks_of, is_compound, pieces_of
from .wordlists import EVERYDAY_NAMES, is_word, segment

# Parts of a multi-word surname too common to refuse alone; the whole surname is still refused.
PARTICLES = frozenset("al ap bin da das de del della den der di dos du el ibn la le st ter van von".split())
MAX_SPAN = 24  # enough for a long name spelt out letter by letter


@dataclass(frozen=True)
class RosterName:
    """A person whose names must not be posted: a pupil anywhere on the roster (or a member of staff)."""

    pupil_id: int
    first_name: str
    last_name: str
    staff: bool = False


@dataclass(frozen=True)
class Entry:
    """One way a key is a name: ``kind`` is full_name, surname or first_name."""

    kind: str
    pupil_id: int
    shown: str  # the name as the roster spells it, for the teacher's message
    everyday: bool  # also an everyday English word (Grace, Hill): flagged only where it reads as a name
    parts: int  # how many words the name has ("O'Brien" 2): several words may then match it together


@dataclass
class Hit:
    """A name found in the text."""

    entries: list[Entry]
    first: int  # index of its first and last piece (+1); -1 for a run-together find
    last: int
    disguised: bool = False  # run together, spaced out, or with digits or look-alikes for letters
    possessive: bool = False  # followed by "'s"
    pieces: list[Piece] = field(default_factory=list)


class NameIndex:
    """Every name on the roster as plain letters, with what each one is."""

    def __init__(self, people: Iterable[RosterName]) -> None:
        self.keys: dict[str, list[Entry]] = {}
        for person in people:
            self._add_person(person)
        self.longest = max((len(k) for k in self.keys), default=0)
        self.names = frozenset(k for k in self.keys if len(k) >= 3)

    def _add_person(self, person: RosterName) -> None:
        first, last = _parts(person.first_name), _parts(person.last_name)
        if not person.staff:
            self._add_name("first_name", person, person.first_name, first)
        self._add_name("staff_surname" if person.staff else "surname", person, person.last_name, last)
        if first and last and not person.staff:
            everyday = all(p in EVERYDAY_NAMES for p in first + last)
            shown = f"{person.first_name.strip()} {person.last_name.strip()}"
            self._add("".join(first + last), Entry("full_name", person.pupil_id, shown, everyday, len(first + last)))

    def _add_name(self, kind: str, person: RosterName, name: str, parts: list[str]) -> None:
        if not parts:
            return
        whole = "".join(parts)
        self._add(whole, Entry(kind, person.pupil_id, name.strip(), len(parts) == 1 and whole in EVERYDAY_NAMES, len(parts)))
        if len(parts) > 1:
            # A double-barrelled or multi-word name is often written in part: "Jones" for "Smith-Jones".
            for part in parts:
                if len(part) > 1 and part not in PARTICLES:
                    self._add(part, Entry(kind, person.pupil_id, part.title(), part in EVERYDAY_NAMES, 1))

    def _add(self, key: str, entry: Entry) -> None:
        if len(key) >= 2:
            self.keys.setdefault(key, []).append(entry)

    def lookup(self, key: str) -> list[Entry] | None:
        """The entries for ``key`` or for the name it is a plural or possessive of ("bakers", "lilies")."""
        for stem in (key, *_stems(key)):
            if stem in self.keys:
                return self.keys[stem]
        return None


@functools.lru_cache(maxsize=8)
def name_index(people: tuple[RosterName, ...]) -> NameIndex:
    """The index for a roster, kept while the roster is unchanged (the phone checks as the teacher types)."""
    return NameIndex(people)


def find_names(text: str, index: NameIndex) -> tuple[list[Hit], list[Piece]]:
    """Every name in ``text``: words and spaced-out words first, then run-together and disguised ones."""
    chunks = chunks_of(text)
    pieces = pieces_of(chunks)
    hits = _sequence_hits(pieces, index)
    hits += _run_together_hits(chunks, index)
    return hits, pieces


def _parts(name: str) -> list[str]:
    """A name's words as plain lower-case letters: "Mary-Jane" -> ["mary", "jane"]."""
    folded = fold_text(name).replace(AMBIGUOUS_IL, "i")
    return [fold_name(w) for w in re.findall(r"[^\W\d_]+", folded) if fold_name(w)]


def _stems(key: str) -> list[str]:
    """What a plural or possessive may be of: "bakers" -> "baker", "lilies" -> "lily", "joneses" -> "jones"."""
    stems = []
    if key.endswith("ies") and len(key) > 4:
        stems.append(key[:-3] + "y")
    if key.endswith("es") and key[:-2].endswith(("s", "x", "z", "ch", "sh")):
        stems.append(key[:-2])
    if key.endswith("s") and len(key) > 3:
        stems.append(key[:-1])
    return stems


def _sequence_hits(pieces: list[Piece], index: NameIndex) -> list[Hit]:
    """Names made of one or more consecutive words, longest first."""
    hits: list[Hit] = []
    at = 0
    while at < len(pieces):
        for size in range(min(MAX_SPAN, len(pieces) - at, index.longest or 1), 0, -1):
            span = pieces[at : at + size]
            entries = index.lookup("".join(p.text for p in span))
            if entries and (size == 1 or _may_join(span, entries)):
                possessive = size > 1 and span[-1].text == "s"
                spaced = size - possessive > max(e.parts for e in entries)
                if not (at > 0 and _saint(pieces[at - 1].text, entries)):
                    hits.append(Hit(entries, at, at + size, disguised=spaced, possessive=possessive, pieces=span))
                at += size
                break
        else:
            at += 1
    return hits


def _may_join(span: list[Piece], entries: list[Entry]) -> bool:
    """Several words may make one name if the name has that many words, or they are one chunk or single letters."""
    if sum(len(p.text) == 1 for p in span) >= max(3, len(span) - 1):
        return True  # spelt out letter by letter, perhaps with the end run together: "K o w a l czyk"
    if len(span) <= 3 and all(len(p.text) >= 2 for p in span) and not all(is_word(p.text) for p in span):
        return True  # a name split by spaces into pieces that are not all words: "Ah med", "Is la"
    return len({p.chunk for p in span}) == 1 or max(e.parts for e in entries) >= len(span)


def _run_together_hits(chunks: list[Chunk], index: NameIndex) -> list[Hit]:
    """Names inside hashtags, handles, links and unknown or disguised words ("#islabaker", "B4k3r")."""
    hits: list[Hit] = []
    for part in chunks:
        chunk = part.text
        compound = is_compound(chunk)
        core = chunk.strip(LEADING + TRAILING).lstrip("#@")
        plain = "".join(c for c in core.casefold() if c.isalpha())
        variants = leet_variants("".join(c for c in core if c.isalnum() or c in LEET or c == AMBIGUOUS_IL))
        readings = [(v, True) for v in variants if v != plain]
        if compound or (len(plain) >= 5 and not is_word(plain) and not index.lookup(plain)):
            readings.append((plain, compound))
        if part.reversed:
            readings.append((plain[::-1], True))
        for reading, disguised in readings:
            if len(reading) >= 3:
                hits += _names_in(reading, index, disguised)
    return hits


def _names_in(word: str, index: NameIndex, disguised: bool) -> list[Hit]:
    """Names that are whole pieces of the fewest-words split of a run-together word."""
    found: list[Hit] = []
    whole = index.lookup(word)
    if whole:
        return [Hit(whole, -1, -1, disguised=disguised)]
    before = ""
    for start, end in segment(word, index.names):
        entries = index.lookup(word[start:end]) if end - start >= 3 else None
        if entries and not _saint(before, entries):
            found.append(Hit(entries, -1, -1, disguised=disguised))
        before = word[start:end]
    return found


def _saint(before: str, entries: list[Entry]) -> bool:
    """A first name after "St" or "Saint" is a saint, a church or a school ("St Mary's", "#StMarys")."""
    return before in ("st", "saint") and all(e.kind == "first_name" for e in entries)
