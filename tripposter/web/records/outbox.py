"""The outbox, and the practice outbox channel: posts kept on this machine, shown as a network would.

Any signed-in member of staff may look, since each stands in for a public account. Both folders are
shown by the same views; ``practice_*`` routes are the practice outbox's (``/outbox/practice/...``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, render_template, send_file
from werkzeug.wrappers import Response

from ...config import Settings
from ...publishers.outbox import MAIN_URL, PRACTICE_URL, OutboxNotFoundError, OutboxPublisher
from ...services.school.settings import get_school
from ..core.access import signed_in
from ..core.database import db_session

bp = Blueprint("outbox", __name__, url_prefix="/outbox")


@dataclass(frozen=True)
class Folder:
    """One outbox folder as the pages name it: its title, its endpoints' prefix, and what it stands in for."""

    title: str
    endpoint: str  # "" for the outbox, "practice_" for the practice outbox
    url_prefix: str
    about: str

    def path(self, settings: Settings) -> Path:
        return settings.practice_outbox_path if self.endpoint else settings.outbox_path


MAIN = Folder("Outbox", "", MAIN_URL,
              "Posts land here instead of on X while the app is set to keep them on this machine. "
              "This is what the school's account would show.")
PRACTICE = Folder("Practice outbox", "practice_", PRACTICE_URL,
                  "A senior leader connected the practice outbox on the Networks page: every post also lands here, "
                  "as if it were another network. Nothing here leaves this machine.")


def _settings() -> Settings:
    return current_app.config["TRIPPOSTER_SETTINGS"]


def _outbox(folder: Folder) -> OutboxPublisher:
    return OutboxPublisher(folder.path(_settings()), url_prefix=folder.url_prefix)


def _zone() -> ZoneInfo:
    return ZoneInfo(get_school(db_session()).timezone)


def _index(folder: Folder) -> str:
    keep_days = _settings().outbox_retention_days
    return render_template("outbox/index.html", posts=_outbox(folder).list_posts(), zone=_zone(),
                           keep_days=keep_days, folder=folder)


def _show(folder: Folder, post_id: str) -> str:
    try:
        post = _outbox(folder).get(post_id)
    except OutboxNotFoundError:
        abort(404)
    return render_template("outbox/show.html", post=post, zone=_zone(), folder=folder)


def _image(folder: Folder, post_id: str, index: int) -> Response:
    try:
        path = _outbox(folder).image_path(post_id, index)
    except OutboxNotFoundError:
        abort(404)
    return send_file(path, mimetype="image/jpeg", max_age=0)


@bp.route("/")
@signed_in
def index() -> str:
    return _index(MAIN)


@bp.route("/<post_id>")
@signed_in
def show(post_id: str) -> str:
    return _show(MAIN, post_id)


@bp.route("/<post_id>/<int:index>.jpg")
@signed_in
def image(post_id: str, index: int) -> Response:
    return _image(MAIN, post_id, index)


@bp.route("/practice/")
@signed_in
def practice_index() -> str:
    return _index(PRACTICE)


@bp.route("/practice/<post_id>")
@signed_in
def practice_show(post_id: str) -> str:
    return _show(PRACTICE, post_id)


@bp.route("/practice/<post_id>/<int:index>.jpg")
@signed_in
def practice_image(post_id: str, index: int) -> Response:
    return _image(PRACTICE, post_id, index)
