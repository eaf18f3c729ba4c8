"""The default publisher: posts land in a local folder shown on the Outbox page. Nothing leaves the machine.

The practice outbox channel is the same publisher on its own folder, with its own address prefix.

Layout: ``<root>/<post id>/post.json`` plus ``0.jpg`` … ``3.jpg``. A post is assembled in a hidden
``.tmp-<attempt id>-*`` folder and renamed into place in one step, so a crash never leaves half a
post visible. A worker killed before the rename leaves that folder behind: ``leftovers`` names it
with its attempt, so recovery destroys it at once and records it against the attempt's trip.
``post.json`` holds the attempt's id, which is how recovery knows this post is that attempt's.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tripposter.publishers.base import Attempt, Post, Published, PublishError

_ID_PATTERN = re.compile(r"[0-9a-f]{32}")
_TEMP_PREFIX = ".tmp-"
_TEMP_PATTERN = re.compile(r"\.tmp-(?:([0-9a-f]{32})-)?[0-9a-f]{8,32}")
_RECORD = "post.json"
MAIN_URL = "/outbox"
PRACTICE_URL = "/outbox/practice"


class OutboxNotFoundError(PublishError):
    """No such post or image in the outbox."""

    code = "not_found"


@dataclass(frozen=True)
class OutboxPost:
    """One post as stored in the outbox."""

    id: str
    text: str = field(repr=False)
    created_at: datetime
    alt_texts: tuple[str, ...]
    image_names: tuple[str, ...]
    reply_settings: str | None
    attempt_id: str | None = None
    url_prefix: str = MAIN_URL

    @property
    def url(self) -> str:
        """The local page that shows this post."""
        return f"{self.url_prefix}/{self.id}"


@dataclass(frozen=True)
class Leftover:
    """An unfinished post's folder, left by a writer that died before its rename."""

    name: str
    attempt_id: str | None
    files: int


