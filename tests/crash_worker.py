"""A real worker process for the crash tests, talking to a fake X whose state lives in a file.

X is faked with ``responses`` *inside this process* (tweepy and our media uploader run for real),
and every media upload and accepted post is written to a SQLite file before X "answers". So when
this process is killed with SIGKILL, X's side survives it, exactly as the real X would, and the
next worker's reconciliation reads the real timeline.

A crash point is either a step of the publish path (``Runtime.checkpoint``), or a moment inside
an HTTP exchange with X, or half-way through destroying the spool files. Reaching it sends this
process SIGKILL: no ``finally``, no rollback, no flush.

Run by the tests through a forkserver (``run_worker``), which pays the imports once, or by hand
as ``python -m tests.crash_worker CONFIG.json`` for a long-running consumer (two-worker tests).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import sqlite3
import sys
import tempfile
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import responses
from sqlalchemy.orm import Session

from tripposter.compose import build_runtime
from tripposter.config import Settings
from tripposter.jobs import Queue
from tripposter.models import utcnow
from tripposter.publishers.outbox import OutboxPublisher
from tripposter.publishers.x_connect import TokenBox, XTokens
from tripposter.services.networks import x_account
from tripposter.services.posting.recovery import recover

MEDIA_API = "https://api.x.com"
TWEETS_URL = "https://api.twitter.com/2/tweets"  # tweepy 4.17's hard-coded host
TIMELINE = re.compile(r"https://api\.twitter\.com/2/users/(\d+)/tweets.*")
# Crash points that live inside X's side of an exchange (the rest are Runtime.checkpoint steps).
X_POINTS = {"media-init", "media-append", "media-second", "x-accepted"}
Reply = tuple[int, dict[str, str], str]


def die() -> None:
    """The worker dies here, as if the machine lost power or the OOM killer chose it."""
    os.kill(os.getpid(), signal.SIGKILL)


class FakeX:
    """X's side: media uploads and posts, in a SQLite file shared by every worker process."""

    def __init__(self, path: Path, *, crash_at: str = "", timeline: str = "ok", duplicates: bool = False) -> None:
        # One connection per process, shared by the consumer's threads under a lock.
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self.lock = threading.RLock()
        self.db.executescript(
            "CREATE TABLE IF NOT EXISTS media (id INTEGER PRIMARY KEY AUTOINCREMENT, bytes INTEGER DEFAULT 0,"
            " chunks INTEGER DEFAULT 0, done INTEGER DEFAULT 0, alt TEXT DEFAULT '');"
            "CREATE TABLE IF NOT EXISTS tweet (id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT, media TEXT, pid INTEGER,"
            " at TEXT);"
            "CREATE TABLE IF NOT EXISTS attempt (id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT, outcome TEXT);"
        )
        self.crash_at, self.timeline, self.duplicates = crash_at, timeline, duplicates
        self.inits = 0

    def _write(self, sql: str, args: tuple[Any, ...]) -> int:
        """One committed write: X has it, whatever happens to the caller next."""
        with self.lock:
            return int(self.db.execute(sql, args).lastrowid or 0)

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        with self.lock:
            return self.db.execute(sql, args).fetchall()

    def install(self, mock: responses.RequestsMock) -> None:
        mock.add_callback(responses.POST, f"{MEDIA_API}/2/media/upload/initialize", self.initialize)
        mock.add_callback(responses.POST, re.compile(rf"{MEDIA_API}/2/media/upload/\d+/append"), self.append)
        mock.add_callback(responses.POST, re.compile(rf"{MEDIA_API}/2/media/upload/\d+/finalize"), self.finalize)
        mock.add_callback(responses.POST, f"{MEDIA_API}/2/media/metadata", self.metadata)
        mock.add_callback(responses.POST, TWEETS_URL, self.create_tweet)
        mock.add_callback(responses.GET, TIMELINE, self.user_tweets)

    def initialize(self, request: requests.PreparedRequest) -> Reply:
        self.inits += 1
        media_id = self._write("INSERT INTO media (bytes) VALUES (?)", (json.loads(request.body or b"{}")["total_bytes"],))
        if self.crash_at == "media-init" or (self.crash_at == "media-second" and self.inits == 2):
            die()
        return 200, {}, json.dumps({"data": {"id": str(media_id), "media_key": f"3_{media_id}"}})

    def append(self, request: requests.PreparedRequest) -> Reply:
        media_id = int((request.url or "").split("/")[-2])
        self._write("UPDATE media SET chunks = chunks + 1 WHERE id = ?", (media_id,))
        if self.crash_at == "media-append":
            die()  # half-way through the upload: X holds part of a photo
        return 200, {}, "{}"

    def finalize(self, request: requests.PreparedRequest) -> Reply:
        media_id = int((request.url or "").split("/")[-2])
        self._write("UPDATE media SET done = 1 WHERE id = ? AND chunks > 0", (media_id,))
        return 200, {}, json.dumps({"data": {"id": str(media_id)}})

    def metadata(self, request: requests.PreparedRequest) -> Reply:
        body = json.loads(request.body or b"{}")
        self._write("UPDATE media SET alt = ? WHERE id = ?", (body["metadata"]["alt_text"]["text"], int(body["id"])))
        return 200, {}, json.dumps({"data": {"id": body["id"]}})

    def create_tweet(self, request: requests.PreparedRequest) -> Reply:
        body = json.loads(request.body or b"{}")
        text, media = body["text"], body.get("media", {}).get("media_ids", [])
        unusable = [m for m in media if not self._read("SELECT 1 FROM media WHERE id = ? AND done", (int(m),))]
        if unusable:
            self._write("INSERT INTO attempt (text, outcome) VALUES (?, 'bad media')", (text,))
            return 400, {}, json.dumps({"title": "Invalid Request", "detail": "Your media IDs are invalid."})
        if self.duplicates and self._read("SELECT 1 FROM tweet WHERE text = ?", (text,)):
            self._write("INSERT INTO attempt (text, outcome) VALUES (?, 'duplicate')", (text,))
            return 403, {}, json.dumps({"title": "Forbidden", "status": 403,
                                        "detail": "You are not allowed to create a Tweet with duplicate content."})
        at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"  # X's clock, in X's format
        tweet_id = self._write("INSERT INTO tweet (text, media, pid, at) VALUES (?, ?, ?, ?)",
                               (text, json.dumps(media), os.getpid(), at))
        self._write("INSERT INTO attempt (text, outcome) VALUES (?, 'posted')", (text,))
        if self.crash_at == "x-accepted":
            die()  # X has the post; its answer never reaches us
        return 201, {}, json.dumps({"data": {"id": str(tweet_id), "text": text}})

    def user_tweets(self, request: requests.PreparedRequest) -> Reply:
        if self.timeline == "forbidden":  # X's lower API tiers may not read the timeline
            return 403, {}, json.dumps({"title": "Client Forbidden", "reason": "client-not-enrolled"})
        if self.timeline == "error":
            return 503, {}, json.dumps({"title": "Service Unavailable"})
        since = parse_qs(urlsplit(request.url or "").query).get("start_time", ["1970-01-01T00:00:00Z"])[0]
        rows = [row for row in self._read("SELECT id, text, media, at FROM tweet ORDER BY id DESC LIMIT 20")
                if _when(row[3]) >= _when(since)]
        # X echoes a post's text with a t.co link for its media appended.
        data = [{"id": str(i), "text": f"{text} https://t.co/m{i}", "created_at": at,
                 "attachments": {"media_keys": [f"3_{m}" for m in json.loads(media)]}} for i, text, media, at in rows]
        return 200, {}, json.dumps({"data": data, "meta": {"result_count": len(data)}})


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def tweet_ids(path: Path) -> list[str]:
    """The id of every post X accepted, oldest first."""
    db = sqlite3.connect(path, timeout=30)
    try:
        return [str(i) for (i,) in db.execute("SELECT id FROM tweet ORDER BY id")]
    finally:
        db.close()


