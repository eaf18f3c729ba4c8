"""Benchmark the phone page's upload under a throttled phone: resized in the browser vs the original.

Run as ``.venv/bin/python benchmarks/upload.py [--rounds N] [--cpu-slowdown X]``. It starts the real
app on 127.0.0.1 with a throw-away instance folder, signs in a trip lead in Debian's Chromium
(emulating a phone), and throttles the page through CDP: the network with
``Network.emulateNetworkConditions`` (3G, 4G) and the processor with
``Emulation.setCPUThrottlingRate`` (4x slower by default, as Lighthouse emulates a mid-range phone),
so the phone's own decode, resize and re-encode are counted at a phone's speed, not a desktop's.

The photo is realistic: a busy 12 MP scene (``scene.py``: real photographs and textures shipped
with scikit-image) saved as a phone saves it, EXIF orientation 6 and GPS included. For each
network it measures the bytes the server received and the time from choosing the photo to the
server's acknowledgement, then the same for the original file sent as it is, and the phone's resize
alone (``static/js/resize.js``). Rounds are interleaved across the networks; min and median are
printed. Targets: at least 5x fewer bytes, under 10 s on 4G.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # so the test helpers (live server, generated photos) are importable

sys.path.insert(0, str(ROOT / "benchmarks"))

from cryptography.fernet import Fernet  # noqa: E402
from scene import camera_photo  # noqa: E402

from tests.browser.conftest import ARGS, CHROMIUM, PHONE_UA, LiveServer  # noqa: E402
from tests.browser.test_pwa import sign_in  # noqa: E402
from tests.conftest import Factory  # noqa: E402
from tests.lifecycle import Outing  # noqa: E402
from tripposter import create_app  # noqa: E402
from tripposter.config import Settings  # noqa: E402
from tripposter.db import upgrade  # noqa: E402
from tripposter.web.core.database import session_factory  # noqa: E402

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
RESIZE_ONLY = """async () => {
  const blob = await (await fetch("/bench/original.jpg")).blob();
  const { shrink } = await import("/static/js/resize.js");
  const start = performance.now();
  const { width, height } = await shrink(blob);
  return { ms: performance.now() - start, width, height };
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


def measure(page: Any, live: LiveServer, photo: Path, profile: dict[str, float], slowdown: float) -> dict[str, float]:
    """Bytes received and seconds to acknowledgement for the page's upload and for the original; the resize alone."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, **profile})
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": slowdown})
    before = len(live.uploads.bodies)
    with page.expect_file_chooser() as chooser:
        page.click("#camera")
    start = time.perf_counter()
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/photos"), timeout=600_000) as acked:
        chooser.value.set_files(str(photo))
    acked.value.finished()
    figures = {"resized s": time.perf_counter() - start, "resized bytes": len(live.uploads.bodies[before][1])}
    trip = page.evaluate("fetch('/api/trips/today').then((r) => r.json()).then((d) => d.trips[0].id)")
    sent = page.evaluate(SEND_ORIGINAL, [f"/api/trips/{trip}/photos", str(uuid.uuid4())])
    assert sent["status"] == 201, sent
    figures.update({"original s": sent["ms"] / 1000, "original bytes": len(live.uploads.bodies[-1][1])})
    resized = page.evaluate(RESIZE_ONLY)
    assert max(resized["width"], resized["height"]) == 2000 and resized["height"] > resized["width"], resized  # upright
    figures["resize s"] = resized["ms"] / 1000
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "uploadThroughput": -1, "downloadThroughput": -1})
    cdp.detach()
    return figures


def report(photo: Path, rows: dict[str, list[dict[str, float]]], slowdown: float) -> None:
    """Print min and median of each figure per network, then the ratios of the medians."""
    print(f"busy 12 MP JPEG (orientation 6, GPS), {photo.stat().st_size:,} bytes on the phone; "
          f"CPU {slowdown:g}x slower; {len(next(iter(rows.values())))} interleaved rounds\n")  # fmt: skip
    print(f"{'network':<8} {'upload':<24} {'bytes sent':>12} {'s to ack min':>13} {'s to ack med':>13}")
    for name, runs in rows.items():
        for label, key in (("resized on the phone", "resized"), ("original file", "original")):
            times = [run[f"{key} s"] for run in runs]
            print(f"{name:<8} {label:<24} {runs[-1][f'{key} bytes']:>12,.0f} {min(times):>13.1f} {statistics.median(times):>13.1f}")
        resize = [run["resize s"] for run in runs]
        print(f"{name:<8} {'the resize alone':<24} {'':>12} {min(resize):>13.1f} {statistics.median(resize):>13.1f}")
    for name, runs in rows.items():
        med = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        print(f"{name}: {med['original bytes'] / med['resized bytes']:.1f}x fewer bytes, "
              f"{med['original s'] / med['resized s']:.1f}x faster")  # fmt: skip


def main() -> None:
    """Print the table."""
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--cpu-slowdown", type=float, default=4.0, help="CDP CPU throttling rate (1 = none)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tripposter-bench-"))
    try:
        photo = camera_photo(folder / "IMG_0001.jpg")
        app, outing = build(folder / "instance")
        app.wsgi_app = Original(app.wsgi_app, photo.read_bytes())  # type: ignore[method-assign]
        rows: dict[str, list[dict[str, float]]] = {name: [] for name in PROFILES}
        with LiveServer(app) as live, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                          user_agent=PHONE_UA)
            page = context.new_page()
            sign_in(page, live, outing)
            for _ in range(args.rounds):
                for name, profile in PROFILES.items():
                    rows[name].append(measure(page, live, photo, profile, args.cpu_slowdown))
                    page.reload()  # a fresh page for the next run; the photos just sent are not needed
            browser.close()
        report(photo, rows, args.cpu_slowdown)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
