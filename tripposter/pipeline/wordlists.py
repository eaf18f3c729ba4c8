"""Which words are ordinary English, and how a run-together word splits into words.

Two lists, with two jobs:

- ``EVERYDAY_NAMES``: names that are also everyday English words (Grace, Hope, Will, May, Hill,
  Brown, Baker...). A pupil with such a name is flagged only where the word reads as a name.
  Every entry is also a dictionary word below (a test checks), so the list is "names that are
  everyday words", not a list of exceptions someone liked.
- the dictionary: the GNU Collaborative International Dictionary of English word list, shipped in
  the ``english-words`` package. It only decides how "#teambaker" splits ("team" + "baker") and that
  "bench" or "bakery" are words of their own, never whether a name is allowed.
"""

from __future__ import annotations

import functools

from english_words import get_english_words_set

EVERYDAY_NAMES = frozenset(
    """
    amber april august autumn angel art ash august bay berry bill birch blossom bob bonnie brook
    buck cash chance charity chase cherry clay cliff coral crystal daisy dale dawn dean
    destiny dell drew dusty earl eve faith fern flora frank gale gay gem ginger glen glory
    grace grant guy hazel heather holly honey hope hunter iris ivy jack jade jasmine jay jewel
    joy june kit lane lark lily mark marsh may mercy miles misty moss pat patience
    peace pearl penny pepper poppy rain ray reed rich river rob robin rock rocky rose rowan
    ruby rush rusty sage sandy scout skip sky sorrel star sterling stone storm sue
    summer sunny sunshine taffy tanner tom violet wade ward will willow winter wren
    baker banks barber bell bird bishop black bond booth bowler brewer brown bush butcher butler
    carpenter carter chamberlain church clerk cook cooper cross day diamond draper duke
    farmer field fisher fletcher forest fox frost gardener gold golding good green hall hay heath
    hedge hill holmes hood house hunt king knight lamb lord love mason miller mills moon
    noble page park parker parsons pike pine pool porter potter price rice ridge rivers
    rose sharp shepherd short singer slater small smith snow spear spencer steward street
    stringer swan thatcher tinker turner wall walker waters weaver white wild wise wood
    woods wright young brook brooks lake long little new west north south
    best power grey gray read fry hardy head ball law bright sweet steel hart brand bloom bean gill quick
    strong fair friend hale bull crow finch sparrow wells fields styles gates archer bowman glover dyer
    sawyer chandler collier skinner fowler kitchen bower temple chapel castle tower bridge ford moor vale
    shore blue honor royal happy harmony melody lyric saffron rosemary clover bluebell primrose marigold
    emerald opal goldie raven dove drake wolf bear prince princess heaven liberty justice trinity serenity
    prudence verity genesis journey legend story ocean cloud alder aspen cedar laurel basil sugar candy
    apple bud lance rod don nick carol chuck jimmy bobby jenny sally peter ted hank randy nan rex buddy
    """.split()
)
# Short words that count as words in a run-together hashtag; other one- or two-letter runs do not,
# so "bench" never splits into "ben" + "ch".
_SHORT_WORDS = frozenset(
    "a i an am as at be by do go he hi if in is it me my no of oh ok on or our so st to up us we ye yo".split()
)
_SUFFIXES = ("s", "es", "ed", "ing", "er", "ers", "est", "ly", "y", "ies", "ied", "ful", "ness", "ment")
MAX_WORD = 24
_UNKNOWN_COST = 3  # a letter that is no word costs more than a word, so real words win


@functools.cache
def dictionary() -> frozenset[str]:
    """The dictionary's words, lower case, letters only, at least three letters long."""
    words = get_english_words_set(["gcide"], lower=True, alpha=True)
    return frozenset(w for w in words if len(w) >= 3) | _SHORT_WORDS


@functools.lru_cache(maxsize=1 << 16)
def is_word(word: str) -> bool:
    """True for a dictionary word or a regular inflection of one ("painted", "bakeries", "running")."""
    words = dictionary()
    if word in words:
        return True
    for suffix in _SUFFIXES:
        stem = word[: -len(suffix)]
        if not word.endswith(suffix) or len(stem) < 3:
            continue
        if stem in words or stem + "e" in words or (suffix.startswith("i") and stem + "y" in words):
            return True
        if len(stem) > 3 and stem[-1] == stem[-2] and stem[:-1] in words:  # running -> run
            return True
    return False


def segment(word: str, names: frozenset[str] | set[str]) -> list[tuple[int, int]]:
    """Split a run-together word into the fewest words and names; returns (start, end) of each piece.

    Letters that belong to no word cost more than a whole word, so "bakeryvisit" splits as
    "bakery" + "visit" (no name in it) while "islabaker" splits as "isla" + "baker".
    """
    size = len(word)
    best: list[tuple[int, int]] = [(0, 0)] * (size + 1)  # (cost, start of the last piece)
    for end in range(1, size + 1):
        options = [(best[end - 1][0] + _UNKNOWN_COST, end - 1)]
        for start in range(max(0, end - MAX_WORD), end):
            piece = word[start:end]
            if piece in names or (len(piece) >= 3 or piece in _SHORT_WORDS) and is_word(piece):
                options.append((best[start][0] + 1, start))
        best[end] = min(options)
    pieces: list[tuple[int, int]] = []
    end = size
    while end > 0:
        start = best[end][1]
        pieces.append((start, end))
        end = start
    return pieces[::-1]