def tweets(path: Path) -> list[tuple[int, str]]:
    """Every post X accepted, oldest first (read by the tests): (the process that sent it, its text)."""
    db = sqlite3.connect(path, timeout=30)
    try:
        return [(int(pid), str(text)) for pid, text in db.execute("SELECT pid, text FROM tweet ORDER BY id")]
    finally:
        db.close()


def settings_env(settings: Settings) -> dict[str, str]:
    """The TRIPPOSTER_* variables that give a worker exactly these settings, publishing to X."""
    settings = dataclasses.replace(settings, publisher="x", x_consumer_key="ck-test", x_consumer_secret="cs-test")
    env = {}
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        if f.name != "extra":
            env[f"TRIPPOSTER_{f.name.upper()}"] = ("1" if value else "0") if isinstance(value, bool) else str(value)
    return env


def connect_x(session: Session, settings: Settings, now: datetime) -> None:
    """Store the school's (fake) X tokens, as the connect flow would."""
    tokens = XTokens("42-access-token", "at-secret", user_id="42", screen_name="ourschool")
    x_account.save_tokens(session, None, TokenBox(settings.token_key), tokens, now)
    session.commit()


def _crash_hooks(rt: Any, crash_at: str) -> None:
    """Arm the crash point that is not on X's side: a publish step, a step of the outbox's write, or half-way
    through destroying. ``step#n`` dies at the n-th time the step is reached (the n-th post's claim)."""
    step, _, nth = crash_at.partition("#")
    seen = {"count": 0}

    def reached(name: str) -> None:
        if name == step:
            seen["count"] += 1
            if seen["count"] == int(nth or 1):
                die()

    if step.startswith("outbox-"):
        root = rt.settings.outbox_path
        rt.publisher_for = lambda session: OutboxPublisher(root, checkpoint=reached)
    elif crash_at == "mid-destroy":
        destroy: Callable[[str], bool] = rt.spool.destroy

        def destroy_then_die(name: str) -> bool:
            destroy(name)
            die()  # the file is gone, the row does not know yet
            return False

        rt.spool.destroy = destroy_then_die
    elif crash_at and crash_at not in X_POINTS:
        rt.checkpoint = reached


