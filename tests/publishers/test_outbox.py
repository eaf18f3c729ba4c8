"""The outbox publisher: posts stored locally, atomically, and read back safely."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest

from tests.publishers.conftest import make_jpeg
from tripposter.publishers.base import InvalidPostError, Post, PostImage, Publisher
from tripposter.publishers.outbox import OutboxNotFoundError, OutboxPublisher


def _post(text: str = "Pond dipping at Wicken Fen #Year4Trip", count: int = 2) -> Post:
    images = tuple(
        PostImage(make_jpeg(32 + i, 24, seed=i), f"Children looking into a pond, photo {i + 1}")
        for i in range(count)
    )
    return Post(text=text, images=images)


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


def test_interrupted_temp_folder_is_invisible_and_swept_when_stale(tmp_path: Path) -> None:
    outbox = OutboxPublisher(tmp_path)
    leftover = tmp_path / ".tmp-0123456789abcdef0123456789abcdef"
    leftover.mkdir()
    (leftover / "0.jpg").write_bytes(b"\xff\xd8\xffhalf")
    assert outbox.list_posts() == []

    old = time.time() - 2 * 3600
    os.utime(leftover, (old, old))
    outbox.publish(_post())

    assert not leftover.exists()
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


def test_find_recent_matches_exact_caption_newest_first(tmp_path: Path) -> None:
    outbox = OutboxPublisher(tmp_path)
    outbox.publish(_post(text="Museum visit #Year6"))
    newer = outbox.publish(_post(text="Museum visit #Year6"))
    outbox.publish(_post(text="Something else"))

    assert outbox.find_recent("Museum visit #Year6") == newer
    assert outbox.find_recent("Museum visit") is None


def test_delete_post_removes_files(tmp_path: Path) -> None:
    outbox = OutboxPublisher(tmp_path)
    post_id = outbox.publish(_post()).remote_id
    outbox.delete_post(post_id)
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
