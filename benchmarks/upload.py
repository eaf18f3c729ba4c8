"""Benchmark the phone page's upload under throttled 3G and 4G: resized in the browser vs the original.

Run as ``.venv/bin/python benchmarks/upload.py``. It starts the real app on 127.0.0.1 with a
throw-away instance folder, signs in a trip lead in Debian's Chromium (emulating a phone), and
throttles the page through CDP ``Network.emulateNetworkConditions``. For a generated 12 MP JPEG
carrying GPS EXIF it measures the bytes the server received and the time from choosing the photo
to the server's acknowledgement (decode, resize and re-encode in the browser included), then the
same for the original file sent as it is. Targets: at least 5x fewer bytes, under 10 s on 4G.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # so the test helpers (live server, generated photos) are importable

import numpy as np  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from PIL import Image  # noqa: E402

from tests.browser.conftest import ARGS, CHROMIUM, PHONE_UA, LiveServer  # noqa: E402
from tests.browser.test_pwa import camera_jpeg, sign_in  # noqa: E402
from tests.conftest import Factory  # noqa: E402
from tests.lifecycle import Outing  # noqa: E402
from tests.pipeline.corpus import full_exif  # noqa: E402
from tripposter import create_app  # noqa: E402
from tripposter.config import Settings  # noqa: E402
from tripposter.db import upgrade  # noqa: E402
from tripposter.web.database import session_factory  # noqa: E402

# Upload and download in bytes per second; latency is the round trip in ms.
PROFILES = {
    "3G": {"latency": 300, "uploadThroughput": 400_000 / 8, "downloadThroughput": 1_600_000 / 8},
    "4G": {"latency": 150, "uploadThroughput": 1_600_000 / 8, "downloadThroughput": 9_000_000 / 8},
}
SEND_ORIGINAL = """async ([url, key]) => {
  const blob = await (await fetch("/bench/original.jpg")).blob();
  const csrf = (await (await fetch("/api/session")).json()).csrf_token;
  const body = new FormData();
  body.append("photo", blob, "IMG_0001.jpg");
  const start = performance.now();
  const response = await fetch(url, { method: "POST", body, headers: { "X-CSRFToken": csrf, "Idempotency-Key": key } });
  return { status: response.status, ms: performance.now() - start };
}"""


class Original:
    """Serves the untouched camera file to the page, so it can send it as a phone without resizing would."""

    def __init__(self, app: Any, data: bytes) -> None:
        self.app, self.data = app, data

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ["PATH_INFO"] == "/bench/original.jpg":
            start_response("200 OK", [("Content-Type", "image/jpeg"), ("Content-Length", str(len(self.data)))])
            return [self.data]
        return self.app(environ, start_response)


def phone_photo(path: Path) -> Path:
    """The test's 12 MP photo with a phone sensor's grain added, so it weighs what a real one does (~4 MB)."""
    camera_jpeg(path)
    with Image.open(path) as image:
        pixels = np.asarray(image, dtype=np.float32)
    grain = np.random.default_rng(1).normal(0, 5, pixels.shape).astype(np.float32)
    Image.fromarray(np.clip(pixels + grain, 0, 255).astype(np.uint8)).save(path, "JPEG", quality=92, exif=full_exif(1))
    return path


def build(folder: Path) -> tuple[Any, Outing]:
    """An app on a fresh, migrated instance folder, with a trip running today."""
    db = folder / "tripposter.sqlite3"
    upgrade(f"sqlite:///{db}")
    settings = Settings(instance_path=folder, secret_key=uuid.uuid4().hex, database_url=f"sqlite:///{db}",
                        spool_key=Fernet.generate_key().decode(), token_key=Fernet.generate_key().decode(),
                        login_rate_limit="100 per minute")
    app = create_app(settings)
    with session_factory(app)() as session:
        outing = Outing(Factory(session))
        session.expunge_all()
    return app, outing


def measure(page: Any, live: LiveServer, photo: Path, profile: dict[str, float]) -> list[tuple[str, int, float]]:
    """Bytes received and seconds to acknowledgement, for the page's upload and for the original."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, **profile})
    before = len(live.uploads.bodies)
    with page.expect_file_chooser() as chooser:
        page.click("#camera")
    start = time.perf_counter()
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/photos"), timeout=600_000) as acked:
        chooser.value.set_files(str(photo))
    acked.value.finished()
    resized = ("resized in the browser", len(live.uploads.bodies[before][1]), time.perf_counter() - start)
    trip = page.evaluate("fetch('/api/trips/today').then((r) => r.json()).then((d) => d.trips[0].id)")
    sent = page.evaluate(SEND_ORIGINAL, [f"/api/trips/{trip}/photos", str(uuid.uuid4())])
    assert sent["status"] == 201, sent
    original = ("original file", len(live.uploads.bodies[-1][1]), sent["ms"] / 1000)
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "uploadThroughput": -1, "downloadThroughput": -1})
    cdp.detach()
    return [resized, original]


def main() -> None:
    """Print the table."""
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="tripposter-bench-"))
    try:
        photo = phone_photo(folder / "IMG_0001.jpg")
        app, outing = build(folder / "instance")
        app.wsgi_app = Original(app.wsgi_app, photo.read_bytes())  # type: ignore[method-assign]
        rows = []
        with LiveServer(app) as live, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                          user_agent=PHONE_UA)
            page = context.new_page()
            sign_in(page, live, outing)
            for name, profile in PROFILES.items():
                for label, sent, seconds in measure(page, live, photo, profile):
                    rows.append((name, label, sent, seconds))
                page.reload()  # a fresh page for the next profile; the photos just sent are not needed
            browser.close()
        print(f"12 MP JPEG with GPS EXIF, {photo.stat().st_size:,} bytes on the phone\n")
        print(f"{'network':<8} {'upload':<24} {'bytes sent':>12} {'seconds to ack':>15}")
        for name, label, sent, seconds in rows:
            print(f"{name:<8} {label:<24} {sent:>12,} {seconds:>15.1f}")
        for name in PROFILES:
            small, big = (r for r in rows if r[0] == name)
            print(f"{name}: {big[2] / small[2]:.1f}x fewer bytes, {big[3] / small[3]:.1f}x faster")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
