"""An interrupted post reads "Checking whether this went out" as soon as its short lease runs out, never "Posting"."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.conftest import AuthActions
from tests.lifecycle import Clock, Outing
from tests.services.test_publishing import queue_post, receive
from tripposter.models import PostState
from tripposter.runtime import Runtime
from tripposter.services.posting.lease import LEASE, RENEW_SECONDS


def test_the_lease_is_short_and_renewed_well_within_it(rt: Runtime) -> None:
    assert timedelta(seconds=60) <= LEASE <= timedelta(seconds=90)
    assert rt.lease_renew_seconds == RENEW_SECONDS <= LEASE.total_seconds() / 3


def test_a_send_whose_lease_ran_out_reads_checking(
    session: Session, rt: Runtime, outing: Outing, clock: Clock, auth: AuthActions, client: FlaskClient
) -> None:
    post = queue_post(session, rt, outing, receive(session, rt, outing))
    post.state, post.claimed_until = PostState.PUBLISHING, clock() + LEASE  # a live worker holds it
    session.commit()
    auth.login(outing.lead)
    live = client.get(f"/api/trips/{outing.trip.id}/posts").get_json()["posts"][0]
    assert live["state"] == "publishing"
    clock.now += LEASE + timedelta(seconds=1)  # its worker died: nobody renewed the lease
    stale = client.get(f"/api/trips/{outing.trip.id}/posts").get_json()["posts"][0]
    page = client.get(f"/post/trips/{outing.trip.id}").get_data(as_text=True)
    assert stale["state"] == "unknown"
    assert "Checking whether this went out" in page and "Being sent to X now." not in page
