"""The job queue: huey on a SQLite file by default, on Redis when ``TRIPPOSTER_QUEUE_URL`` says so.

The database is the source of truth; a queued task is only a nudge. The publish task can run
twice, or on two workers at once, and still post once, because ``publish_post`` claims the post
with a compare-and-set before sending. A minute tick hands due posts to workers, settles
interrupted ones and sweeps expired photos, so a lost nudge only delays a post by a minute.
"""

from __future__ import annotations

import logging

from huey import Huey, RedisHuey, SqliteHuey, crontab

from .db import transaction
from .runtime import Runtime
from .services.deletion.retention import sweep_expired
from .services.posting.publications import posts_with_due_publications
from .services.posting.publishing import due_posts, finish_post, publish_post
from .services.posting.recovery import recover

log = logging.getLogger(__name__)


def make_huey(runtime: Runtime) -> Huey:
    settings = runtime.settings
    if settings.queue_url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(settings.namespace, url=settings.queue_url, results=False)
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(settings.namespace, filename=str(settings.instance_path / "queue.sqlite3"), results=False)


class Queue:
    """The tasks, bound to one runtime (the web app's or the worker's)."""

    def __init__(self, runtime: Runtime, huey: Huey | None = None) -> None:
        self.runtime = runtime
        self.huey = huey or make_huey(runtime)

        @self.huey.task(name="publish_post")
        def publish(post_id: int) -> None:
            outcome = publish_post(self.runtime, post_id)
            log.info("post %s: %s", post_id, outcome)

        @self.huey.periodic_task(crontab(minute="*"), name="tick")
        def tick() -> None:
            self.tick()

        @self.huey.task(name="finish_post")
        def finish(post_id: int) -> None:
            sent = finish_post(self.runtime, post_id)
            log.info("post %s on its channels: %s", post_id, sent)

        self._publish = publish
        self._finish = finish

    def enqueue_publish(self, post_id: int) -> None:
        """Ask a worker to publish ``post_id`` now. Call only after the post's row is committed."""
        self._publish(post_id)

    def enqueue_finish(self, post_id: int) -> None:
        """Ask a worker to send ``post_id``'s due network copies now (a senior leader chose "Send it again")."""
        self._finish(post_id)

    def tick(self) -> dict[str, int]:
        """Dispatch due posts and channel sends, settle interrupted ones, destroy expired photos and orphaned files."""
        rt = self.runtime
        report = recover(rt, spool=True)
        with transaction(rt.sessions) as session:
            swept = sweep_expired(session, rt.spool, rt.clock())
            due = due_posts(session, rt.clock())
            channels = posts_with_due_publications(session, rt.clock())
        for post_id in due:
            self.enqueue_publish(post_id)
        for post_id in channels:  # published on the main destination; a connected network still to go
            self._finish(post_id)
        return {"due": len(due), "swept": swept, "stale": report.stale, "channels": len(channels)}

    def drain(self, limit: int = 1000) -> int:
        """Run every queued task in this process, in order (tests, and ``tripposter jobs run``)."""
        done = 0
        while done < limit and (task := self.huey.dequeue()) is not None:
            self.huey.execute(task)
            done += 1
        return done

    def start_worker(self, workers: int = 1) -> None:
        """Run the consumer until stopped: first settle anything a crash left behind."""
        report = recover(self.runtime, spool=True)
        log.info("start-up recovery: %s", report)
        self.huey.create_consumer(workers=workers, periodic=True, worker_type="thread").run()
