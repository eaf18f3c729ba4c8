"""The name guard: every disguise of a roster name is caught, ordinary sentences are not refused."""

from __future__ import annotations

import random
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tripposter.pipeline.caption import AltText, CaptionRules, check_caption
from tripposter.pipeline.consent import PupilConsent
from tripposter.pipeline.name_guard import OutgoingText, guard
from tripposter.pipeline.names import RosterName
from tripposter.pipeline.wordlists import EVERYDAY_NAMES, dictionary, is_word

# Names that are not English words: a disguise of any of them must always be caught.
FIRSTS = ["Isla", "Amara", "Olivia", "Zainab", "Freddie", "Mateusz", "Siobhan", "Kwame", "Priya", "Oskar"]
SURNAMES = ["Ahmed", "Okafor", "Kowalski", "Nguyen", "Fitzgerald", "Haddad", "Petrova", "Achebe", "Lindqvist", "Okonkwo"]
EVERYDAY = [("Grace", "Hill"), ("Hope", "Baker"), ("May", "Wood"), ("Joy", "Brown"), ("Will", "Green"),
            ("Rose", "Field"), ("Summer", "King"), ("Bill", "Cook"), ("Mark", "Hall"), ("Faith", "White"),
            ("Amber", "Young"), ("Ruby", "Knight"), ("Ben", "Walker")]
CYRILLIC = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441", "x": "\u0445", "y": "\u0443",
            "A": "\u0410", "B": "\u0412", "E": "\u0415", "K": "\u041a", "M": "\u041c", "H": "\u041d", "O": "\u041e",
            "P": "\u0420", "C": "\u0421", "T": "\u0422", "X": "\u0425"}
GREEK = {"A": "\u0391", "B": "\u0392", "E": "\u0395", "Z": "\u0396", "H": "\u0397", "I": "\u0399", "K": "\u039a",
         "M": "\u039c", "N": "\u039d", "O": "\u039f", "P": "\u03a1", "T": "\u03a4", "o": "\u03bf"}
INVISIBLE = ["\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u180e", "\ufe0f", "\u202e", "\u2066", "\u034f"]
DIGITS = {"o": "0", "i": "1", "l": "1", "e": "3", "a": "4", "s": "5", "t": "7", "b": "8"}
SAFE = ("we had a great day at the museum with our class learning about rockets and science "
        "the children loved the trip thank you to all the staff what a brilliant morning").split()

roster_people = st.lists(
    st.tuples(st.sampled_from(FIRSTS), st.sampled_from(SURNAMES)), min_size=1, max_size=6, unique=True
).map(lambda pairs: [RosterName(i, f, s) for i, (f, s) in enumerate(pairs, start=1)])
fast = settings(max_examples=80, deadline=None)


def disguise(name: str, how: str, rng: random.Random) -> str:
    """One way a name hides in text."""
    if how == "case":
        return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in name)
    if how == "invisible":
        at = rng.randrange(1, len(name))
        return name[:at] + rng.choice(INVISIBLE) + name[at:]
    if how == "cyrillic":
        spots = [i for i, c in enumerate(name) if c in CYRILLIC]
        return name if not spots else "".join(CYRILLIC[c] if i in spots[:2] else c for i, c in enumerate(name))
    if how == "greek":
        upper = name.upper()
        return "".join(GREEK.get(c, c) for c in upper)
    if how == "accents":
        return "".join(c + "\u0301" if c.lower() in "aeiou" else c for c in name)
    if how == "dots":
        return rng.choice([".", "-", "_", "\u00b7", "'"]).join(name)
    if how == "spaced":
        return " ".join(name)
    if how == "digits":
        return "".join(DIGITS.get(c, c) if c.lower() in DIGITS and rng.random() < 0.6 else c for c in name)
    if how == "plural":
        return name + rng.choice(["s", "'s", "\u2019s", "s'"])
    if how == "fullwidth":
        return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalpha() else c for c in name)
    if how in STYLES:  # small capitals, letters in black circles or squares, regional indicators
        return "".join(unicodedata.lookup(STYLES[how].format(c.upper())) if c.isalpha() else c for c in name)
    if how == "upside_down":
        return "".join(UPSIDE_DOWN.get(c, c) for c in reversed(name.lower()))
    if how == "i_for_l":
        return name[0] + name[1:].replace("l", "I")
    if how == "part_spaced":
        at = rng.randrange(3, len(name)) if len(name) > 3 else len(name)
        return " ".join(name[:at]) + " " + name[at:]
    return name


