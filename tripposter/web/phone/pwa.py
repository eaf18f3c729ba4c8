"""The installable phone page: its shell, the web manifest and the service worker.

The shell holds no personal data (names, trips and tokens come from the JSON API), so the
service worker may keep it and open it with no network. The worker's script carries a version
made from the shell's files, so any change to them installs a fresh cache on the next visit.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, render_template

from ...models import Role
from ..core.access import public, roles

bp = Blueprint("pwa", __name__)

THEME = "#0b5cad"
BACKGROUND = "#f6f7f9"
# Everything the page needs to open offline, besides /app itself. Icons are small and let the
# installed app draw its own splash screen without the network.
SHELL_ASSETS = (
    "app.css",
    "pwa.css",
    "js/app.js",
    "js/queue.js",
    "js/resize.js",
    "js/upload.js",
    "js/drain.js",
    "js/faces.js",
    "js/labels.js",
    "js/regions.js",
    "js/present.js",
    "js/status.js",
    "js/guard.js",
    "js/dom.js",
    "js/keep.js",
    "js/background.js",
    "js/pick.js",
    "js/passkey.js",
    "js/reauth.js",
    "icons/icon-192.png",
)
ICONS = (
    ("icons/icon-192.png", "192x192", "any"),
    ("icons/icon-512.png", "512x512", "any"),
    ("icons/icon-maskable-512.png", "512x512", "maskable"),
)


@bp.route("/app")
@roles(Role.TRIP_LEAD)
def shell() -> str:
    """The phone page: a static shell that the service worker can keep and open offline."""
    return render_template("pwa/app.html", assets=SHELL_ASSETS)


@bp.route("/manifest.webmanifest")
@public
def manifest() -> Response:
    """The web app manifest that makes the phone page installable."""
    response = jsonify(
        {
            "id": "/app",
            "name": "tripposter: post trip photos",
            "short_name": "Trip photos",
            "description": "Post school-trip photos with consent checked and no copies left behind.",
            "lang": "en-GB",
            "start_url": "/app",
            "scope": "/",
            "display": "standalone",
            "orientation": "portrait",
            "theme_color": THEME,
            "background_color": BACKGROUND,
            "icons": [
                {"src": f"/static/{path}", "sizes": sizes, "type": "image/png", "purpose": purpose}
                for path, sizes, purpose in ICONS
            ],
        }
    )
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/sw.js")
@public
def service_worker() -> Response:
    """The service worker, at the root so its scope covers /app; never cached by HTTP."""
    static = Path(current_app.static_folder or "static")
    files = (*(static / name for name in SHELL_ASSETS), static / "sw.js", static.parent / "templates" / "pwa" / "app.html")
    response = Response(_worker_source(static, tuple((f, f.stat().st_mtime_ns) for f in files)), mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@cache
def _worker_source(static: Path, stamps: tuple[tuple[Path, int], ...]) -> str:
    """The worker's script with its version (a digest of the shell's files) and precache list filled in."""
    digest = hashlib.sha256()
    for path, _ in stamps:
        digest.update(path.read_bytes())
    assets = ", ".join(f'"/static/{name}"' for name in SHELL_ASSETS)
    source = (static / "sw.js").read_text(encoding="utf-8")
    return source.replace("__VERSION__", digest.hexdigest()[:16]).replace('"__ASSETS__"', assets)