def run_worker(config: dict[str, Any]) -> None:
    """One worker's life: start-up recovery, then ticks and queued tasks until there is nothing left.

    ``config``: ``env`` (TRIPPOSTER_* settings), ``fake_x`` (path), ``tmpdir``, and optionally
    ``crash_at``, ``timeline``, ``clock_offset`` (seconds, so a dead worker's lease has run out),
    ``consume`` (run the real huey consumer with that many threads, until signalled).
    """
    os.environ["TMPDIR"] = config["tmpdir"]  # any temporary file we make lands where the test looks
    tempfile.tempdir = None
    settings = Settings.from_env({**config["env"], **config.get("env_extra", {})})
    rt = build_runtime(settings)
    offset = timedelta(seconds=config.get("clock_offset", 0))
    rt.clock = lambda: utcnow() + offset
    crash_at = config.get("crash_at", "")
    _crash_hooks(rt, crash_at)
    fake = FakeX(Path(config["fake_x"]), crash_at=crash_at, timeline=config.get("timeline", "ok"),
                 duplicates=config.get("duplicates", False))
    queue = Queue(rt)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.install(mock)
        if config.get("consume"):
            Path(config["tmpdir"], "..", f"{os.getpid()}.ready").resolve().touch()  # imports done: the test may begin
            queue.start_worker(int(config["consume"]))
            return
        recover(rt, spool=True)  # what Queue.start_worker does before consuming
        for _ in range(6):
            report = queue.tick()
            if queue.drain() == 0 and report["due"] == 0:
                break
    rt.sessions.kw["bind"].dispose()


if __name__ == "__main__":
    run_worker(json.loads(Path(sys.argv[1]).read_text()))