STYLES = {"smallcaps": "LATIN LETTER SMALL CAPITAL {}", "negative_circled": "NEGATIVE CIRCLED LATIN CAPITAL LETTER {}",
          "negative_squared": "NEGATIVE SQUARED LATIN CAPITAL LETTER {}", "regional": "REGIONAL INDICATOR SYMBOL LETTER {}"}
# As the upside-down text makers write it: each letter turned over, then the whole written backwards.
UPSIDE_DOWN = dict(zip("abcdefghijklmnopqrstuvwxyz", "ɐqɔpǝɟƃɥᴉɾʞlɯuodbɹsʇnʌʍxʎz", strict=True))
HOWS = ["case", "invisible", "cyrillic", "greek", "accents", "dots", "spaced", "digits", "plural", "fullwidth",
        "upside_down", "i_for_l", "part_spaced", *STYLES]


def _found(problems: tuple, shown: str) -> bool:
    return any(f'"{shown}"' in p.message for p in problems)


@fast
@given(roster_people, st.sampled_from(HOWS), st.data())
def test_property_every_disguise_of_a_surname_is_caught(people: list[RosterName], how: str, data: st.DataObject) -> None:
    pupil = data.draw(st.sampled_from(people))
    rng = random.Random(data.draw(st.integers(0, 10**6)))
    words = data.draw(st.lists(st.sampled_from(SAFE), max_size=12))
    words.insert(data.draw(st.integers(0, len(words))), disguise(pupil.last_name, how, rng))
    result = guard([OutgoingText("The caption", " ".join(words))], people, first_names_allowed=True)
    assert _found(result.problems, pupil.last_name), (how, " ".join(words))


@fast
@given(roster_people, st.sampled_from(HOWS), st.booleans(), st.data())
def test_property_first_names_are_caught_disguised_unless_allowed(
    people: list[RosterName], how: str, allowed: bool, data: st.DataObject
) -> None:
    pupil = data.draw(st.sampled_from(people))
    rng = random.Random(data.draw(st.integers(0, 10**6)))
    text = f"what a day for {disguise(pupil.first_name, how, rng)} at the museum"
    tagged = (PupilConsent(pupil.pupil_id, pupil.first_name, pupil.last_name, True, True),)
    refused = guard([OutgoingText("The caption", text, tagged)], people, first_names_allowed=allowed).problems
    assert _found(refused, pupil.first_name) == (not allowed or how == "plural" and False), (how, text)
    untagged = guard([OutgoingText("The caption", text)], people, first_names_allowed=True).problems
    assert _found(untagged, pupil.first_name), (how, text)


@fast
@given(roster_people, st.sampled_from(["#", "@", "https://oak.sch.uk/gallery/", "www.oak.sch.uk/"]), st.data())
def test_property_names_run_together_in_hashtags_handles_and_links(
    people: list[RosterName], prefix: str, data: st.DataObject
) -> None:
    pupil = data.draw(st.sampled_from(people))
    style = data.draw(st.sampled_from(["camel", "lower", "upper", "team", "hyphen"]))
    first, last = pupil.first_name, pupil.last_name
    body = {"camel": first + last, "lower": (first + last).lower(), "upper": (first + last).upper(),
            "team": "Team" + last, "hyphen": f"{first.lower()}-{last.lower()}"}[style]
    result = guard([OutgoingText("The caption", f"Look {prefix}{body} today")], people, first_names_allowed=False)
    assert result.problems, (prefix, body)
    assert any(last in p.message for p in result.problems)


