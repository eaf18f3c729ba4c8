"""A publishing post's lease, kept alive for as long as its worker is still at work.

A worker that dies stops renewing, so its lease runs out and recovery takes the post over. A worker
that is only slow (four photos uploaded to X over a poor link, each request allowed a minute)
renews the lease while it waits, so recovery never mistakes it for a dead one: otherwise recovery
would reconcile a post that is still being sent, find it not yet on the timeline, and send it again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from types import TracebackType

from sqlalchemy import update

from ...db import transaction
from ...models import Post, PostState
from ...runtime import Runtime

# Short, because it is renewed every RENEW_SECONDS while the send is alive: a dead worker's claim
# runs out in a minute and a half, and the next minute's recovery checks whether the post went out.
LEASE = timedelta(seconds=90)
RENEW_SECONDS = 20.0
log = logging.getLogger(__name__)


def renew(rt: Runtime, post_id: int) -> bool:
    """Push the lease of ``post_id`` to now + LEASE, only if it is still ``publishing``."""
    with transaction(rt.sessions) as session:
        renewed = session.execute(
            update(Post)
            .where(Post.id == post_id, Post.state == PostState.PUBLISHING)
            .values(claimed_until=rt.clock() + LEASE)
            .execution_options(synchronize_session=False)
        )
    return renewed.rowcount == 1


class LeaseKeeper:
    """Renews a post's lease every ``rt.lease_renew_seconds`` until the ``with`` block ends.

    ``renewer`` renews something else the same way (a channel's publication: ``publications.renew``).
    """

    def __init__(self, rt: Runtime, post_id: int, renewer: Callable[[Runtime, int], bool] | None = None) -> None:
        self.rt, self.post_id, self._renewer = rt, post_id, renewer
        self.renewals = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{post_id}", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.rt.lease_renew_seconds):
            try:
                if not (self._renewer or renew)(self.rt, self.post_id):
                    # Recovery already took the post over; the send goes on, and its answer still counts.
                    log.warning("post %s: lease lost while publishing", self.post_id)
                    return
                self.renewals += 1
            except Exception:  # a busy database must not kill the send; the next tick tries again
                log.exception("post %s: lease renewal failed", self.post_id)
