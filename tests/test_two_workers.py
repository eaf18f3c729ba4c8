"""Two real worker processes at once, on one database and one queue: each post goes out exactly once.

Each worker is ``Queue.start_worker`` (start-up recovery, then huey's consumer with two threads
and its minute tick), in its own process with X faked inside it (``tests/crash_worker.py``); X's
state is one file, so a post made by either worker is counted. Every post is nudged four times in
a row, as the web app, ticks and a retry might, so both workers reach for the same post at once.
(With the claim's compare-and-set replaced by a read-then-write, this test sees posts go out two
to four times, on either database.)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import PG_URL, REDIS_URL
from tests.crash_worker import connect_x, settings_env, tweets
from tests.lifecycle import Clock, Outing
from tests.photos import phone_jpeg
from tripposter.config import Settings
from tripposter.jobs import Queue
from tripposter.models import DeletionRecord, Fate, Photo, PhotoState, Post, PostState
from tripposter.runtime import Runtime
from tripposter.services.posting import photo_review, photos, posts

pytestmark = pytest.mark.slow

POSTS = 30
ROOT = Path(__file__).resolve().parent.parent


def queue_posts(session: Session, rt: Runtime, outing: Outing) -> list[Post]:
    made = []
    for i in range(POSTS):
        received = photos.receive_photo(
            session, rt.spool, outing.lead, outing.trip.id, f"two-photo-{i}", phone_jpeg(faces=0, size=(640, 480), seed=i),
            now=rt.clock(), limits=rt.limits, detector=None,
        )
        photos.tag_photo(session, outing.lead, received.photo.public_id, [], [], "Canoes on the lake")
        photo_review.review_photo(session, outing.lead, received.photo.public_id, regions=None, faces_checked=True, now=rt.clock())
        request = posts.PostRequest(f"two-post-{i}", outing.trip.id, (received.photo.public_id,),
                                    f"Canoeing on the lake, group {i + 1}!")
        made.append(posts.create_post(session, outing.lead, request, rt.clock())[0])
    session.commit()
    return made


def start_worker(settings: Settings, tmp: Path, name: str) -> subprocess.Popen[bytes]:
    (tmp / name).mkdir()
    config = {"env": settings_env(settings), "fake_x": str(tmp / "fake-x.sqlite3"), "tmpdir": str(tmp / name),
              "consume": 2}
    (tmp / f"{name}.json").write_text(json.dumps(config))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    with (tmp / f"{name}.log").open("wb") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, "-m", "tests.crash_worker", str(tmp / f"{name}.json")],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_for(done: Callable[[], bool], deadline: float) -> None:
    while not done() and time.monotonic() < deadline:
        time.sleep(0.1)


def wait_until_done(session: Session, deadline: float) -> int:
    """Wait until every photo is destroyed; return the number of posts still not published."""

    def destroyed() -> bool:
        session.expire_all()
        query = select(func.count()).select_from(Photo).where(Photo.state != PhotoState.DESTROYED)
        return session.scalar(query) == 0

    wait_for(destroyed, deadline)
    return session.scalar(select(func.count()).select_from(Post).where(Post.state != PostState.PUBLISHED)) or 0


def two_workers_post_each_once(session: Session, settings: Settings, rt: Runtime, outing: Outing, queue: Queue,
                               clock: Clock, tmp_path: Path) -> None:
    connect_x(session, settings, clock())
    made = queue_posts(session, rt, outing)
    workers = [start_worker(settings, tmp_path, name) for name in ("worker-a", "worker-b")]
    try:
        wait_for(lambda: all((tmp_path / f"{w.pid}.ready").exists() for w in workers), time.monotonic() + 60)
        for post in made:
            for _ in range(4):  # side by side, so the threads of both workers take the same post at once
                queue.enqueue_publish(post.id)
        unpublished = wait_until_done(session, time.monotonic() + 90)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGINT)  # huey's graceful stop: running tasks finish
        codes = [worker.wait(timeout=30) for worker in workers]
    logs = "\n".join((tmp_path / f"{n}.log").read_text(errors="replace")[-2000:] for n in ("worker-a", "worker-b"))
    assert unpublished == 0, logs
    posted = tweets(tmp_path / "fake-x.sqlite3")
    counts = Counter(text for _, text in posted)
    assert sorted(counts) == sorted(post.text for post in made) and set(counts.values()) == {1}, counts
    senders = Counter(pid for pid, _ in posted)
    assert set(senders) == {w.pid for w in workers}, senders  # both really worked
    records = session.scalars(select(DeletionRecord)).all()
    assert len(records) == POSTS and all(r.fate is Fate.POSTED and r.verified for r in records)
    assert rt.spool.names() == []
    assert [p for n in ("worker-a", "worker-b") for p in (tmp_path / n).iterdir()] == []
    assert codes == [0, 0], logs
    assert "Traceback" not in logs, logs


@pytest.mark.skipif(not (PG_URL and REDIS_URL), reason=(
    "two workers on PostgreSQL + Redis: set TRIPPOSTER_TEST_DATABASE_URL and TRIPPOSTER_TEST_REDIS_URL to run it"))
def test_two_workers_on_postgresql_and_redis_post_each_once(session, settings, rt, outing, queue, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert settings.database_url.startswith("postgresql") and settings.queue_url.startswith("redis")
    two_workers_post_each_once(session, settings, rt, outing, queue, clock, tmp_path)


@pytest.mark.skipif(bool(PG_URL), reason="the embedded defaults (SQLite + SqliteHuey) run in the suite's first pass")
def test_two_workers_on_sqlite_post_each_once(session, settings, rt, outing, queue, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert settings.database_url.startswith("sqlite") and not settings.queue_url
    two_workers_post_each_once(session, settings, rt, outing, queue, clock, tmp_path)