def _sentence_words() -> list[str]:
    """Ordinary dictionary words that contain a pupil's name inside them ("bench" for Ben, "hillside")."""
    names = [f.lower() for f, _ in EVERYDAY] + [s.lower() for _, s in EVERYDAY] + ["ben", "isla", "amara", "ahmed"]
    words = sorted(w for w in dictionary() if 5 <= len(w) <= 10 and any(n in w for n in names) and w.isalpha())
    return [w for w in words if w not in names and not any(w == n + "s" for n in names)]


CONTAINING = _sentence_words()
EVERYDAY_ROSTER = [RosterName(100 + i, f, s) for i, (f, s) in enumerate(EVERYDAY)] + [RosterName(1, "Isla", "Ahmed"),
                                                                                         RosterName(2, "Amara", "Okafor")]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(CONTAINING), min_size=1, max_size=6), st.lists(st.sampled_from(SAFE), max_size=8),
       st.lists(st.sampled_from(sorted({w.lower() for pair in EVERYDAY for w in pair} & EVERYDAY_NAMES)), max_size=3),
       st.randoms())
def test_property_ordinary_sentences_are_never_refused(
    containing: list[str], safe: list[str], common: list[str], rng: random.Random
) -> None:
    words = [*containing, *safe, *common]
    rng.shuffle(words)
    text = " ".join(words).capitalize() + "."
    result = check_caption(text, CaptionRules(), EVERYDAY_ROSTER, ())
    assert not [p for p in result.problems if p.rule in ("surname", "first_name", "full_name")], text


@pytest.mark.parametrize("text", [
    "Hope you all had a wonderful day!", "We will be back in May.", "Such joy on every face.",
    "The children danced with grace and hope.", "Mark your calendars for the summer fair.",
    "A rose garden, ruby red apples and amber leaves.", "We sat on a bench in the park.",
    "The bakers at the mill showed us how bread is made.", "A long walk up the hill through the wood.",
    "Faith in the future: young scientists at work.", "The bill for the bus was paid by the PTA.",
    "WE HAD A BRILLIANT DAY UP THE HILL", "Don't forget your packed lunch!", "#Y6Science #SchoolTrip2026",
    "Benchmark results were great, and the benefits were clear.",
])
def test_everyday_words_pass(text: str) -> None:
    assert guard([OutgoingText("The caption", text)], EVERYDAY_ROSTER, first_names_allowed=False).ok, text


@pytest.mark.parametrize(("text", "name"), [
    ("A great day for Grace and her class", "Grace"), ("Well done will!", "Will"), ("Thanks Hope", "Hope"),
    ("Photos by Mr Baker", "Baker"), ("Isla and joy", "Joy"), ("#HopeBaker", "Hope Baker"),
    ("Grace Hill won the race", "Grace Hill"), ("Congratulations to the Bakers", "Baker"),
    ("#TeamBaker", "Baker"), ("Ben's model", "Ben"), ("We saw B\u0435n", "Ben"), ("Gr@ce", "Grace"),
    ("Bill's painting", "Bill"), ("GRACE HILL WON THE RACE", "Grace Hill"), ("well done Hope baker", "Hope Baker"),
])
def test_everyday_names_are_caught_where_they_read_as_names(text: str, name: str) -> None:
    result = guard([OutgoingText("The caption", text)], EVERYDAY_ROSTER, first_names_allowed=False)
    assert _found(result.problems, name), (text, result)


def test_a_first_name_after_st_or_saint_is_a_saint_church_or_school() -> None:
    roster = [RosterName(1, "Mary", "Okafor"), RosterName(2, "Paul", "Nguyen")]
    for text in ["We sang at St Mary's church", "#StMarys", "St Paul's Cathedral #StPaulsCathedral", "Saint Paul"]:
        assert guard([OutgoingText("The caption", text)], roster, first_names_allowed=False).ok, text
    assert not guard([OutgoingText("The caption", "Mary sang at St Paul's")], roster, first_names_allowed=False).ok


@pytest.mark.parametrize("text", ["Grace won the race.", "Hill won the race.", "What a day. Hill walking in the rain!",
                                  "we said grace hill walking"])
