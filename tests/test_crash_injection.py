"""Crash injection: a real worker process is killed with SIGKILL at each step of the publish path.

Each run queues one post, starts a worker (``tests/crash_worker.py``) that dies at its crash
point, optionally withdraws consent or breaks X's timeline, then starts a fresh worker that
recovers and finishes; a senior leader decides, through the real page, any post X cannot account
for. X is faked inside each worker and keeps its state in a file, so it survives the kill.

Across the 20 runs: no post is made twice, no photo goes out after its consent was withdrawn,
no file is left in the spool or the workers' temporary folder, and every post whose outcome
cannot be established is on /post/decisions for a senior leader.
"""

from __future__ import annotations

import multiprocessing
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import AuthActions, Factory
from tests.crash_worker import connect_x, run_worker, settings_env, tweets
from tests.lifecycle import Clock, Outing
from tests.photos import phone_jpeg
from tripposter.config import Settings
from tripposter.models import DeletionRecord, Fate, Photo, PhotoState, Post, PostState, Role
from tripposter.runtime import Runtime
from tripposter.services.posting import photo_review, photos, posts
from tripposter.services.posting.publishing import LEASE
from tripposter.services.posting.recovery import NEEDS_HUMAN

pytestmark = pytest.mark.slow

PRE_SEND = {"claimed", "built", "media-init", "media-append", "media-second"}
RESTART_AFTER = LEASE.total_seconds() + 60  # a fresh worker starts once the dead one's lease ran out
CAPTION = "A brilliant morning of canoeing on the lake!"


@dataclass(frozen=True)
class Run:
    step: str
    withdraw: bool = False  # consent withdrawn between the crash and the restart
    timeline: str = "ok"  # what X answers when the restarted worker reads the account's posts
    photos: int = 1

    @property
    def name(self) -> str:
        extra = [w for w, on in (("withdrawn", self.withdraw), (f"timeline-{self.timeline}", self.timeline != "ok")) if on]
        return "-".join([self.step, *extra])

    @property
    def tweets(self) -> int:
        return 0 if self.withdraw and self.step in PRE_SEND else 1


RUNS = [
    *(Run(step) for step in ("claimed", "built", "media-init", "media-append")),
    Run("media-second", photos=2),  # the first photo is on X, the second's upload has begun
    *(Run(step) for step in ("x-accepted", "sent", "recorded", "mid-destroy", "destroyed")),
    *(Run(step, withdraw=True) for step in ("claimed", "built", "media-append", "x-accepted", "recorded")),
    *(Run(step, timeline="forbidden") for step in ("claimed", "media-append", "x-accepted")),
    Run("built", withdraw=True, timeline="forbidden"),
    Run("x-accepted", timeline="error"),  # X's timeline is down at the restart, then answers
]
TABLE: list[tuple[str, ...]] = []


