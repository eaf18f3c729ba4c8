"""The pieces of ``load.py`` that are not the benchmark itself: a throw-away instance, gunicorn, memory, HTTP.

Everything talks to the app the way a phone does, over HTTP on loopback; nothing here imports the app.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import requests
from urllib3 import encode_multipart_formdata

ROOT = Path(__file__).resolve().parent.parent
# The demo school's trip lead (services/school/demo.py): the seed makes a trip running today for them.
LEAD_EMAIL, LEAD_PASSWORD = "lead@demo.school", "lead-demo-pass"
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CONTENT_TYPES = {".jpg": "image/jpeg", ".heic": "image/heic"}
# The app's "strong" session protection ties the cookie to the browser: every request sends the same one.
USER_AGENT = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) tripposter-load-benchmark"


def instance_env(folder: Path) -> dict[str, str]:
    """The environment of a process that uses the throw-away instance in ``folder`` (SQLite, embedded queue)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIPPOSTER_") and k != "DATABASE_URL"}
    env.update(
        TRIPPOSTER_INSTANCE_PATH=str(folder),
        # Plain HTTP on loopback: a Secure cookie would never be sent back.
        TRIPPOSTER_COOKIE_SECURE="false",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
    )
    return env


def prepare_instance(folder: Path) -> dict[str, str]:
    """Migrate a fresh SQLite database in ``folder`` and seed the demo school through the real CLI."""
    env = instance_env(folder)
    for args in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run([sys.executable, "-m", "tripposter.cli", *args], env=env, cwd=ROOT, check=True,
                       capture_output=True, text=True)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Gunicorn:
    """``gunicorn wsgi:app`` on a loopback port, started and stopped around a ``with`` block."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.cmd = [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{self.port}", *args, "wsgi:app"]
        self.env, self.log = env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Gunicorn:
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(self.cmd, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}:\n{self.log.read_text()[-2000:]}")
            try:
                if requests.get(self.base + "/auth/login", timeout=5).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within 120 s:\n{self.log.read_text()[-2000:]}")

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # graceful: workers finish what they hold, then exit
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def worker_timeouts(self) -> int:
        """How many workers the master killed for overrunning ``timeout`` (each one cost its requests)."""
        return self.log.read_text(errors="replace").count("WORKER TIMEOUT")

    def errors(self) -> str:
        """The last lines of each error the app logged, to say why an upload got a 5xx."""
        lines = self.log.read_text(errors="replace").splitlines()
        starts = [i for i, line in enumerate(lines) if "unhandled error" in line]
        found = []
        for start in starts:
            end = next((i for i in range(start + 1, len(lines)) if lines[i] and not lines[i][0].isspace()
                        and not lines[i].startswith("Traceback") and i > start + 1), len(lines))
            found.append("\n".join(lines[start:start + 1] + lines[max(start + 1, end - 3):end]))
        return "\n".join(found)


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def process_tree(root: int) -> list[int]:
    """``root`` and its children, from /proc (gunicorn forks its workers straight from the master)."""
    pids = [root]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name may hold spaces; the parent pid is the 2nd field after its closing bracket.
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == root:
                pids.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return pids


class MemoryWatch(threading.Thread):
    """Polls the summed RSS of the gunicorn master and its workers; keeps the peak and each worker's VmHWM."""

    def __init__(self, root: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak_kb = 0
        self.worker_hwm_kb: dict[int, int] = {}
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.sample()
            self._done.wait(self.interval)

    def sample(self) -> None:
        pids = process_tree(self.root)
        self.peak_kb = max(self.peak_kb, sum(_status_kb(pid, "VmRSS") for pid in pids))
        for pid in pids[1:]:
            self.worker_hwm_kb[pid] = max(self.worker_hwm_kb.get(pid, 0), _status_kb(pid, "VmHWM"))

    def stop(self) -> None:
        self.sample()
        self._done.set()
        self.join()


class Teacher:
    """A signed-in trip lead: the cookie and CSRF token the phone page would hold."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.headers["User-Agent"] = USER_AGENT
        page = self.http.get(base + "/auth/login", timeout=30)
        token = TOKEN.search(page.text)
        if token is None:
            raise RuntimeError("no CSRF token on the sign-in page")
        reply = self.http.post(base + "/auth/login", timeout=30,
                               data={"email": LEAD_EMAIL, "password": LEAD_PASSWORD, "csrf_token": token.group(1)})
        if reply.url.endswith("/auth/login"):
            raise RuntimeError("sign-in failed: " + reply.text[:300])
        self.csrf = self.http.get(base + "/api/session", timeout=30).json()["csrf_token"]
        self.trip_id = int(self.http.get(base + "/api/trips/today", timeout=30).json()["trips"][0]["id"])
        self.cookie = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)


@dataclass
class Result:
    status: int
    seconds: float
    photo_id: str | None = None
    error: str = ""


def upload(teacher: Teacher, name: str, data: bytes, start: threading.Barrier, rate: float = 0.0) -> Result:
    """POST one photo as the phone page does; ``rate`` (bytes/s, 0 = flat out) dribbles the body like a slow phone."""
    body, content_type = encode_multipart_formdata({"photo": (name, data, CONTENT_TYPES[Path(name).suffix])})
    headers = {"Content-Type": content_type, "Content-Length": str(len(body)), "Cookie": teacher.cookie,
               "X-CSRFToken": teacher.csrf, "Idempotency-Key": str(uuid.uuid4()), "Accept": "application/json",
               "User-Agent": USER_AGENT}
    conn = http.client.HTTPConnection(teacher.base.removeprefix("http://"), timeout=600)
    start.wait()
    began = time.perf_counter()
    try:
        conn.putrequest("POST", f"/api/trips/{teacher.trip_id}/photos", skip_accept_encoding=True)
        for key, value in headers.items():
            conn.putheader(key, value)
        conn.endheaders()
        chunk = max(1, int(rate / 10)) if rate else len(body)
        for offset in range(0, len(body), chunk):
            conn.send(body[offset:offset + chunk])
            if rate:
                time.sleep(chunk / rate)
        reply = conn.getresponse()
        text = reply.read().decode(errors="replace")
    except OSError as exc:
        return Result(0, time.perf_counter() - began, error=f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()
    seconds = time.perf_counter() - began
    if reply.status != 201:
        return Result(reply.status, seconds, error=text[:200])
    return Result(reply.status, seconds, photo_id=json.loads(text)["photo"]["id"])
