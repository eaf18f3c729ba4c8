"""A senior leader records a Mastodon copy the app could not settle as posted, on the decisions page; the
trip lead's phone then says so under the post. Real Chromium, against the live app."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from tests.browser.conftest import LiveServer
from tests.browser.test_pwa import sign_in
from tests.conftest import PASSWORD, Factory
from tests.lifecycle import Clock, Outing
from tests.web.test_network_decisions import LINK, WHY, waiting_copy
from tripposter.models import PublicationState, Role
from tripposter.runtime import Runtime

pytestmark = pytest.mark.browser


def test_a_leader_records_a_network_copy_as_posted_and_the_phone_says_who(  # noqa: PLR0913
    context: Any, live: LiveServer, outing: Outing, db: Session, rt: Runtime, clock: Clock, make: Factory,
    shots: Any,
) -> None:
    copy = waiting_copy(db, rt, outing, clock)
    leader = make.user(Role.ADMIN)
    office = context.new_page()
    office.goto(f"{live.url}/auth/login")
    office.fill("input[name=email]", leader.email)
    office.fill("input[name=password]", PASSWORD)
    office.click("button[type=submit]")
    alert = office.get_by_role("alert").filter(has_text="1 post(s) on Mastodon wait for your decision")
    alert.get_by_role("link", name="Open").click()  # the home page's alert leads to the decisions page
    card = office.locator("article", has_text="Mastodon:")
    expect(card.get_by_text(WHY)).to_be_visible()
    card.get_by_label("Link to the post on Mastodon", exact=False).fill(LINK)
    shots(office, "network-copy-to-decide")
    card.get_by_role("button", name="It went out").click()
    expect(office.get_by_text("Recorded as posted there.", exact=False)).to_be_visible()
    expect(office.get_by_text("Nothing to decide on the other networks.")).to_be_visible()
    db.expire_all()
    assert (copy.state, copy.url) == (PublicationState.PUBLISHED, LINK)
    context.clear_cookies()  # the phone is the trip lead's own

    phone = context.new_page()
    sign_in(phone, live, outing)
    mastodon = phone.locator("#status-server ul.channels li", has_text="Mastodon")
    expect(mastodon).to_have_text(f"Mastodon: posted. Recorded as posted by {leader.display_name}. See it")
    expect(mastodon.get_by_role("link", name="See it")).to_have_attribute("href", LINK)
    shots(phone, "phone-says-who-decided")
