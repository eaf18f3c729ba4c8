"""The Networks page: connect, test and disconnect Bluesky, Mastodon, a Facebook Page and the practice outbox.

Senior leaders only.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from ...config import Settings
from ...models import ChannelKind, Role, utcnow
from ...services.errors import NotFoundError, ServiceError
from ...services.networks import channels, x_account
from ...services.school.settings import get_school
from ..core.access import roles
from ..core.database import db_session
from ..core.forms_util import show_errors
from ..forms.admin import ActionForm
from ..forms.channels import FORMS

bp = Blueprint("channels", __name__, url_prefix="/networks")


def _settings() -> Settings:
    return current_app.config["TRIPPOSTER_SETTINGS"]


def _kind(value: str) -> ChannelKind:
    try:
        return ChannelKind(value)
    except ValueError:
        abort(404)


def _page(forms: dict[ChannelKind, FlaskForm] | None = None, status: int = 200) -> tuple[str, int]:
    db = db_session()
    forms = {kind: (forms or {}).get(kind) or form() for kind, form in FORMS.items()}
    return render_template(
        "channels/index.html",
        networks=channels.list_channels(db),
        forms=forms,
        x=x_account.get_account(db),
        today=channels.where_posts_go(_settings().publisher),
        action=ActionForm(),
        zone=ZoneInfo(get_school(db).timezone),
    ), status


@bp.route("/")
@roles(Role.ADMIN)
def index() -> tuple[str, int]:
    return _page()


@bp.route("/<kind>/connect", methods=["POST"])
@roles(Role.ADMIN)
def connect(kind: str) -> Response | tuple[str, int]:
    network = _kind(kind)
    form = FORMS[network]()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            flash("The page had expired. Enter the details again.", "error")
        return _page({network: form}, 400)
    fields = {name: str(value or "") for name, value in form.data.items() if name != "csrf_token"}
    db = db_session()
    try:
        channel = channels.connect(db, current_user, _settings().token_key, network, fields, utcnow(),
                                   _settings().practice_outbox_path)
    except ServiceError as exc:
        db.rollback()
        show_errors(form, exc)
        return _page({network: form}, 400)
    db.commit()
    flash(f"The school's {network.label} is connected as {channel.display_name}.", "success")
    return redirect(url_for("channels.index"))


@bp.route("/<int:channel_id>/test", methods=["POST"])
@roles(Role.ADMIN)
def test(channel_id: int) -> Response:
    if not ActionForm().validate_on_submit():
        flash("The page had expired. Press Test connection again.", "error")
        return redirect(url_for("channels.index"))
    db = db_session()
    try:
        result = channels.test_connection(db, current_user, _settings().token_key, channel_id, utcnow(),
                                           _settings().practice_outbox_path)
    except NotFoundError as exc:
        flash(exc.user_message, "error")
        return redirect(url_for("channels.index"))
    db.commit()
    flash(result.message, "success" if result.ok else "error")
    return redirect(url_for("channels.index"))


@bp.route("/<int:channel_id>/disconnect", methods=["GET", "POST"])
@roles(Role.ADMIN)
def disconnect(channel_id: int) -> Response | str:
    db = db_session()
    try:
        channel = channels.get_channel(db, channel_id)
    except NotFoundError as exc:
        flash(exc.user_message, "error")
        return redirect(url_for("channels.index"))
    form = ActionForm()
    if not form.validate_on_submit():
        return render_template("channels/disconnect.html", channel=channel, action=form)
    channels.disconnect(db, current_user, channel_id, utcnow())
    db.commit()
    forgotten = "no more posts go there" if channel.kind.local else "its password or token is forgotten"
    flash(f"The school's {channel.kind.label} is disconnected: {forgotten}.", "success")
    return redirect(url_for("channels.index"))
