"""A trip day between masts: the client's address changes between queueing, uploading and posting.

The app must see each new address (through tests/browser/hops.py), keep the one session, never ask
the teacher to sign in again, and post every post exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.browser.conftest import LiveServer
from tests.browser.hops import MastProxy
from tests.browser.test_phone_queue import look_at_every_face
from tests.browser.test_pwa import camera_jpeg, choose_photo, queue_size, wait_for
from tests.conftest import PASSWORD
from tests.lifecycle import Outing
from tripposter.models import AuditEvent, Post, PostState, UserSession
from tripposter.publishers.outbox import OutboxPublisher

pytestmark = pytest.mark.browser
# Counts every time the "Sign in again" panel is shown, from the first script on each page load.
COUNT_PROMPTS = """
window.__prompts = 0;
document.addEventListener("DOMContentLoaded", () => {
  const panel = document.getElementById("signin");
  if (panel) new MutationObserver(() => { if (!panel.hidden) window.__prompts += 1; })
    .observe(panel, { attributes: true, attributeFilter: ["hidden"] });
});
"""


class Seen:
    """WSGI middleware noting the client address of every API write the app receives."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app, self.writes = app, []  # type: ignore[var-annotated]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].startswith("/api/"):
            self.writes.append((environ["PATH_INFO"].rsplit("/", 1)[-1], environ["REMOTE_ADDR"]))
        return self.app(environ, start_response)


@pytest.fixture
def proxy(live: LiveServer, app: Flask) -> Iterator[tuple[MastProxy, Seen]]:
    seen = Seen(app.wsgi_app)
    app.wsgi_app = seen  # type: ignore[method-assign]
    mast = MastProxy(live.server.server_port)
    yield mast, seen
    mast.close()


def post_draft(page: Any, n: int) -> None:
    page.get_by_label("Describe photo 1 for people who cannot see it").fill(f"Pupils at the castle, photo {n}")
    look_at_every_face(page, 1)  # as every post needs
    page.fill("#caption", f"Castle visit, part {n}")
    page.get_by_role("button", name="Post", exact=True).click()


def test_a_day_between_masts_needs_no_second_sign_in_and_posts_each_post_once(
    context: Any, live: LiveServer, proxy: tuple[MastProxy, Seen], outing: Outing, app: Flask, db: Session,
    tmp_path: Path, shots: Any,
) -> None:
    mast, seen = proxy
    context.add_init_script(COUNT_PROMPTS)
    page = context.new_page()
    page.goto(f"{mast.url}/auth/login?next=/app")
    page.fill("input[name=email]", outing.lead.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{mast.url}/app")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")

    for n, (upload_at, post_at) in enumerate((("127.0.0.3", "127.0.0.4"), ("127.0.0.5", "127.0.0.6")), start=1):
        context.set_offline(True)  # queued on the coach with no signal
        choose_photo(page, camera_jpeg(tmp_path / f"IMG_{n}.jpg", size=(1600, 1200), seed=n))
        page.wait_for_function("() => document.querySelectorAll('#draft-photos > li').length === 1")
        mast.hop(upload_at)
        context.set_offline(False)  # a new mast: the photo uploads from here
        page.locator("button.face").first.wait_for()
        mast.hop(post_at)  # and the next one: the post goes from here
        post_draft(page, n)
        wait_for(lambda: queue_size(page) == {"photos": 0, "posts": 0}, seconds=30)
    mast.hop("127.0.0.7")
    page.reload()  # the next morning, from the hotel's Wi-Fi
    page.get_by_text(outing.trip.name).wait_for()
    shots(page, "after-the-hops")

    assert page.evaluate("window.__prompts") == 0 and page.locator("#signin").is_hidden()
    assert app.extensions["tripposter.queue"].drain() >= 2
    assert len(OutboxPublisher(app.config["TRIPPOSTER_SETTINGS"].outbox_path).list_posts()) == 2
    db.expire_all()
    posts = db.scalars(select(Post)).all()
    assert sorted(p.text.split(" #")[0] for p in posts) == ["Castle visit, part 1", "Castle visit, part 2"]
    assert all(p.state is PostState.PUBLISHED for p in posts)
    assert {(kind, at) for kind, at in seen.writes if kind in ("photos", "posts")} == {
        ("photos", "127.0.0.3"), ("posts", "127.0.0.4"), ("photos", "127.0.0.5"), ("posts", "127.0.0.6")}
    row = db.scalars(select(UserSession)).one()  # one session all day
    assert {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7"} <= set(row.addresses)
    actions = [e.action for e in db.scalars(select(AuditEvent).where(AuditEvent.action.like("auth.%")))]
    assert actions == ["auth.login"]
