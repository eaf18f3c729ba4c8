"""Start-up stays light: ``tripposter --help`` and the worker import only what they use.

Each check runs a fresh interpreter and reads which modules it imported (``-X importtime``), so a
module imported by anything on the way counts, however deep. Times are never asserted here:
``benchmarks/startup.py`` prints them beside a peer.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tripposter.cli import main
from tripposter.compose import build_queue
from tripposter.config import Settings
from tripposter.models import User
from tripposter.publishers.outbox import OutboxPublisher

ROOT = Path(__file__).resolve().parent.parent
# Heavy, and never needed to print help or to start a worker.
NEVER_FOR_HELP = ("onnxruntime", "huey", "tripposter.web", "tripposter.web.app", "sqlalchemy", "flask_login")
NEVER_FOR_WORKER = ("onnxruntime", "tripposter.web", "tripposter.web.app", "flask_login", "flask_wtf", "wtforms")
# Runs the worker command up to the point where huey's consumer would take over, then lists the modules.
WORKER = """
import sys
from tripposter import jobs
jobs.Queue.start_worker = lambda self, workers=1: print("started", type(self.runtime.publisher_for).__name__)
from tripposter.cli import main
from tripposter.compose import build_queue
main(["worker"], standalone_mode=False)
"""

APP = """
import sys
from PIL import Image
from tripposter import create_app
runtime = create_app().extensions["tripposter.runtime"]
print("onnxruntime" in sys.modules)
runtime.detector_factory().detect(Image.new("RGB", (64, 48)))
print("onnxruntime" in sys.modules)
"""


def imported(args: list[str], env: dict[str, str] | None = None) -> tuple[set[str], str]:
    """The modules a fresh ``python -X importtime ARGS`` imported, and what it printed."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "click" in names  # the report was really read
    return names, proc.stdout


def test_help_lists_every_command_without_the_web_app_the_queue_or_the_face_model() -> None:
    names, out = imported(["-m", "tripposter.cli", "--help"])
    for command in ("create-user", "import-roster", "seed-demo", "db", "worker", "jobs", "scrub", "run"):
        assert f"  {command} " in out
    assert [name for name in NEVER_FOR_HELP if name in names] == []


def test_a_command_help_is_as_light() -> None:
    names, out = imported(["-m", "tripposter.cli", "create-user", "--help"])
    assert "[office|trip_lead|admin]" in out
    assert not {"onnxruntime", "huey", "tripposter.web"} & names


def test_the_worker_starts_without_the_web_app_or_the_face_model(tmp_path: Path) -> None:
    env = {**os.environ, "TRIPPOSTER_INSTANCE_PATH": str(tmp_path / "instance")}
    names, out = imported(["-c", WORKER], env)
    assert out.strip() == "started partial"  # a real queue on a runtime whose publisher was injected
    assert "huey" in names and "tripposter.services.posting.publishing" in names
    assert [name for name in NEVER_FOR_WORKER if name in names] == []


def test_the_web_app_loads_the_face_model_on_first_detection(tmp_path: Path) -> None:
    env = {**os.environ, "TRIPPOSTER_INSTANCE_PATH": str(tmp_path / "instance")}
    names, out = imported(["-c", APP], env)
    assert out.split() == ["False", "True"]  # not at start-up; on the first photo's detection
    assert "flask_login" in names


def test_the_check_sees_a_heavy_import() -> None:
    names, _ = imported(["-c", "import click, huey"])
    assert "huey" in names


def test_the_tripposter_group_runs_commands_on_the_app_it_is_given(app: Flask, db: Session) -> None:
    # What `tripposter` does: the group builds (here: is handed) the app; the app knows no CLI.
    result = app.test_cli_runner().invoke(main, ["create-user", "--email", "a@school.test", "--name", "A",
                                                 "--role", "office", "--password", "long-password-1"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert db.scalars(select(User.email)).all() == ["a@school.test"]


def test_the_composed_runtime_publishes_where_the_settings_say(settings: Settings) -> None:
    queue = build_queue(settings)
    try:
        assert queue.runtime.settings is settings and queue.runtime.spool.root == settings.spool_path
        with queue.runtime.sessions() as session:
            publisher = queue.runtime.publisher_for(session)
        assert isinstance(publisher, OutboxPublisher) and publisher.root == settings.outbox_path
    finally:
        queue.runtime.sessions.kw["bind"].dispose()
