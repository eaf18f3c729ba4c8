"""A live server around the test's own app, and Debian's Chromium emulating a phone, via Playwright.

Browsers are never downloaded: the tests use ``/usr/bin/chromium``. Without it they fail under
CI and skip on a workstation.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--disable-dev-shm-usage"]
PHONE_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/130.0.0.0 Mobile Safari/537.36")
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts" / "pwa"


class Uploads:
    """WSGI middleware that keeps a copy of every photo upload body, exactly as the server got it,
    and hands the server whole, already-closed responses."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.bodies: list[tuple[str, bytes]] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].endswith("/photos"):
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            self.bodies.append((environ.get("CONTENT_TYPE", ""), body))
            environ["wsgi.input"] = io.BytesIO(body)
        # Werkzeug's development server skips closing the response when the browser resets the
        # connection (its clean-up reads the socket first, and that read raises), leaving a static
        # file open for the garbage collector to report in whichever test runs next. Reading the
        # body here and closing it ourselves keeps every test's warnings its own.
        result = self.app(environ, start_response)
        try:
            return [b"".join(result)]
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()


class LiveServer:
    def __init__(self, app: Flask) -> None:
        self.uploads = Uploads(app.wsgi_app)
        app.wsgi_app = self.uploads  # type: ignore[method-assign]
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def live(app: Flask) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium package (browsers are never downloaded)."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # The phone's user agent on the command line too: Playwright's per-context override does not
        # reach the service worker, and the server's strong session protection (address + user
        # agent) would then end the session as soon as Background Sync sends from the worker.
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[*ARGS, f"--user-agent={PHONE_UA}"])
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, user_agent=PHONE_UA, locale="en-GB", service_workers="allow")
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Callable[[Any, str], None]:
    """Save a full-page screenshot of the step as a test artefact (test-artifacts/pwa/)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    count = [0]

    def shot(page: Any, step: str) -> None:
        count[0] += 1
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{count[0]:02d}-{step}.png"), full_page=True)

    return shot
