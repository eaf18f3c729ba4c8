"""The default publisher: posts land in a local folder shown on the Outbox page. Nothing leaves the machine.

Layout: ``<root>/<post id>/post.json`` plus ``0.jpg`` … ``3.jpg``. A post is assembled in a hidden
``.tmp-*`` folder and renamed into place in one step, so a crash never leaves half a post visible.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tripposter.publishers.base import Post, Published, PublishError

_ID_PATTERN = re.compile(r"[0-9a-f]{32}")
_TEMP_PREFIX = ".tmp-"
_STALE_TEMP_SECONDS = 3600  # only sweep leftovers this old, so a concurrent writer is never disturbed
_RECORD = "post.json"


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

    @property
    def url(self) -> str:
        """The local page that shows this post."""
        return f"/outbox/{self.id}"


class OutboxPublisher:
    """Publishes into ``root`` (created with owner-only permissions if missing)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)

    def publish(self, post: Post) -> Published:
        """Store the post and its images atomically and return its local URL."""
        post_id = secrets.token_hex(16)
        temp = self.root / f"{_TEMP_PREFIX}{post_id}"
        temp.mkdir(mode=0o700)
        try:
            names = []
            for index, image in enumerate(post.images):
                name = f"{index}.jpg"
                _write_durably(temp / name, image.jpeg)
                names.append(name)
            record = {
                "id": post_id,
                "text": post.text,
                "created_at": datetime.now(UTC).isoformat(),
                "alt_texts": [image.alt_text for image in post.images],
                "image_names": names,
                "reply_settings": post.reply_settings,
            }
            _write_durably(temp / _RECORD, json.dumps(record, ensure_ascii=False).encode())
            os.rename(temp, self.root / post_id)  # the one step that makes the post exist
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
        _fsync_dir(self.root)
        self._sweep_stale_temp()
        return Published(remote_id=post_id, url=f"/outbox/{post_id}")

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

    def find_recent(self, text: str) -> Published | None:
        """The newest stored post with exactly this caption, if any."""
        for post in self.list_posts():
            if post.text == text:
                return Published(remote_id=post.id, url=post.url)
        return None

    def delete_post(self, post_id: str) -> None:
        """Remove a post and its images from the outbox.

        Raises:
            OutboxNotFoundError: the id is malformed or unknown.
        """
        shutil.rmtree(self._post_dir(post_id))

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
        )

    def _sweep_stale_temp(self) -> None:
        cutoff = time.time() - _STALE_TEMP_SECONDS
        for entry in self.root.iterdir():
            if entry.name.startswith(_TEMP_PREFIX) and entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry, ignore_errors=True)


def _write_durably(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
