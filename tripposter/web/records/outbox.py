"""The outbox: what would have gone to X, kept on this machine.

Any signed-in member of staff may look, since it stands in for the school's public X account.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, render_template, send_file
from werkzeug.wrappers import Response

from ...publishers.outbox import OutboxNotFoundError, OutboxPublisher
from ...services.school.settings import get_school
from ..core.access import signed_in
from ..core.database import db_session

bp = Blueprint("outbox", __name__, url_prefix="/outbox")


def _outbox() -> OutboxPublisher:
    return OutboxPublisher(current_app.config["TRIPPOSTER_SETTINGS"].outbox_path)


def _zone() -> ZoneInfo:
    return ZoneInfo(get_school(db_session()).timezone)


@bp.route("/")
@signed_in
def index() -> str:
    keep_days = current_app.config["TRIPPOSTER_SETTINGS"].outbox_retention_days
    return render_template("outbox/index.html", posts=_outbox().list_posts(), zone=_zone(), keep_days=keep_days)


@bp.route("/<post_id>")
@signed_in
def show(post_id: str) -> str:
    try:
        post = _outbox().get(post_id)
    except OutboxNotFoundError:
        abort(404)
    return render_template("outbox/show.html", post=post, zone=_zone())


@bp.route("/<post_id>/<int:index>.jpg")
@signed_in
def image(post_id: str, index: int) -> Response:
    try:
        path = _outbox().image_path(post_id, index)
    except OutboxNotFoundError:
        abort(404)
    return send_file(path, mimetype="image/jpeg", max_age=0)
