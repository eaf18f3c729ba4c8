"""Each member of a trip's staff confirms for their own phone; the log shows who has and who has not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Trip, TripAttestation, User

ATTESTATION = (
    "I confirm that I have deleted every photo of this trip from my phone and any other device, "
    "including 'recently deleted' folders."
)

@dataclass(frozen=True)
class Attestation:
    """One member of the trip's staff and their confirmation that their own phone is clear."""

    user: User
    is_lead: bool
    at: datetime | None  # None: not yet confirmed
    late_photos: int  # photos received after they confirmed: they must confirm again

    @property
    def valid(self) -> bool:
        return self.at is not None and not self.late_photos


def attestations(session: Session, trip: Trip, received: list[datetime]) -> tuple[Attestation, ...]:
    """The lead first, then the other staff, then anyone who confirmed and has since left the trip."""
    given = {a.user_id: a.attested_at for a in session.scalars(select(TripAttestation).where(
        TripAttestation.trip_id == trip.id))}
    people = [trip.lead, *(u for u in trip.staff if u.id != trip.lead_id)]
    people += [u for uid in sorted(set(given) - {p.id for p in people}) if (u := session.get(User, uid)) is not None]
    return tuple(
        Attestation(user, user.id == trip.lead_id, at, sum(1 for t in received if at is not None and t > at))
        for user in people
        for at in [given.get(user.id)]
    )
