"""A senior leader connects the practice outbox on the Networks page (no account anywhere); a trip lead's
post goes to the outbox and the practice outbox; the phone and the deletion log show both links, and
both open in the app. Real Chromium, no network intercepted: nothing leaves the machine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.browser.conftest import LiveServer
from tests.browser.test_networks_log import post_from_phone
from tests.conftest import PASSWORD, Factory
from tests.lifecycle import Outing
from tripposter.models import Photo, PhotoState, Role
from tripposter.publishers.outbox import PRACTICE_URL, OutboxPublisher

pytestmark = pytest.mark.browser


def test_a_post_goes_to_the_outbox_and_the_practice_outbox_and_the_log_links_both(  # noqa: PLR0913
    context: Any, live: LiveServer, outing: Outing, app: Flask, db: Session, make: Factory, tmp_path: Path,
    shots: Any,
) -> None:
    leader = make.user(Role.ADMIN)
    office = context.new_page()
    office.goto(f"{live.url}/auth/login?next=/networks/")
    office.fill("input[name=email]", leader.email)
    office.fill("input[name=password]", PASSWORD)
    office.click("button[type=submit]")
    office.wait_for_url(f"{live.url}/networks/")
    office.get_by_role("button", name="Connect the practice outbox").click()
    expect(office.get_by_text("connected as a folder on this server").first).to_be_visible(timeout=15_000)
    shots(office, "practice-outbox-connected")
    context.clear_cookies()  # the phone is the trip lead's own

    phone = post_from_phone(context, live, outing, app, db, tmp_path)

    settings = app.config["TRIPPOSTER_SETTINGS"]
    (sent,) = OutboxPublisher(settings.outbox_path).list_posts()
    (practice,) = OutboxPublisher(settings.practice_outbox_path, url_prefix=PRACTICE_URL).list_posts()
    db.expire_all()
    assert db.scalars(select(Photo)).one().state is PhotoState.DESTROYED  # both settled: the spool copy gone
    # The phone's list of posts says where it went, with a link to each copy.
    phone.reload()
    copy = phone.locator("ul.channels li", has_text="Practice outbox: posted.")
    expect(copy).to_be_visible(timeout=15_000)
    expect(copy.get_by_role("link", name="See it")).to_have_attribute("href", f"/outbox/practice/{practice.id}")
    shots(phone, "phone-practice-outbox")

    phone.goto(f"{live.url}/trips/{outing.trip.id}/log")
    links = phone.locator("table a[rel='noopener noreferrer']")
    expect(links).to_have_count(2)
    hrefs = [links.nth(i).get_attribute("href") for i in range(2)]
    assert hrefs == [f"/outbox/{sent.id}", f"/outbox/practice/{practice.id}"]
    expect(phone.get_by_text("on Practice outbox")).to_be_visible()
    expect(phone.get_by_text("the outbox keeps the posted copy until").first).to_be_visible()
    shots(phone, "deletion-log-practice-links")
    links.nth(1).click()
    phone.wait_for_url(f"{live.url}/outbox/practice/{practice.id}")
    expect(phone.get_by_role("heading", name="Practice outbox post")).to_be_visible()
    expect(phone.get_by_alt_text("Pupils by the lake")).to_be_visible()
