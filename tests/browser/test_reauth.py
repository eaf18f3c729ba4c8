"""The phone page's in-place "sign in again": password and code, no signal, back to the queue; never a navigation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.browser.conftest import LiveServer
from tests.browser.test_pwa import camera_jpeg, choose_photo, queue_size
from tests.conftest import PASSWORD
from tests.lifecycle import Clock, Outing
from tests.twostep import code, enrol
from tripposter.config import Settings
from tripposter.models import Photo

pytestmark = pytest.mark.browser


def sign_in_with_code(page: Any, live: LiveServer, outing: Outing, typed: str) -> None:
    """On the login page already: password, then the code page, then back to the phone page."""
    page.fill("input[name=email]", outing.lead.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}/auth/code")
    assert page.get_attribute("input[name=code]", "autocomplete") == "one-time-code"
    page.fill("input[name=code]", typed)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}/app")
    page.get_by_text(outing.trip.name).wait_for()


def test_a_two_step_teacher_signs_in_again_from_the_phone_page_and_the_queue_goes(
    context: Any, live: LiveServer, outing: Outing, db: Session, settings: Settings, clock: Clock, tmp_path: Path, shots: Any
) -> None:
    secret = enrol(db, outing.lead, settings, clock.now)
    page = context.new_page()
    page.goto(f"{live.url}/auth/login?next=/app")
    sign_in_with_code(page, live, outing, code(secret, clock.now))
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")

    context.clear_cookies()  # the session ended out in the field
    choose_photo(page, camera_jpeg(tmp_path / "IMG_1.jpg", size=(1600, 1200)))
    page.locator("#signin").wait_for()
    assert queue_size(page) == {"photos": 1, "posts": 0} and live.uploads.bodies == []

    page.fill("#signin-email", outing.lead.email)  # asked in place: no navigation, nothing lost
    page.fill("#signin-password", PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.locator("#signin-code").wait_for()
    assert page.get_attribute("#signin-code", "autocomplete") == "one-time-code"
    clock.now += timedelta(seconds=30)  # the next code: the first one can never be used again
    page.fill("#signin-code", code(secret, clock.now))
    page.get_by_role("button", name="Continue").click()
    shots(page, "back-after-code")
    page.locator("button.face").first.wait_for()
    assert page.url == f"{live.url}/app"
    assert len(live.uploads.bodies) == 1 and len(db.scalars(select(Photo)).all()) == 1


def test_with_no_signal_the_sign_in_waits_for_it_and_never_leaves_the_page(
    context: Any, live: LiveServer, outing: Outing, db: Session, tmp_path: Path, shots: Any
) -> None:
    page = context.new_page()
    page.goto(f"{live.url}/auth/login?next=/app")
    sign_in_plain(page, live, outing)
    context.clear_cookies()
    choose_photo(page, camera_jpeg(tmp_path / "IMG_2.jpg", size=(1600, 1200)))
    page.locator("#signin").wait_for()
    context.set_offline(True)  # into the castle: no signal at all
    page.fill("#signin-email", outing.lead.email)
    page.fill("#signin-password", PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_text("No signal. You will be signed in as soon as there is signal").wait_for()
    shots(page, "waiting-for-signal")
    assert page.url == f"{live.url}/app" and live.uploads.bodies == []
    context.set_offline(False)  # out again: the sign-in goes by itself, then the photo
    page.locator("button.face").first.wait_for()
    assert page.url == f"{live.url}/app" and len(live.uploads.bodies) == 1
    assert len(db.scalars(select(Photo)).all()) == 1


def sign_in_plain(page: Any, live: LiveServer, outing: Outing) -> None:
    page.fill("input[name=email]", outing.lead.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}/app")
    page.get_by_text(outing.trip.name).wait_for()
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
