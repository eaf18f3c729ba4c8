"""Passkeys end to end in Chromium, through its virtual authenticator (CDP WebAuthn domain).

WebAuthn needs a secure context and a domain for its relying party id: http://localhost is both
(an IP address is not a valid RP id), so these tests open the live server as localhost.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.browser.conftest import LiveServer
from tests.conftest import PASSWORD, Factory
from tripposter.models import AuditEvent, Passkey, Role, User
from tripposter.services.school.settings import get_school

pytestmark = pytest.mark.browser


def phone_with_fingerprint(context: Any, page: Any) -> str:
    """A platform authenticator with user verification (a fingerprint that always matches)."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {"protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
               "isUserVerified": True, "automaticPresenceSimulation": True}
    return cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})["authenticatorId"]


def password_sign_in(page: Any, base: str, user: User, target: str = "/security/") -> None:
    page.goto(f"{base}/auth/login?next={target}")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.card button[type=submit]")


def logins(db: Session) -> list[str]:
    db.expire_all()
    return [e.detail["method"] for e in db.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login"))]


def test_register_a_passkey_then_sign_in_with_it_as_two_step_sign_in(
    context: Any, live: LiveServer, make: Factory, db: Session, shots: Any
) -> None:
    base = live.url.replace("127.0.0.1", "localhost")
    user = make.user(Role.OFFICE)
    page = context.new_page()
    phone_with_fingerprint(context, page)
    password_sign_in(page, base, user)
    page.wait_for_url(f"{base}/security/")
    page.fill("#passkey-name", "My Pixel")
    page.get_by_role("button", name="Add a passkey on this device").click()
    page.get_by_text("My Pixel, added").wait_for()
    shots(page, "passkey-added")
    assert [p.name for p in db.scalars(select(Passkey))] == ["My Pixel"]

    # The school now requires two-step sign-in: the password alone leads to the code set-up ...
    get_school(db).require_two_factor = True
    db.commit()
    page.get_by_role("button", name="Sign out", exact=True).click()
    password_sign_in(page, base, user, "/")
    page.wait_for_url(f"{base}/security/two-factor")
    page.get_by_role("button", name="Sign out", exact=True).click()
    # ... and a guesser's wrong passwords hold the password back, but never the passkey.
    for _ in range(7):
        page.goto(f"{base}/auth/login")
        page.fill("input[name=email]", user.email)
        page.fill("input[name=password]", "not-the-password")
        page.click("form.card button[type=submit]")
    page.goto(f"{base}/auth/login?next=/roster/")
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(f"{base}/roster/")  # straight in: a passkey is two-step sign-in
    shots(page, "signed-in-with-passkey")
    assert logins(db) == ["password", "password", "passkey"]
    assert db.scalars(select(Passkey)).one().last_used_at is not None

    page.get_by_role("button", name="Sign out", exact=True).click()
    page.goto(f"{base}/app")
    assert "/auth/login" in page.url  # signed out for real


def test_an_unknown_passkey_is_refused_with_a_clear_sentence(
    context: Any, live: LiveServer, make: Factory, db: Session
) -> None:
    base = live.url.replace("127.0.0.1", "localhost")
    user = make.user(Role.TRIP_LEAD)
    page = context.new_page()
    phone_with_fingerprint(context, page)
    password_sign_in(page, base, user)
    page.fill("#passkey-name", "Old phone")
    page.get_by_role("button", name="Add a passkey on this device").click()
    page.get_by_text("Old phone, added").wait_for()
    page.get_by_role("button", name="Remove Old phone").click()  # removed here, still on the phone
    page.get_by_text("You have no passkey yet.").wait_for()
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.get_by_text("That passkey was not accepted.").wait_for()
    assert "/auth/login" in page.url
    db.expire_all()
    failed = db.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login_failed")).all()
    assert [e.detail["reason"] for e in failed] == ["passkey_unknown"]


def test_the_phone_page_signs_in_again_with_the_passkey_and_sends_the_queue(
    context: Any, live: LiveServer, outing: Any, db: Session, tmp_path: Any
) -> None:
    from tests.browser.test_pwa import camera_jpeg, choose_photo, queue_size

    base = live.url.replace("127.0.0.1", "localhost")
    page = context.new_page()
    phone_with_fingerprint(context, page)
    password_sign_in(page, base, outing.lead)
    page.get_by_role("button", name="Add a passkey on this device").click()
    page.get_by_text(", added").wait_for()
    page.goto(f"{base}/app")
    page.get_by_text(outing.trip.name).wait_for()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    context.clear_cookies()  # the session ended out in the field
    choose_photo(page, camera_jpeg(tmp_path / "IMG_9.jpg", size=(1600, 1200)))
    page.locator("#signin").wait_for()
    assert queue_size(page) == {"photos": 1, "posts": 0}
    page.get_by_role("button", name="Sign in with a passkey").click()  # the fingerprint, and carry on
    page.locator("button.face").first.wait_for()
    assert page.url == f"{base}/app" and len(live.uploads.bodies) == 1
    assert logins(db) == ["password", "passkey"]
