"""Caption rules other than names and length: @mentions, text-speak, offensive words, links."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from better_profanity import Profanity
from twitter_text import extract_urls

from .errors import Problem

DEFAULT_TEXT_SPEAK = ("lol", "gr8", "l8r", "u", "pls", "plz", "thx", "ur", "omg", "btw")
# X's own rule: an @ preceded by a letter, digit or some symbols is not a mention (e.g. an email).
# \uff20 is the full-width @, which X treats like the ASCII one.
_MENTION = re.compile(r"(?<![A-Za-z0-9_!#$%&*@\uff20])[@\uff20]([A-Za-z0-9_]+)")
# Stripped from the ends of a word before comparing it with the lists: quotes, dashes, brackets.
_EDGE_PUNCTUATION = "\"'.,;:!?()[]{}/#*\u2018\u2019\u201c\u201d\u00ab\u00bb\u2026-\u2013\u2014"


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
