"""The outbox's copies are local copies too: every one is known, kept for a set time, then destroyed and recorded.

This holds for every folder on this server that posts land in: the outbox and the practice outbox
channel (see ``outbox_folders``). Three kinds of copy are settled, each with a record in the
trip's deletion log:
- an unfinished post (a ``.tmp-*`` folder a killed writer left): destroyed at once unless its
  attempt is still alive, recorded against the attempt's trip as a leftover copy;
- a published post past ``TRIPPOSTER_OUTBOX_RETENTION_DAYS``: destroyed, and its post row (or its
  publication, for the practice outbox) says when;
- a stored post nothing owns (a writer died after its rename and a senior leader decided
  otherwise, or an older version left it): destroyed once it is past the same time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ...models import DeletionRecord, Fate, Post
from ...publishers.outbox import OutboxNotFoundError
from ...runtime import Runtime
from ..audit import events as audit
from .outbox_folders import OutboxFolder, outbox_folders

UNFINISHED = "an unfinished copy in {name}, left by an interrupted post"
UNCLAIMED = "a copy in {name} that no published post owns"


@dataclass
class OutboxSettled:
    leftovers: int = 0
    expired: int = 0
    strays: int = 0


def settle_outbox(session: Session, rt: Runtime, now: datetime) -> OutboxSettled:
    """Destroy unfinished, expired and unclaimed copies in every outbox folder, recording each."""
    result = OutboxSettled()
    keep = timedelta(days=rt.settings.outbox_retention_days)
    for folder in outbox_folders(rt):
        result.leftovers += _leftovers(session, folder, now)
        result.expired += _expired(session, folder, now)
        result.strays += _strays(session, folder, now, keep)
    session.flush()
    return result


def _leftovers(session: Session, folder: OutboxFolder, now: datetime) -> int:
    count = 0
    for leftover in folder.outbox.leftovers():
        writer = folder.writer(session, leftover.attempt_id, now)
        if writer.alive:
            continue  # its writer is alive (the lease is being renewed): it renames or removes it itself
        gone = folder.outbox.remove_leftover(leftover.name)
        _record(session, writer.post, UNFINISHED.format(name=folder.name), leftover.files, gone, now, folder)
        count += 1
    return count


def _expired(session: Session, folder: OutboxFolder, now: datetime) -> int:
    count = 0
    for due in folder.due(session, now):
        try:
            files, gone = folder.outbox.delete_post(due.remote_id)
        except OutboxNotFoundError:
            files, gone = 0, True  # removed by hand already: nothing is left to destroy
        if not gone:
            continue  # the next round tries again; the log keeps saying it is held
        folder.mark_destroyed(due, now)
        audit.record(session, None, "outbox.destroyed", due.post, files=files, verified=gone, **_where(folder))
        count += 1
    return count


def _strays(session: Session, folder: OutboxFolder, now: datetime, keep: timedelta) -> int:
    owned = folder.owned(session)
    count = 0
    for stored in folder.outbox.list_posts():
        if stored.id in owned or stored.created_at > now - keep:
            continue  # owned (its retention applies), or young: recovery may still claim it
        files, gone = folder.outbox.delete_post(stored.id)
        post = folder.writer(session, stored.attempt_id, now).post
        _record(session, post, UNCLAIMED.format(name=folder.name), files, gone, now, folder)
        count += 1
    return count


def _where(folder: OutboxFolder) -> dict[str, str]:
    """The audit detail naming the folder: none for the outbox, as before the practice outbox existed."""
    return {} if folder.name == "the outbox" else {"folder": folder.name}


def _record(session: Session, post: Post | None, reason: str, files: int, gone: bool, now: datetime,
            folder: OutboxFolder) -> None:
    trip_id = post.trip_id if post is not None else None
    session.add(DeletionRecord(fate=Fate.LEFTOVER, trip_id=trip_id, reason=reason, copies=files, deleted_at=now,
                               verified=gone))
    audit.record(session, None, "outbox.leftover_destroyed", post, files=files, verified=gone, **_where(folder))
