"""The real app in werkzeug's threaded WSGI server on loopback, and browser-like signed-in sessions.

Import ``app`` and ``server`` into a test module to use them: ``app`` replaces conftest's, because
plain HTTP on loopback needs a session cookie that is not Secure (as `make run` on Safari).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator

import pytest
import requests
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from tests.conftest import PASSWORD, TOKEN
from tripposter.config import Settings
from tripposter.runtime import Runtime


@pytest.fixture
def app(settings: Settings, app_factory: Callable[[Settings], Flask]) -> Flask:
    return app_factory(dataclasses.replace(settings, cookie_secure=False))


@pytest.fixture
def server(app: Flask, rt: Runtime) -> Iterator[str]:
    """The app in a real threaded WSGI server on a free loopback port; yields its base URL."""
    httpd: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)
    httpd.server_close()


def sign_in(base: str, email: str, password: str = PASSWORD) -> requests.Session:
    """Signed in through the login form; every later request carries the CSRF token from /api/session."""
    http = requests.Session()
    match = TOKEN.search(http.get(f"{base}/auth/login", timeout=10).text)
    assert match, "no CSRF token on the login page"
    form = {"email": email, "password": password, "csrf_token": match.group(1) or match.group(2)}
    signed = http.post(f"{base}/auth/login", data=form, allow_redirects=False, timeout=10)
    assert signed.status_code == 302, signed.text[:300]
    http.headers["X-CSRFToken"] = http.get(f"{base}/api/session", timeout=10).json()["csrf_token"]
    return http
