"""Caption rules: weighted length, pupils' names, mentions, language, links, final text."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from tripposter.pipeline.caption import (
    MAX_WEIGHTED_LENGTH,
    CaptionRules,
    RosterName,
    check_caption,
    final_text,
    language_problems,
    mention_problems,
    name_problems,
    weighted_length,
)
from tripposter.pipeline.consent import PupilConsent
from tripposter.pipeline.wordlists import EVERYDAY_NAMES

ROSTER = [
    RosterName(1, "Sam", "Lee"),
    RosterName(2, "Will", "Hill"),
    RosterName(3, "Zoë", "Müller"),
    RosterName(4, "Mary-Jane", "Smith-Jones"),
    RosterName(5, "Ana", "De La Cruz"),
    RosterName(6, "Ola", "Brown"),
    RosterName(7, "Sam", "Field"),
]
SAM = PupilConsent(1, "Sam", "Lee", photo_consent=True, first_name_consent=True)
RULES = CaptionRules(
    school_hashtags=("#OakSchool",), trip_hashtags=("#Y6Science",), allowed_handles=("@OakSchool",)
)


def found(
    caption: str, *, tagged: tuple[PupilConsent, ...] = (), first_names: bool = False
) -> list[tuple[str, str]]:
    problems = name_problems(caption, ROSTER, tagged, first_names_allowed=first_names)
    return [(p.rule, re.search(r'"([^"]+)"', p.message).group(1)) for p in problems]  # type: ignore[union-attr]


# --- names -------------------------------------------------------------------------------


def test_surname_that_is_a_common_word_is_refused_where_it_reads_as_a_name() -> None:
    problems = name_problems("We walked up with Mr Hill.", ROSTER, (), first_names_allowed=False)
    assert [p.message for p in problems] == [
        'The caption contains the surname "Hill", which belongs to a pupil on the roster. '
        "Remove it: pupils' surnames are never posted."
    ]
    assert found("We ate Brown bread in a Field of sheep") == [("surname", "Brown"), ("surname", "Field")]
    # The same words as ordinary words pass.
    assert found("We walked up the hill.") == []
    assert found("brown bread and a field of sheep") == []


def test_surnames_match_whole_words_in_any_case_with_punctuation_and_possessives() -> None:
    for caption in ["Lee's model", "LEE\u2019S model", "thanks, lee!", "#Lee", "(Lee)", "lee_2024", "Mr.Lee"]:
        assert found(caption) == [("surname", "Lee")], caption
    for caption in ["Leeds trip", "Hillside walk", "Brownies", "sleek", "fielding practice"]:
        assert found(caption) == [], caption


def test_full_name_is_reported_once_as_a_full_name() -> None:
    assert found("Well done SAM LEE!") == [("full_name", "Sam Lee")]
    assert found("sam-lee and sam lee again") == [("full_name", "Sam Lee")]


def test_accents_are_ignored_both_ways() -> None:
    assert found("MULLER won") == [("surname", "Müller")]
    assert found("M\u00fcller\u2019s team") == [("surname", "Müller")]
    assert found("Zoe\u0308 smiled", first_names=False) == [("first_name", "Zoë")]  # decomposed accent


def test_hyphenated_and_multi_word_surnames() -> None:
    assert found("Smith-Jones") == [("surname", "Smith-Jones")]
    assert found("smith jones") == [("surname", "Smith-Jones")]
    assert found("Jones scored") == [("surname", "Jones")]
    assert found("de la cruz") == [("surname", "De La Cruz")]
    assert found("Cruz") == [("surname", "Cruz")]
    # Particles alone are ordinary words.
    assert found("ooh la la, de rigueur") == []


def test_first_names_refused_when_the_school_does_not_allow_them() -> None:
    problems = name_problems("Sam loved it", ROSTER, (SAM,), first_names_allowed=False)
    assert [p.rule for p in problems] == ["first_name"]
    assert "The school does not post first names" in problems[0].message


def test_first_name_allowed_for_a_tagged_pupil_with_consent() -> None:
    assert found("Sam loved it", tagged=(SAM,), first_names=True) == []
    assert (
        found(
            "Mary-Jane and Mary",
            tagged=(PupilConsent(4, "Mary-Jane", "Smith-Jones", True, True),),
            first_names=True,
        )
        == []
    )


def test_first_name_refused_without_consent_or_tag() -> None:
    no_consent = PupilConsent(1, "Sam", "Lee", photo_consent=True, first_name_consent=False)
    problems = name_problems("Sam loved it", ROSTER, (no_consent,), first_names_allowed=True)
    assert "have not agreed to their first name" in problems[0].message
    problems = name_problems("Ana loved it", ROSTER, (SAM,), first_names_allowed=True)
    assert "not tagged in this photo" in problems[0].message


def test_first_name_shared_by_two_tagged_pupils_needs_both_consents() -> None:
    other_sam = PupilConsent(7, "Sam", "Field", photo_consent=True, first_name_consent=False)
    assert [r for r, _ in found("Sam loved it", tagged=(SAM, other_sam), first_names=True)] == ["first_name"]


def test_first_name_that_is_an_ordinary_word_is_flagged_only_where_it_reads_as_a_name() -> None:
    assert name_problems("We will visit again", ROSTER, (), first_names_allowed=True) == []
    problems = name_problems("We went with Will", ROSTER, (), first_names_allowed=True)
    assert [p.rule for p in problems] == ["first_name"]
    assert '"Will"' in problems[0].message and "reword the sentence" in problems[0].message


def test_a_name_that_is_both_a_first_name_and_a_surname_is_refused_as_a_surname() -> None:
    roster = [*ROSTER, RosterName(8, "Lee", "Patel")]
    tagged = (PupilConsent(8, "Lee", "Patel", True, True),)
    problems = name_problems("Lee did well", roster, tagged, first_names_allowed=True)
    assert [p.rule for p in problems] == ["surname"]


def test_tagged_pupils_are_guarded_even_if_missing_from_the_roster() -> None:
    stranger = PupilConsent(50, "Kit", "Vance", True, True)
    assert [p.rule for p in name_problems("Vance", [], (stranger,), first_names_allowed=True)] == ["surname"]


# --- mentions, language, links -------------------------------------------------------------


def test_mentions_outside_the_allowed_handles_are_refused() -> None:
    problems = mention_problems("Thanks @oakschool and @ScienceMuseum and @sciencemuseum!", ["OakSchool"])
    assert [p.rule for p in problems] == ["mention"]
    assert "@ScienceMuseum" in problems[0].message
    assert mention_problems("Email office@oak.sch.uk", []) == []


def test_text_speak_is_refused_as_whole_words() -> None:
    problems = language_problems(
        "lol it was gr8, THX! U.K. trip, Uganda, plus ultra", ("lol", "gr8", "thx", "u")
    )
    assert [p.message.split('"')[1] for p in problems] == ["lol", "gr8", "THX"]
    assert all(p.rule == "text_speak" for p in problems)


def test_offensive_words_are_refused_but_place_names_pass() -> None:
    assert [p.rule for p in language_problems("What a damn good day", ())] == ["offensive"]
    for caption in [
        "Scunthorpe",
        "Essex and Middlesex",
        "Penistone",
        "the cockpit of a plane",
        "Cockermouth",
    ]:
        assert language_problems(caption, ()) == [], caption


def test_offensive_phrase_of_innocent_words_is_refused() -> None:
    problems = language_problems("how to blow job applications away", ())
    assert [p.rule for p in problems] == ["offensive"]
    assert "phrase" in problems[0].message


def test_school_can_allow_words_the_filter_would_refuse() -> None:
    assert [p.rule for p in language_problems("We heard the organ", ())] == ["offensive"]
    assert language_problems("We heard the Organ", (), allowed_words=("organ",)) == []


def test_links_are_a_warning_not_a_problem() -> None:
    result = check_caption("Read more at https://oak.sch.uk/trips", RULES, ROSTER, ())
    assert result.ok
    assert [w.rule for w in result.warnings] == ["link"]


# --- length and final text -------------------------------------------------------------------


def test_length_counts_the_appended_hashtags_and_uses_weighted_length() -> None:
    tags = "\n\n#OakSchool #Y6Science"
    room = MAX_WEIGHTED_LENGTH - len(tags)
    assert check_caption("a" * room, RULES, [], ()).ok
    over = check_caption("a" * (room + 1), RULES, [], ())
    assert [p.rule for p in over.problems] == ["length"]
    assert over.weighted_length == 281 and "Shorten the caption by 1 character" in over.problems[0].message
    # Emoji count two: 130 of them are 260 by X's count though len() says 130.
    emoji = check_caption("🎉" * 130, RULES, [], ())
    assert emoji.weighted_length == 260 + len(tags) and not emoji.ok
    assert weighted_length("é" * 280) == 280


def test_final_text_appends_missing_tags_once() -> None:
    rules = CaptionRules(
        school_hashtags=("OakSchool", "#oakschool"), trip_hashtags=("#Y6Science", "#OakSchool")
    )
    assert final_text("  Great day  ", rules) == "Great day\n\n#OakSchool #Y6Science"
    assert final_text("Great day #oakSCHOOL", rules) == "Great day #oakSCHOOL\n\n#Y6Science"
    assert final_text("", rules) == "#OakSchool #Y6Science"
    assert final_text("#OakSchoolTrip", rules).endswith("#OakSchool #Y6Science")
    assert final_text("Great day", CaptionRules()) == "Great day"


def test_all_problems_are_returned_at_once() -> None:
    result = check_caption("Sam Lee lol @someone damn " + "x" * 300, RULES, ROSTER, ())
    assert sorted(p.rule for p in result.problems) == [
        "full_name",
        "length",
        "mention",
        "offensive",
        "text_speak",
    ]
    assert result.text.endswith("#OakSchool #Y6Science")


# --- properties --------------------------------------------------------------------------------

SAFE = (
    "we had a great day at the museum year class learning about rockets and science trip thank you all staff"
).split()
LETTERS = "abcdefghijklmnopqrstuvwxyzéöñçøåł"


def plain(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c)).casefold()


# Names that are everyday words ("head", "will") count only where they read as names: tested in test_name_guard.py.
names = st.text(alphabet=LETTERS, min_size=2, max_size=10).filter(
    lambda n: plain(n) not in SAFE and plain(n) not in EVERYDAY_NAMES
)
rosters = st.lists(st.tuples(names, names), min_size=1, max_size=20).map(
    lambda pairs: [RosterName(i, first.title(), last.title()) for i, (first, last) in enumerate(pairs)]
)
safe_captions = st.lists(st.sampled_from(SAFE), max_size=30).map(" ".join)
punctuation = st.text(alphabet=" .,!?'\"()-:;\u2019", max_size=3)
handles = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", min_size=1, max_size=15
)
tag_bodies = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,11}", fullmatch=True)
fast = settings(max_examples=60, deadline=None)


@fast
@given(rosters, safe_captions, st.data())
def test_property_inserted_surname_is_always_flagged(
    roster: list[RosterName], caption: str, data: st.DataObject
) -> None:
    pupil = data.draw(st.sampled_from(roster))
    cased = "".join(c.upper() if data.draw(st.booleans()) else c for c in pupil.last_name)
    words = caption.split()
    at = data.draw(st.integers(0, len(words)))
    words.insert(at, data.draw(punctuation) + cased + data.draw(punctuation))
    problems = name_problems(" ".join(words), roster, (), first_names_allowed=True)
    quoted = [p.message.split('"')[1].casefold() for p in problems if p.rule == "surname"]
    assert pupil.last_name.casefold() in quoted


@fast
@given(rosters, safe_captions, st.booleans())
def test_property_safe_captions_never_trigger_names(
    roster: list[RosterName], caption: str, allowed: bool
) -> None:
    assert name_problems(caption, roster, (), first_names_allowed=allowed) == []


@fast
@given(st.lists(tag_bodies, max_size=4), st.lists(tag_bodies, max_size=4), safe_captions, st.data())
def test_property_final_text_holds_every_required_tag_exactly_once(
    school: list[str], trip: list[str], caption: str, data: st.DataObject
) -> None:
    rules = CaptionRules(school_hashtags=tuple("#" + t for t in school), trip_hashtags=tuple(trip))
    required = {t.casefold() for t in school + trip}
    present = (
        data.draw(st.lists(st.sampled_from(sorted(required)), max_size=2, unique=True)) if required else []
    )
    text = final_text(" ".join([caption, *("#" + t.upper() for t in present)]), rules)
    counts = {t: 0 for t in required}
    for tag in re.findall(r"#(\w+)", text):
        counts[tag.casefold()] = counts.get(tag.casefold(), 0) + 1
    assert all(counts[t] == 1 for t in required)


@fast
@given(st.text(max_size=320))
def test_property_length_problem_exactly_when_over_280(caption: str) -> None:
    result = check_caption(caption, RULES, [], ())
    assert result.weighted_length == weighted_length(result.text)
    has_problem = any(p.rule == "length" for p in result.problems)
    assert has_problem == (result.weighted_length > MAX_WEIGHTED_LENGTH)


@fast
@given(st.lists(handles, min_size=1, max_size=5), st.lists(handles, max_size=5), st.data())
def test_property_allowed_handles_pass_and_others_fail(
    allowed: list[str], others: list[str], data: st.DataObject
) -> None:
    folded = {h.casefold() for h in allowed}
    strangers = [h for h in others if h.casefold() not in folded]
    settings_form = [("@" + h if data.draw(st.booleans()) else h) for h in allowed]
    mentioned = [h.swapcase() if data.draw(st.booleans()) else h for h in allowed]
    caption = " ".join(f"hi @{h}," for h in [*mentioned, *strangers])
    problems = mention_problems(caption, settings_form)
    flagged = {p.message.split("@")[1].split(",")[0].casefold() for p in problems}
    assert flagged == {h.casefold() for h in strangers}


def test_full_width_at_sign_is_a_mention_too() -> None:
    assert [p.rule for p in mention_problems("Thanks \uff20bbc", ["OakSchool"])] == ["mention"]
