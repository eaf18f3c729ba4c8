"""A senior leader connects Bluesky on the Networks page; a trip lead's post goes to the outbox and to
Bluesky; the deletion log shows both links. Real Chromium; Bluesky's HTTP answered by the fake server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.browser.conftest import LiveServer
from tests.browser.test_faces_ui import CONFIRM
from tests.browser.test_pwa import camera_jpeg, choose_photo, sign_in, wait_for
from tests.channel_fakes import BLUESKY_FORM, BLUESKY_NAME, pds  # noqa: F401 - the fixture
from tests.conftest import PASSWORD, Factory
from tests.lifecycle import Outing
from tests.publishers.test_bluesky_pds import FakePDS
from tripposter.models import Photo, PhotoState, Role
from tripposter.publishers.outbox import OutboxPublisher

pytestmark = pytest.mark.browser


def post_from_phone(context: Any, live: LiveServer, outing: Outing, app: Flask, db: Session, tmp_path: Path) -> Any:
    """The trip lead posts one photo from the phone page; the queue sends it. Returns the phone's page."""
    phone = context.new_page()
    sign_in(phone, live, outing)
    choose_photo(phone, camera_jpeg(tmp_path / "IMG_1.jpg", size=(1600, 1200)))
    phone.locator("button.face").first.wait_for()
    phone.get_by_label("Describe photo 1 for people who cannot see it").fill("Pupils by the lake")
    phone.get_by_label(CONFIRM).check()
    phone.fill("#caption", "A brilliant morning by the lake!")
    phone.get_by_role("button", name="Post", exact=True).click()
    wait_for(lambda: db.expire_all() or db.scalars(select(Photo)).one().post_id is not None)
    assert app.extensions["tripposter.queue"].drain() >= 1
    return phone


def test_a_post_goes_to_the_outbox_and_bluesky_and_the_deletion_log_links_both(  # noqa: PLR0913
    context: Any, live: LiveServer, outing: Outing, app: Flask, db: Session, make: Factory, tmp_path: Path,
    pds: FakePDS, shots: Any,  # noqa: F811
) -> None:
    leader = make.user(Role.ADMIN)
    office = context.new_page()
    office.goto(f"{live.url}/auth/login?next=/networks/")
    office.fill("input[name=email]", leader.email)
    office.fill("input[name=password]", PASSWORD)
    office.click("button[type=submit]")
    office.wait_for_url(f"{live.url}/networks/")
    form = office.locator("form[action$='/networks/bluesky/connect']")
    for name, value in BLUESKY_FORM.items():
        if value:
            form.locator(f"[name={name}]").fill(value)
    form.get_by_role("button", name="Connect Bluesky").click()
    expect(office.get_by_text(f"connected as {BLUESKY_NAME}").first).to_be_visible(timeout=15_000)
    shots(office, "bluesky-connected")
    context.clear_cookies()  # the phone is the trip lead's own

    phone = post_from_phone(context, live, outing, app, db, tmp_path)

    (sent,) = OutboxPublisher(app.config["TRIPPOSTER_SETTINGS"].outbox_path).list_posts()
    assert sum(1 for collection, _ in pds.records if collection == "app.bsky.feed.post") == 1
    db.expire_all()
    assert db.scalars(select(Photo)).one().state is PhotoState.DESTROYED  # both settled: every copy gone

    office = phone  # the trip lead reads the trip's deletion log to attest it
    office.goto(f"{live.url}/trips/{outing.trip.id}/log")
    links = office.locator("table a[rel='noopener noreferrer']")
    expect(links).to_have_count(2)
    hrefs = [links.nth(i).get_attribute("href") for i in range(2)]
    assert hrefs[0].startswith("/outbox/") and sent.id in hrefs[0]
    assert hrefs[1].startswith("https://bsky.app/profile/") and "/post/" in hrefs[1]
    expect(office.get_by_text("on Bluesky")).to_be_visible()
    shots(office, "deletion-log-links")