class OutboxPublisher:
    """Publishes into ``root`` (created with owner-only permissions if missing).

    ``url_prefix`` is where the app shows this folder's posts. ``checkpoint`` is a test hook called
    between the write's steps, to kill the writer there.
    """

    def __init__(self, root: Path, checkpoint: Callable[[str], None] | None = None, *,
                 url_prefix: str = MAIN_URL) -> None:
        self.root = Path(root)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.checkpoint = checkpoint or (lambda step: None)
        self.url_prefix = url_prefix

    def check_connection(self) -> str:
        """What the Networks page calls this folder, once a probe file was written to it and removed.

        Raises:
            PublishError: the folder cannot be written (the message says what to do).
        """
        probe = self.root / f"{_TEMP_PREFIX}probe-{secrets.token_hex(8)}"
        try:
            _write_durably(probe, b"")
            probe.unlink()
        except OSError as exc:
            raise PublishError(
                "The practice outbox's folder on this server cannot be written. Ask whoever looks after "
                "the server to let tripposter write to its instance folder, then press Test connection."
            ) from exc
        return "a folder on this server"

    def publish(self, post: Post) -> Published:
        """Store the post and its images atomically and return its local URL."""
        post_id = secrets.token_hex(16)
        attempt = post.attempt.id if post.attempt else None
        temp = self.root / f"{_TEMP_PREFIX}{attempt + '-' if attempt else ''}{secrets.token_hex(8)}"
        temp.mkdir(mode=0o700)
        try:
            self.checkpoint("outbox-folder")
            names = []
            for index, image in enumerate(post.images):
                names.append(f"{index}.jpg")
                _write_durably(temp / names[-1], image.jpeg)
                self.checkpoint(f"outbox-image-{index}")
            record = {
                "id": post_id, "attempt_id": attempt, "text": post.text, "created_at": datetime.now(UTC).isoformat(),
                "alt_texts": [image.alt_text for image in post.images], "image_names": names,
                "reply_settings": post.reply_settings,
            }
            _write_durably(temp / _RECORD, json.dumps(record, ensure_ascii=False).encode())
            self.checkpoint("outbox-record")
            os.rename(temp, self.root / post_id)  # the one step that makes the post exist
        except Exception:
            # A failure we live through cleans up here; a kill leaves the folder to ``leftovers``.
            shutil.rmtree(temp, ignore_errors=True)
            raise
        self.checkpoint("outbox-renamed")
        _fsync_dir(self.root)
        return Published(remote_id=post_id, url=f"{self.url_prefix}/{post_id}")

    def list_posts(self) -> list[OutboxPost]:
        """Every stored post, newest first."""
        posts = []
        for entry in self.root.iterdir():
            if _ID_PATTERN.fullmatch(entry.name) and (entry / _RECORD).is_file():
                posts.append(self._read(entry.name))
        return sorted(posts, key=lambda p: (p.created_at, p.id), reverse=True)

    def get(self, post_id: str) -> OutboxPost:
        """One stored post.

        Raises:
            OutboxNotFoundError: the id is malformed or unknown.
        """
        return self._read(self._post_dir(post_id).name)

    def image_path(self, post_id: str, index: int) -> Path:
        """The file of image ``index`` of a post; ids and indexes are checked, so no path escapes root.

        Raises:
            OutboxNotFoundError: the id is malformed or unknown, or there is no such image.
        """
        post = self.get(post_id)
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(post.image_names):
            raise OutboxNotFoundError("That photo is not in the outbox.")
        path = (self.root / post.id / post.image_names[index]).resolve()
        if path.parent != (self.root / post.id).resolve() or not path.is_file():
            raise OutboxNotFoundError("That photo is not in the outbox.")
        return path

    def find_recent(self, text: str, attempt: Attempt) -> Published | None:
        """The stored post this attempt wrote (its id is in ``post.json``); never one that only shares its text."""
        for post in self.list_posts():
            if post.attempt_id == attempt.id and post.text == text and post.id not in attempt.known_ids:
                return Published(remote_id=post.id, url=post.url)
        return None

    def delete_post(self, post_id: str) -> tuple[int, bool]:
        """Remove a post and its images from the outbox: how many files it held, and whether it is gone.

        Raises:
            OutboxNotFoundError: the id is malformed or unknown.
        """
        path = self._post_dir(post_id)
        return _count_files(path), _remove(path, self.root)

    def leftovers(self) -> list[Leftover]:
        """Unfinished posts' folders, each with the attempt that was writing it when known."""
        found = []
        for entry in self.root.iterdir():
            if match := _TEMP_PATTERN.fullmatch(entry.name):
                found.append(Leftover(entry.name, match.group(1), _count_files(entry)))
        return sorted(found, key=lambda leftover: leftover.name)

    def remove_leftover(self, name: str) -> bool:
        """Destroy one unfinished folder named by ``leftovers``; True once it is confirmed gone."""
        if not _TEMP_PATTERN.fullmatch(name):
            raise OutboxNotFoundError("That is not an unfinished outbox folder.")
        return _remove(self.root / name, self.root)

    def _post_dir(self, post_id: str) -> Path:
        if not isinstance(post_id, str) or not _ID_PATTERN.fullmatch(post_id):
            raise OutboxNotFoundError("That post is not in the outbox.")
        path = self.root / post_id
        if not (path / _RECORD).is_file():
            raise OutboxNotFoundError("That post is not in the outbox.")
        return path

    def _read(self, post_id: str) -> OutboxPost:
        record = json.loads((self.root / post_id / _RECORD).read_text(encoding="utf-8"))
        return OutboxPost(
            id=post_id,
            text=record["text"],
            created_at=datetime.fromisoformat(record["created_at"]),
            alt_texts=tuple(record["alt_texts"]),
            image_names=tuple(record["image_names"]),
            reply_settings=record.get("reply_settings"),
            attempt_id=record.get("attempt_id"),
            url_prefix=self.url_prefix,
        )


def _write_durably(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _count_files(path: Path) -> int:
    return sum(1 for entry in path.rglob("*") if not entry.is_dir()) if path.is_dir() else 0


def _remove(path: Path, root: Path) -> bool:
    """Delete a folder, push the deletion to disk, and confirm with a stat that it is gone."""
    shutil.rmtree(path, ignore_errors=True)
    _fsync_dir(root)
    return not os.path.lexists(path)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
