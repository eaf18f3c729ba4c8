"""Everything a job or a request needs beyond its session: the spool, the publisher, the clock.

Built once per process by ``compose.build_runtime``, which hands it the publisher factory, so this
module never imports a service. Tests build one with their own clock and publisher.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from .config import Settings
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
    lease_renew_seconds: float = 20.0  # services.posting.lease.RENEW_SECONDS; a third of the lease
    # Test hook for fault injection: called with a step name between the publish path's steps.
    checkpoint: Callable[[str], None] = field(default=lambda step: None)

    @property
    def limits(self) -> Limits:
        return Limits(
            max_bytes=self.settings.max_upload_bytes,
            max_pixels=self.settings.max_image_pixels,
            long_edge=self.settings.posting_long_edge,
        )

