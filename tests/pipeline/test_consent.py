"""Photo consent: tagged pupils, face decisions, blurring and the school's blur setting."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tripposter.pipeline.consent import (
    ConsentResult,
    FaceDecision,
    PupilConsent,
    check_consent,
)

SAM = PupilConsent(1, "Sam", "Lee", photo_consent=True, first_name_consent=True)
AMY = PupilConsent(2, "Amy", "Khan", photo_consent=True, first_name_consent=False)
JO = PupilConsent(3, "Jo", "Hill", photo_consent=False, first_name_consent=False)
TRIP = [SAM, AMY, JO]


def rules(result: ConsentResult) -> list[str]:
    return [p.rule for p in result.problems]


def test_tagged_pupils_with_consent_pass_and_their_faces_stay_clear() -> None:
    faces = [FaceDecision(0, SAM.pupil_id), FaceDecision(1, AMY.pupil_id)]
    result = check_consent(TRIP, [1, 2], faces, face_count=2)
    assert result.ok
    assert result.problems == ()
    assert result.blur == frozenset()


def test_photo_without_faces_passes() -> None:
    result = check_consent(TRIP, [], [], face_count=0)
    assert result.ok and result.blur == frozenset()
    # Hands and backs of heads: tagged pupils with consent, no faces found.
    assert check_consent(TRIP, [1, 2], [], face_count=0).ok


def test_tagged_pupil_without_consent_blocks_and_is_named() -> None:
    result = check_consent(TRIP, [1, 3], [FaceDecision(0, 1)], face_count=1)
    assert not result.ok
    assert rules(result) == ["no_consent"]
    message = result.problems[0].message
    assert "Jo Hill's parents have not given photo consent" in message
    assert "Retake the photo without Jo" in message


def test_faces_without_a_consenting_pupil_are_blurred_by_default() -> None:
    faces = [FaceDecision(0, SAM.pupil_id), FaceDecision(1, None)]
    result = check_consent(TRIP, [1], faces, face_count=4)  # faces 2 and 3 have no decision at all
    assert result.ok
    assert result.blur == {1, 2, 3}


def test_face_assigned_to_a_pupil_without_consent_blocks_even_with_the_setting_on() -> None:
    faces = [FaceDecision(0, JO.pupil_id)]
    for setting in (False, True):
        result = check_consent(TRIP, [3], faces, face_count=1, allow_blurred_without_consent=setting)
        assert rules(result) == ["no_consent"]
        assert "face 1 is marked as Jo" in result.problems[0].message
        assert "Blur Jo's face" in result.problems[0].message
        assert result.blur == {0}  # never shown, whatever happens next


def test_setting_on_lets_an_unconsented_pupil_appear_blurred() -> None:
    faces = [FaceDecision(0, SAM.pupil_id), FaceDecision(1, None)]
    off = check_consent(TRIP, [1, 3], faces, face_count=2)
    on = check_consent(TRIP, [1, 3], faces, face_count=2, allow_blurred_without_consent=True)
    assert rules(off) == ["no_consent"]
    assert on.ok
    assert on.blur == {1}


def test_setting_on_still_needs_a_blurred_face_for_each_unconsented_pupil() -> None:
    jay = PupilConsent(4, "Jay", "Brown", photo_consent=False, first_name_consent=False)
    faces = [FaceDecision(0, SAM.pupil_id), FaceDecision(1, None)]
    result = check_consent([*TRIP, jay], [1, 3, 4], faces, face_count=2, allow_blurred_without_consent=True)
    assert rules(result) == ["blur_missing"]
    assert "Jo Hill and Jay Brown have no photo consent" in result.problems[0].message
    # A face left undecided is blurred too, so it counts.
    assert check_consent([*TRIP, jay], [1, 3, 4], faces, face_count=3, allow_blurred_without_consent=True).ok


def test_face_assigned_to_an_untagged_pupil_is_a_problem() -> None:
    result = check_consent(TRIP, [1], [FaceDecision(0, 1), FaceDecision(1, AMY.pupil_id)], face_count=2)
    assert rules(result) == ["face_not_tagged"]
    assert "Face 2 is assigned to Amy Khan, who is not tagged" in result.problems[0].message
    assert result.blur == {1}


def test_face_assigned_to_a_pupil_not_on_the_trip_is_a_problem() -> None:
    result = check_consent(TRIP, [1], [FaceDecision(0, 99)], face_count=1)
    assert rules(result) == ["face_unknown_pupil"]
    assert result.blur == {0}


def test_unknown_tagged_pupil_is_a_problem() -> None:
    result = check_consent(TRIP, [1, 99], [], face_count=0)
    assert rules(result) == ["unknown_pupil"]
    assert "not on this trip" in result.problems[0].message


def test_conflicting_and_duplicate_decisions_are_problems() -> None:
    conflict = check_consent(TRIP, [1, 2], [FaceDecision(0, 1), FaceDecision(0, 2)], face_count=1)
    assert "face_conflict" in rules(conflict)
    assert conflict.blur == {0}
    twice = check_consent(TRIP, [1], [FaceDecision(0, 1), FaceDecision(1, 1)], face_count=2)
    assert rules(twice) == ["face_twice"]
    assert "Faces 1 and 2 are marked as Sam Lee" in twice.problems[0].message


def test_decision_for_a_face_that_does_not_exist_is_a_problem() -> None:
    result = check_consent(TRIP, [1], [FaceDecision(5, 1)], face_count=2)
    assert "face_unknown" in rules(result)


def test_all_problems_are_returned_at_once() -> None:
    faces = [FaceDecision(0, JO.pupil_id), FaceDecision(1, 99), FaceDecision(2, AMY.pupil_id)]
    result = check_consent(TRIP, [3, 42], faces, face_count=3)
    assert sorted(rules(result)) == ["face_not_tagged", "face_unknown_pupil", "no_consent", "unknown_pupil"]
    assert result.blur == {0, 1, 2}


def test_several_unknown_tags_give_one_problem() -> None:
    assert rules(check_consent(TRIP, [98, 99], [], face_count=0)) == ["unknown_pupil"]


def test_tags_are_deduplicated() -> None:
    result = check_consent(TRIP, [3, 3], [], face_count=0)
    assert rules(result) == ["no_consent"]


@pytest.mark.parametrize("setting", [False, True])
def test_consent_withdrawn_after_upload_blocks_at_publish(setting: bool) -> None:
    faces = [FaceDecision(0, SAM.pupil_id), FaceDecision(1, AMY.pupil_id), FaceDecision(2, None)]
    at_upload = check_consent(TRIP, [1, 2], faces, face_count=3, allow_blurred_without_consent=setting)
    assert at_upload.ok and at_upload.blur == {2}

    # Amy's parents withdraw consent before the post goes out; the same decisions are re-checked.
    fresh = [SAM, replace(AMY, photo_consent=False), JO]
    at_publish = check_consent(fresh, [1, 2], faces, face_count=3, allow_blurred_without_consent=setting)
    assert not at_publish.ok
    assert rules(at_publish) == ["no_consent"]
    assert "Amy Khan's parents have not given photo consent" in at_publish.problems[0].message
    assert at_publish.blur == {1, 2}


def test_pupil_removed_from_trip_after_upload_blocks_at_publish() -> None:
    faces = [FaceDecision(0, SAM.pupil_id)]
    assert check_consent(TRIP, [1], faces, face_count=1).ok
    result = check_consent([AMY, JO], [1], faces, face_count=1)
    assert sorted(rules(result)) == ["face_unknown_pupil", "unknown_pupil"]
    assert result.blur == {0}


def test_face_of_an_untagged_pupil_without_consent_is_refused_for_both_reasons() -> None:
    result = check_consent(TRIP, [1], [FaceDecision(0, 1), FaceDecision(1, JO.pupil_id)], face_count=2)
    assert sorted(rules(result)) == ["face_not_tagged", "no_consent"]
    assert result.blur == {1}