@pytest.fixture(scope="module", autouse=True)
def outcome_table(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or not TABLE:
        return
    head = ("run", "after crash", "after restart", "on decisions page", "final", "tweets", "seconds")
    widths = [max(len(row[i]) for row in [head, *TABLE]) for i in range(len(head))]
    with request.config.pluginmanager.get_plugin("capturemanager").global_and_fixture_disabled():
        reporter.write_line("")
        for row in [head, *TABLE]:
            reporter.write_line(" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


@pytest.fixture(scope="module")
def forkserver() -> multiprocessing.context.BaseContext:
    """Workers are forked from a clean server that imported the app once: real processes, quick to start."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tests.crash_worker"])
    return ctx


class Workers:
    """Starts worker processes against this test's database, spool and fake X."""

    def __init__(self, ctx: multiprocessing.context.BaseContext, settings: Settings, tmp: Path) -> None:
        self.ctx, self.fake_x, self.tmpdir = ctx, tmp / "fake-x.sqlite3", tmp / "worker-tmp"
        self.tmpdir.mkdir()
        self.env = settings_env(settings)

    def run(self, **config: Any) -> int:
        """Start one worker and wait for it to finish or die; its exit code (-9 when killed)."""
        full = {"env": self.env, "fake_x": str(self.fake_x), "tmpdir": str(self.tmpdir), **config}
        process = self.ctx.Process(target=run_worker, args=(full,))  # type: ignore[attr-defined]
        process.start()
        process.join(timeout=60)
        assert process.exitcode is not None, "the worker hung"
        return int(process.exitcode)


def queue_post(session: Session, rt: Runtime, outing: Outing, count: int, key: str = "crash") -> Post:
    """A post of ``count`` photos, Sam tagged on the first face and the second blurred."""
    ids = []
    for i in range(count):
        received = photos.receive_photo(
            session, rt.spool, outing.lead, outing.trip.id, f"{key}-photo-{i}", phone_jpeg(seed=7 + i),
            now=rt.clock(), limits=rt.limits, detector=rt.detector_factory(),
        )
        photos.tag_photo(session, outing.lead, received.photo.public_id, [outing.sam.id, None], [outing.sam.id],
                         "Pupils at the lake")
        photo_review.review_photo(session, outing.lead, received.photo.public_id, regions=None, faces_checked=True, now=rt.clock())
        ids.append(received.photo.public_id)
    request = posts.PostRequest(key=f"{key}-post", trip_id=outing.trip.id, photo_ids=tuple(ids), caption=CAPTION)
    post, _ = posts.create_post(session, outing.lead, request, rt.clock())
    session.commit()
    return post


def on_decisions_page(auth: AuthActions, post: Post) -> bool:
    page = auth.client.get("/post/decisions")
    assert page.status_code == 200
    return post.public_id in page.get_data(as_text=True)


def leftover_files(rt: Runtime, tmpdir: Path) -> list[str]:
    return rt.spool.names() + [p.name for p in tmpdir.rglob("*")]


def surface_unknown(run: Run, post: Post, workers: Workers, auth: AuthActions, make: Factory, session: Session) -> str:
    """Its outcome could not be established: a senior leader must see it, and it must get settled."""
    auth.login(make.user(Role.ADMIN))
    assert on_decisions_page(auth, post), "an unknown post is not shown to senior leaders"
    surfaced = "shown"
    if run.timeline == "forbidden":
        assert post.last_error == NEEDS_HUMAN
        # The leader looks at the school's account (here: X's state) and decides.
        decision = "posted" if any(text == post.text for _, text in tweets(workers.fake_x)) else "resend"
        assert auth.post(f"/post/decisions/{post.public_id}", data={"decision": decision}).status_code == 302
        surfaced += f", {decision}"
    assert workers.run(timeline="ok", clock_offset=RESTART_AFTER) == 0  # X answers again; the next worker
    session.expire_all()
    assert not on_decisions_page(auth, post)
    return surfaced


@pytest.mark.parametrize("run", RUNS, ids=lambda r: r.name)
def test_killed_worker_then_fresh_worker(
    run: Run, forkserver: multiprocessing.context.BaseContext, settings: Settings, session: Session, rt: Runtime,
    outing: Outing, clock: Clock, auth: AuthActions, make: Factory, tmp_path: Path,
) -> None:
    started = time.monotonic()
    connect_x(session, settings, clock())
    post = queue_post(session, rt, outing, run.photos)
    workers = Workers(forkserver, settings, tmp_path)
    assert workers.run(crash_at=run.step) == -signal.SIGKILL
    session.expire_all()
    after_crash = post.state.value
    if run.withdraw:
        outing.sam.photo_consent = False  # a parent phoned the office while the worker was down
        session.commit()
    assert workers.run(timeline=run.timeline, clock_offset=RESTART_AFTER) == 0
    session.expire_all()
    after_restart = post.state.value
    surfaced = surface_unknown(run, post, workers, auth, make, session) if post.state is PostState.UNKNOWN else "-"
    posted = [text for _, text in tweets(workers.fake_x)]
    TABLE.append((run.name, after_crash, after_restart, surfaced, post.state.value, str(len(posted)),
                  f"{time.monotonic() - started:.1f}"))
    assert len(posted) == run.tweets, f"X has {len(posted)} posts, expected {run.tweets}"  # never twice
    expected = PostState.PUBLISHED if run.tweets else PostState.WITHDRAWN
    assert post.state is expected
    photo_rows = list(session.scalars(select(Photo).where(Photo.post_id == post.id)))
    assert len(photo_rows) == run.photos and all(p.state is PhotoState.DESTROYED for p in photo_rows)
    records = list(session.scalars(select(DeletionRecord).where(DeletionRecord.photo_id.in_([p.id for p in photo_rows]))))
    assert len(records) == run.photos and all(r.verified for r in records)
    assert {r.fate for r in records} == {Fate.POSTED if run.tweets else Fate.WITHDRAWN}
    assert leftover_files(rt, workers.tmpdir) == []
