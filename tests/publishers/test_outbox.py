"""The outbox publisher: posts stored locally, atomically, and read back safely."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.publishers.conftest import make_jpeg
from tripposter.publishers.base import Attempt, InvalidPostError, Post, PostImage, Publisher
from tripposter.publishers.outbox import OutboxNotFoundError, OutboxPublisher


ATTEMPT = Attempt("b" * 32, datetime(2026, 6, 3, 10, 0, tzinfo=UTC), 2)


def _post(text: str = "Pond dipping at Wicken Fen #Year4Trip", count: int = 2, attempt: Attempt | None = None) -> Post:
    images = tuple(
        PostImage(make_jpeg(32 + i, 24, seed=i), f"Children looking into a pond, photo {i + 1}")
        for i in range(count)
    )
    return Post(text=text, images=images, attempt=attempt)


def test_outbox_is_a_publisher(tmp_path: Path) -> None:
    assert isinstance(OutboxPublisher(tmp_path / "outbox"), Publisher)


def test_publish_stores_record_and_images(tmp_path: Path) -> None:
    outbox = OutboxPublisher(tmp_path / "outbox")
    post = _post(count=3)

    published = outbox.publish(post)

    assert published.url == f"/outbox/{published.remote_id}"
    assert published.rate_limit is None
    [stored] = outbox.list_posts()
    assert stored.id == published.remote_id
    assert stored.text == post.text
    assert stored.alt_texts == tuple(image.alt_text for image in post.images)
    assert stored.reply_settings == "mentionedUsers"
    assert stored.created_at.tzinfo is not None
    for index, image in enumerate(post.images):
        path = outbox.image_path(published.remote_id, index)
        assert path.read_bytes() == image.jpeg
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    record = json.loads((tmp_path / "outbox" / published.remote_id / "post.json").read_text())
    assert record["image_names"] == ["0.jpg", "1.jpg", "2.jpg"]


def test_list_posts_is_newest_first(tmp_path: Path) -> None:
    outbox = OutboxPublisher(tmp_path)
    ids = [outbox.publish(_post(text=f"Post number {n}")).remote_id for n in range(3)]

    assert [p.id for p in outbox.list_posts()] == list(reversed(ids))


def test_failed_write_leaves_no_half_post(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outbox = OutboxPublisher(tmp_path)

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "rename", crash)
    with pytest.raises(OSError, match="disk full"):
        outbox.publish(_post())

    assert outbox.list_posts() == []
    assert list(tmp_path.iterdir()) == []


def test_interrupted_temp_folder_is_invisible_and_named_with_its_attempt(tmp_path: Path) -> None:
    outbox = OutboxPublisher(tmp_path)
    old_style = tmp_path / ".tmp-0123456789abcdef0123456789abcdef"
    old_style.mkdir()
    (old_style / "0.jpg").write_bytes(b"\xff\xd8\xffhalf")

    def die(step: str) -> None:
        if step == "outbox-record":
            raise KeyboardInterrupt  # stands for a kill: not an error the writer lives through

    with pytest.raises(KeyboardInterrupt):
        OutboxPublisher(tmp_path, checkpoint=die).publish(_post(attempt=ATTEMPT))
    assert outbox.list_posts() == []
    found = {leftover.attempt_id: leftover.files for leftover in outbox.leftovers()}
    assert found == {None: 1, ATTEMPT.id: 3}  # two photos and post.json
    for leftover in outbox.leftovers():
        assert outbox.remove_leftover(leftover.name)
    assert list(tmp_path.iterdir()) == []


def test_a_failure_the_writer_lives_through_leaves_nothing(tmp_path: Path) -> None:
    def fail(step: str) -> None:
        if step == "outbox-image-0":
            raise OSError("disk full")

    with pytest.raises(OSError):
        OutboxPublisher(tmp_path, checkpoint=fail).publish(_post())
    assert list(tmp_path.iterdir()) == []


def test_remove_leftover_refuses_anything_but_an_unfinished_folder(tmp_path: Path) -> None:
    outbox = OutboxPublisher(tmp_path)
    post_id = outbox.publish(_post()).remote_id
    for name in (post_id, "..", ".tmp-../x", "post.json"):
        with pytest.raises(OutboxNotFoundError):
            outbox.remove_leftover(name)
    assert len(outbox.list_posts()) == 1


@pytest.mark.parametrize(
    "bad_id",
    ["../etc", "..", "", "0123456789ABCDEF0123456789ABCDEF", "0123456789abcdef", "a/b", "x" * 32],
)
def test_image_path_refuses_bad_ids(tmp_path: Path, bad_id: str) -> None:
    outbox = OutboxPublisher(tmp_path / "outbox")
    outbox.publish(_post())
    with pytest.raises(OutboxNotFoundError):
        outbox.image_path(bad_id, 0)


def test_image_path_refuses_bad_indexes(tmp_path: Path) -> None:
    outbox = OutboxPublisher(tmp_path)
    post_id = outbox.publish(_post(count=2)).remote_id
    for index in (-1, 2, 4, True):
        with pytest.raises(OutboxNotFoundError):
            outbox.image_path(post_id, index)


def test_image_path_refuses_tampered_record(tmp_path: Path) -> None:
    outbox = OutboxPublisher(tmp_path / "outbox")
    post_id = outbox.publish(_post(count=1)).remote_id
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(b"not for the outbox")
    record_path = tmp_path / "outbox" / post_id / "post.json"
    record = json.loads(record_path.read_text())
    record["image_names"] = ["../../secret.jpg"]
    record_path.write_text(json.dumps(record))

    with pytest.raises(OutboxNotFoundError):
        outbox.image_path(post_id, 0)


def test_unknown_but_well_formed_id_is_not_found(tmp_path: Path) -> None:
    outbox = OutboxPublisher(tmp_path)
    with pytest.raises(OutboxNotFoundError):
        outbox.get("0" * 32)


def test_find_recent_finds_only_the_attempts_own_post_never_a_same_text_one(tmp_path: Path) -> None:
    outbox = OutboxPublisher(tmp_path)
    earlier = outbox.publish(_post(text="#Year6 #Museum"))  # an earlier photo-only post: the same text
    assert outbox.find_recent("#Year6 #Museum", ATTEMPT) is None
    mine = outbox.publish(_post(text="#Year6 #Museum", attempt=ATTEMPT))
    assert outbox.find_recent("#Year6 #Museum", ATTEMPT) == mine != earlier
    assert outbox.find_recent("#Year6", ATTEMPT) is None
    known = Attempt(ATTEMPT.id, ATTEMPT.started_at, 2, frozenset({mine.remote_id}))
    assert outbox.find_recent("#Year6 #Museum", known) is None
    assert outbox.get(mine.remote_id).attempt_id == ATTEMPT.id


def test_delete_post_removes_files(tmp_path: Path) -> None:
    outbox = OutboxPublisher(tmp_path)
    post_id = outbox.publish(_post()).remote_id
    assert outbox.delete_post(post_id) == (3, True)
    assert outbox.list_posts() == []
    assert not (tmp_path / post_id).exists()


@pytest.mark.parametrize("count", [0, 5])
def test_post_needs_one_to_four_images(count: int) -> None:
    with pytest.raises(InvalidPostError):
        _post(count=count)


def test_post_limits_on_alt_text_size_and_format() -> None:
    jpeg = make_jpeg()
    assert PostImage(jpeg, "a" * 1000).alt_text
    with pytest.raises(InvalidPostError):
        PostImage(jpeg, "a" * 1001)
    with pytest.raises(InvalidPostError):
        PostImage(jpeg, "   ")
    with pytest.raises(InvalidPostError):
        PostImage(b"\x89PNG\r\n\x1a\n" + b"0" * 100, "a PNG")
    assert PostImage(b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024 - 3), "exactly 5 MB").jpeg
    with pytest.raises(InvalidPostError):
        PostImage(b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024 - 2), "too big by one byte")
    with pytest.raises(InvalidPostError):
        Post(text="Hi", images=(PostImage(jpeg, "x"),), reply_settings="everyone")