def test_a_capital_at_the_start_of_a_sentence_is_a_warning_not_a_refusal(text: str) -> None:
    result = guard([OutgoingText("The caption", text)], EVERYDAY_ROSTER, first_names_allowed=False)
    assert result.ok and [w.rule for w in result.warnings] == ["maybe_name"], result


def test_every_problem_of_every_field_comes_back_at_once() -> None:
    roster = [RosterName(1, "Isla", "Baker"), RosterName(2, "Ben", "Hughes")]
    result = check_caption("Great climbing #IslaBaker", CaptionRules(trip_hashtags=("#TeamHughes",)), roster, (),
                           [AltText("Ben Hughes and Isla Baker abseiling"), AltText("Kit bags")])
    messages = [p.message for p in result.problems]
    assert any(m.startswith('The caption contains "Isla Baker"') for m in messages)
    assert any(m.startswith('The caption contains the surname "Hughes"') for m in messages)  # the trip hashtag
    assert any(m.startswith("Photo 1's description (alt text) contains \"Ben Hughes\"") for m in messages)
    assert any(m.startswith("Photo 1's description (alt text) contains \"Isla Baker\"") for m in messages)
    assert not any("Photo 2" in m for m in messages)


def test_apostrophe_and_hyphen_names_with_or_without_punctuation() -> None:
    roster = [RosterName(1, "Niamh", "O'Brien"), RosterName(2, "Mary-Jane", "Smith-Jones")]
    for text in ["O'Brien", "OBrien", "O Brien", "o\u2019brien", "SmithJones", "Smith Jones", "smith-jones", "#SmithJones"]:
        assert not guard([OutgoingText("The caption", f"Well done {text}")], roster, first_names_allowed=True).ok, text


@pytest.mark.parametrize("text", [
    "Well done I. Ahmed", "Ah med", "Ahm ed won", "\u202edemhA", "Thanks to Mr. Ahmed", "AHMED's team",
    "Is la", "\u24be\u24e2\u24db\u24d0", "\U0001d408\U0001d42c\U0001d425\U0001d41a", "I\u0336s\u0336l\u0336a\u0336",
    "Is\U0001f642la", "#Isla_Ahmed", "isla.ahmed@oak.sch.uk", "x_ahmed_x", "AHMED", "A h m ed", "p\u01dd\u026f\u0265\u0250",
    "\u029c\u1d00\u029f\u029f\u1d0f \u1d00\u029c\u1d0d\u1d07\u1d05", "\U0001f150\U0001f157\U0001f15c\U0001f154\U0001f153",
    "\U0001f1e6\U0001f1ed\U0001f1f2\U0001f1ea\U0001f1e9", "IsIa was brilliant",
])
def test_more_disguises(text: str) -> None:
    roster = [RosterName(1, "Isla", "Ahmed")]
    assert not guard([OutgoingText("The caption", text)], roster, first_names_allowed=False).ok, text


def test_staff_surnames_are_checked_when_listed() -> None:
    roster = [RosterName(1, "", "Featherstonehaugh", staff=True)]
    assert not guard([OutgoingText("The caption", "Thanks to Mrs Featherstonehaugh")], roster, first_names_allowed=True).ok


def test_every_everyday_name_is_a_dictionary_word() -> None:
    assert [w for w in EVERYDAY_NAMES if not is_word(w)] == []


def test_the_roster_index_is_built_once_whatever_is_tagged() -> None:
    from tripposter.pipeline.names import name_index

    roster = tuple(RosterName(i, f"Pupil{chr(97 + i % 26)}", f"Surname{chr(97 + i // 26)}") for i in range(60))
    guard([OutgoingText("The caption", "hello")], roster, first_names_allowed=True)
    built = name_index.cache_info().misses
    for i in range(5):
        tagged = (PupilConsent(i, roster[i].first_name, roster[i].last_name, True, True),)
        guard([OutgoingText("The caption", "hello", tagged)], roster, first_names_allowed=True)
    assert name_index.cache_info().misses == built
