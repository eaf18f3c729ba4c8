"""Where a trip's posts go: the main destination (the outbox or X) and the connected channels it chose.

A trip stores the networks it chose by name ("main", "bluesky", ...), or None for all of them, the
default: then every network connected when a post is queued gets it, one connected later included.
A chosen network that is not connected now is simply not used; the trip page says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import MAIN_NETWORK, Channel, ChannelKind, Trip

MAIN_LABELS = {"x": "X", "outbox": "The outbox"}


@dataclass(frozen=True)
class Destination:
    """One place the school posts to, as the trip form and pages show it."""

    key: str  # "main" or a channel kind
    label: str  # "X", "The outbox", "Bluesky", ...
    connected: bool = True


def main_label(publisher: str) -> str:
    """The main destination's name: "X" or "The outbox"."""
    return MAIN_LABELS.get(publisher, "The outbox")


def connected_channels(session: Session) -> list[Channel]:
    """Every active channel, in the order the Networks page lists networks."""
    order = list(ChannelKind)
    channels = session.scalars(select(Channel).where(Channel.active.is_(True)))
    return sorted(channels, key=lambda c: order.index(ChannelKind(c.kind)))


def destinations(session: Session, publisher: str) -> list[Destination]:
    """Everywhere the school can post now: the main destination first, then each connected channel."""
    return [Destination(MAIN_NETWORK, main_label(publisher)),
            *(Destination(ChannelKind(c.kind).value, ChannelKind(c.kind).label) for c in connected_channels(session))]


def trip_channels(session: Session, trip: Trip) -> list[Channel]:
    """The connected channels this trip's posts go to."""
    return [c for c in connected_channels(session) if trip.posts_to(ChannelKind(c.kind).value)]


def trip_destinations(session: Session, publisher: str, trip: Trip) -> list[Destination]:
    """Where this trip's posts go now, plus any it chose that is not connected (``connected`` False)."""
    now = [d for d in destinations(session, publisher) if trip.posts_to(d.key)]
    live = {d.key for d in now}
    gone = [Destination(k.value, k.label, connected=False) for k in ChannelKind
            if trip.networks is not None and k.value in trip.networks and k.value not in live]
    return now + gone


def names(found: list[Destination]) -> str:
    """ "X, Bluesky and Mastodon": the connected destinations in a sentence."""
    labels = [d.label for d in found if d.connected]
    if not labels:
        return "nowhere"
    labels = [labels[0], *(_lower_the(label) for label in labels[1:])]
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def _lower_the(label: str) -> str:
    return {"The outbox": "the outbox", ChannelKind.OUTBOX.label: "the practice outbox"}.get(label, label)
