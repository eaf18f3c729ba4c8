"""The phone page's shell, manifest and service worker, as served (the browser tests drive them)."""

from __future__ import annotations

import gzip
import re

from flask.testing import FlaskClient

from tests.conftest import AuthActions, Factory
from tripposter.models import Role
from tripposter.web.phone.pwa import SHELL_ASSETS

BUDGET = 60 * 1024  # first load, HTML + CSS + JS, gzip-compressed


def test_manifest_makes_the_page_installable(client: FlaskClient) -> None:
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json(force=True)
    assert manifest["start_url"] == "/app" and manifest["scope"] == "/" and manifest["display"] == "standalone"
    assert manifest["name"] and manifest["short_name"] and manifest["theme_color"] and manifest["background_color"]
    sizes = {(i["sizes"], i["purpose"]) for i in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        png = client.get(icon["src"])
        assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = int.from_bytes(png.data[16:20], "big"), int.from_bytes(png.data[20:24], "big")
        assert f"{width}x{height}" == icon["sizes"]
        png.close()


def test_service_worker_is_served_from_the_root_uncached_and_versioned(client: FlaskClient) -> None:
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    source = response.get_data(as_text=True)
    assert "__VERSION__" not in source and "__ASSETS__" not in source
    assert re.search(r'const VERSION = "[0-9a-f]{16}"', source)
    for asset in SHELL_ASSETS:
        assert f'"/static/{asset}"' in source
    assert "/api/" in source  # the API is never cached by the worker


def test_shell_is_for_trip_leads_and_keeps_a_strict_policy(client: FlaskClient, auth: AuthActions, make: Factory) -> None:
    assert client.get("/app").status_code == 302  # anonymous: off to sign in
    auth.login(make.user(Role.TRIP_LEAD))
    response = client.get("/app")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe" not in csp
    html = response.get_data(as_text=True)
    assert "<script>" not in html and "style=" not in html and " on" + "click=" not in html
    assert 'href="/post/"' in html  # works before (or without) the script
    assert 'rel="manifest"' in html and 'type="module"' in html
    assert 'capture="environment"' in html and 'accept="image/*"' in html and " multiple" in html
    assert "csrf" not in html.lower()  # the worker caches this page: nothing session-bound in it


def test_first_load_fits_the_budget(client: FlaskClient, auth: AuthActions, make: Factory) -> None:
    auth.login(make.user(Role.TRIP_LEAD))
    html = client.get("/app").data
    total = len(gzip.compress(html, 9))
    for asset in SHELL_ASSETS:
        if asset.endswith((".css", ".js")):
            response = client.get(f"/static/{asset}")
            assert response.status_code == 200, asset
            total += len(gzip.compress(response.data, 9))
            response.close()
    total += len(gzip.compress(client.get("/sw.js").data, 9))
    assert total <= BUDGET, f"{total} bytes compressed"


def test_every_module_the_page_imports_is_precached(client: FlaskClient) -> None:
    imported = set()
    for asset in SHELL_ASSETS:
        if asset.endswith(".js"):
            response = client.get(f"/static/{asset}")
            imported |= {f"js/{name}" for name in re.findall(r'from "\./([\w-]+\.js)"', response.get_data(as_text=True))}
            response.close()
    assert imported and imported <= set(SHELL_ASSETS)
