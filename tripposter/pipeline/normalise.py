"""Undo the ways a name can be disguised in text, keeping the case a reader would see.

``fold_text`` turns any text into plain Latin letters with its case kept (so "Mr Baker" still
reads as a name and "#IslaBaker" still splits at the capital): invisible characters removed,
Unicode NFKC, accents dropped, look-alike letters from other alphabets replaced by the Latin
letter they imitate (Unicode's confusables data, UTS #39, as shipped by ``confusable-homoglyphs``).
``leet_variants`` reads digits and symbols used as letters ("B4k3r", "$am", "1sla").
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import unicodedata
from importlib import resources

# Default_Ignorable_Code_Point (Unicode DerivedCoreProperties.txt): invisible in every font, so a
# name with one inside looks whole to a reader and broken to a naive check. Category Cf is removed too.
_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
# Latin letters that NFKD does not split into a base letter and an accent.
_LATIN_EXTRA = str.maketrans(
    {"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "ħ": "h", "Ħ": "H",
     "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ß": "ss", "þ": "th", "Þ": "Th", "ı": "i", "ŀ": "l", "Ŀ": "L"}
)
# A letter that may be read as "i" or "l": a digit one, a bar, or a look-alike of capital I.
AMBIGUOUS_IL = "\x01"
# Digits and symbols written for letters. Only read as letters inside a word that has letters.
LEET = {"0": "o", "1": AMBIGUOUS_IL, "2": "z", "3": "e", "4": "a", "5": "s", "6": "b", "7": "t", "8": "b",
        "9": "g", "@": "a", "$": "s", "!": AMBIGUOUS_IL, "|": AMBIGUOUS_IL, "€": "e", "£": "l"}
MAX_VARIANTS = 16
# A capital I between small letters is an l to the eye in most fonts ("KowaIczyk").
_I_FOR_L = re.compile(r"(?<=[A-Za-z])I(?=[a-z])|(?<=[a-z])I\b")


def fold_text(text: str) -> str:
    """The text as plain letters with case kept: no invisibles, accents or look-alikes."""
    text = unicodedata.normalize("NFKC", _strip_invisible(text))
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_LATIN_EXTRA)
    if plain.isascii():
        return plain
    return unicodedata.normalize("NFC", plain.translate(_confusable_table()))


def fold_name(name: str) -> str:
    """A name as the letters it is matched on: folded, lower case, letters only ("O'Brien" -> "obrien")."""
    folded = fold_text(name).casefold()
    return "".join(c for c in folded if c.isalpha() or c == AMBIGUOUS_IL).replace(AMBIGUOUS_IL, "i")


def _strip_invisible(text: str) -> str:
    text = _IGNORABLE.sub("", text)
    if all(unicodedata.category(c) != "Cf" for c in text):
        return text
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def leet_variants(word: str) -> list[str]:
    """Readings of a word with digits and symbols as letters ("B4k3r" -> "bakar"); [] if none apply."""
    lowered = _I_FOR_L.sub(AMBIGUOUS_IL, word).casefold()
    if not any(c in LEET or c == AMBIGUOUS_IL for c in lowered) or not any(c.isalpha() for c in lowered):
        return []
    mapped = "".join(LEET.get(c, c) for c in lowered)
    return expand_ambiguous(mapped)


def expand_ambiguous(word: str) -> list[str]:
    """Every reading of the i-or-l marks in ``word`` (at most MAX_VARIANTS)."""
    if AMBIGUOUS_IL not in word:
        return [word]
    parts = word.split(AMBIGUOUS_IL)
    readings = itertools.islice(itertools.product("il", repeat=len(parts) - 1), MAX_VARIANTS)
    return ["".join(p + r for p, r in zip(parts, (*choice, ""), strict=True)) for choice in readings]


@functools.cache
def _confusable_table() -> dict[int, str]:
    """Each non-Latin character that Unicode lists as a look-alike of a Latin letter or digit, mapped to it."""
    data = json.loads(resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8"))
    table: dict[int, str] = {}
    for char, entries in data.items():
        if len(char) != 1 or char.isascii():
            continue
        latin = [e["c"] for e in entries if e["c"].isascii() and e["c"].isalnum()]
        if not latin:
            continue
        # UTS #39 maps I, 1 and | to "l"; a look-alike of any of them may stand for "i" or "l".
        table[ord(char)] = AMBIGUOUS_IL if latin[0] in "Il1" else latin[0]
    return {**_styled_latin(), **table}


# Latin letters in another dress that NFKC leaves alone and UTS #39 does not list: small capitals
# ("ꜱᴍɪᴛʜ"), letters in black circles and squares ("🅢🅜🅘🅣🅗"), and regional indicators ("🇸🇲🇮🇹🇭",
# shown as letters where they make no flag). Read off the characters' Unicode names, not typed in.
_STYLED = re.compile(
    r"(?:NEGATIVE (?:CIRCLED|SQUARED) |SQUARED |CIRCLED |PARENTHESIZED )?"
    r"(?:LATIN (?:CAPITAL |SMALL )?LETTER (?:SMALL CAPITAL )?|REGIONAL INDICATOR SYMBOL LETTER )([A-Z])"
)
_STYLED_BLOCKS = ((0x0180, 0x02B0), (0x1D00, 0x1DC0), (0x2C60, 0x2C80), (0xA720, 0xA800), (0xAB30, 0xAB70),
                  (0x1F100, 0x1F200), (0x1DF00, 0x1E000))  # fmt: skip


def _styled_latin() -> dict[int, str]:
    table: dict[int, str] = {}
    for low, high in _STYLED_BLOCKS:
        for code in range(low, high):
            match = _STYLED.fullmatch(unicodedata.name(chr(code), ""))
            if match and not unicodedata.normalize("NFKC", chr(code)).isascii():
                table[code] = AMBIGUOUS_IL if match.group(1) in "IL" else match.group(1).lower()
    return table


# Upside-down text: the letters turned over and written backwards ("ɥʇᴉɯS" is "Smith"). Turning over
# also makes ordinary letters into others (b/q, d/p, n/u), so the whole text is read again this way
# when it holds turned letters that have no other use.
_TURNED = dict(zip("ɐɔǝɟƃɥᴉıɾʞɯɹʇʌʍʎ∀Ɐ⅁ᗡƎℲ⅄⊥∩ΛꓭꓘԀ˥ſ", "acefghiijkmrtvwyAAGDEFYTUVBKPLj", strict=True))
_TURNED_PLAIN = dict(zip("qpdbnu", "bdpqun", strict=True))
_ONLY_TURNED = frozenset("ɐɔǝɟƃɥᴉɾʞɯɹʇʌʍʎ∀Ɐ⅁ᗡℲ⅄⊥∩ꓭꓘԀ˥")


def upside_down(text: str) -> str | None:
    """The text as read the right way up, if it is written upside down; None if it is not."""
    if sum(c in _ONLY_TURNED for c in text) < 2:
        return None
    return "".join(_TURNED.get(c, _TURNED_PLAIN.get(c, c)) for c in reversed(text))
