"""Cut text into the words a reader sees, keeping what tells a name from a word.

Each space-separated chunk is folded (``normalise.fold_text``) and split at punctuation, digits and
capitals inside a word ("IslaBaker" -> "Isla", "Baker"). Each word keeps whether it had a capital,
starts a sentence, sits in a hashtag, @handle or link, and whether folding changed it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .normalise import fold_text

CONTRACTION = re.compile(r"(?i)(?<=[a-z])['\u2019](?=(?:t|ll|re|ve|m|d)\b)")
# Words split at capitals inside them ("IslaBaker", "ABCTrip" -> "ABC", "Trip"); other scripts stay whole.
_LETTERS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[^\W\d_A-Za-z\x01]+")
LEADING = "\"'([{<*_~\u2018\u201c\u00ab"
TRAILING = "\"')]}>.,;:?!|*_~\u2019\u201d\u00bb\u2026"
_SENTENCE_END = (".", "!", "?", "\u2026", ":")
_ABBREVIATION = re.compile(r"(?i)[a-z]\.|(?:mr|mrs|ms|mx|dr|st|prof|rev)\.")
# Right-to-left override and isolate: they show the letters after them in reverse order.
_REVERSING = ("\u202e", "\u2067")


@dataclass
class Piece:
    """One word of the text as a reader sees it."""

    text: str  # lower-case letters
    capital: bool  # written with a capital, in text that is not all capitals
    sentence_start: bool
    chunk: int  # which space-separated part of the text it came from
    compound: bool  # inside a hashtag, @handle or link
    altered: bool = False  # its chunk had look-alike letters, invisible characters or odd accents
    upper: bool = False  # starts with a capital letter, even in text written all in capitals


@dataclass(frozen=True)
class Chunk:
    """One space-separated part of the text, folded."""

    text: str
    altered: bool  # folding changed it: look-alike letters, invisible characters or odd accents
    new_line: bool  # it starts a line
    reversed: bool  # a right-to-left override shows its letters in reverse order


def chunks_of(text: str) -> list[Chunk]:
    chunks = []
    for match in re.finditer(r"\S+", text):
        original = CONTRACTION.sub("", match.group())
        folded = fold_text(original)
        new_line = "\n" in text[max(0, match.start() - 3) : match.start()]
        chunks.append(Chunk(folded, folded != original, new_line, any(c in original for c in _REVERSING)))
    return chunks


def pieces_of(chunks: list[Chunk]) -> list[Piece]:
    """The words of the text, split at punctuation, digits and capitals inside a word."""
    letters = [c for chunk in chunks for c in chunk.text if c.isalpha()]
    shouting = len(letters) >= 4 and sum(c.isupper() for c in letters) >= 0.7 * len(letters)
    pieces: list[Piece] = []
    start = True
    for number, chunk in enumerate(chunks):
        start = start or chunk.new_line
        compound = is_compound(chunk.text)
        for word in _LETTERS.finditer(chunk.text):
            text = word.group()
            capital = text[0].isupper() and not shouting
            pieces.append(Piece(text.casefold(), capital, start, number, compound, chunk.altered, text[0].isupper()))
            start = False
        ending = chunk.text.rstrip(TRAILING.replace(".", "").replace("!", "").replace("?", ""))
        # "I. Baker" and "Mr. Baker": a full stop after an initial or a title ends no sentence.
        start = ending.endswith(_SENTENCE_END) and not _ABBREVIATION.fullmatch(ending)
    return pieces


def is_compound(chunk: str) -> bool:
    """A hashtag, an @handle or a link: places with no sentence to tell a name from a word."""
    core = chunk.lstrip(LEADING)
    return core.startswith(("#", "@")) or "://" in chunk or core.casefold().startswith("www.") or (
        "/" in chunk and "." in chunk
    ) or _JOINED.search(core) is not None


# Words joined by an underscore, or an @ inside (an email address): a handle-like run, not a sentence.
_JOINED = re.compile(r"[^\W_]_+[^\W_]|[^\W_]@[^\W_]")
