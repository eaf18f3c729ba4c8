"""Everything a job or a request needs beyond its session: the spool, the publisher, the clock.

Built once per process from the settings. Tests build one with their own clock and publisher.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from .config import Settings
from .db import make_engine, make_sessionmaker
from .models import utcnow
from .pipeline.faces import FaceDetector, default_detector
from .pipeline.photo import Limits
from .publishers.base import Publisher
from .spool import Spool

PublisherFactory = Callable[[Session], Publisher]


@dataclass
class Runtime:
    settings: Settings
    sessions: sessionmaker[Session]
    spool: Spool
    publisher_for: PublisherFactory
    clock: Callable[[], datetime] = utcnow
    detector_factory: Callable[[], FaceDetector | None] = default_detector
    # How often a worker renews the lease of the post it is sending (tests make it fast).
    lease_renew_seconds: float = 20.0  # services.lease.RENEW_SECONDS; a third of the lease
    # Test hook for fault injection: called with a step name between the publish path's steps.
    checkpoint: Callable[[str], None] = field(default=lambda step: None)

    @property
    def limits(self) -> Limits:
        return Limits(
            max_bytes=self.settings.max_upload_bytes,
            max_pixels=self.settings.max_image_pixels,
            long_edge=self.settings.posting_long_edge,
        )


def build_runtime(settings: Settings, sessions: sessionmaker[Session] | None = None) -> Runtime:
    """The runtime for ``settings``: the web app and the worker each build one at start-up."""
    from .services.x_account import publisher_for

    return Runtime(
        settings=settings,
        sessions=sessions or make_sessionmaker(make_engine(settings.database_url)),
        spool=Spool(settings.spool_path, settings.spool_key.encode()),
        publisher_for=lambda session: publisher_for(session, settings),
    )
