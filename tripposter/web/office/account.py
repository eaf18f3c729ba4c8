"""The school's X account: connect, reconnect and its status. Senior leaders only."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response

from ...config import Settings
from ...models import Role, utcnow
from ...services.errors import ServiceError
from ...services.networks import budget, x_account
from ...services.networks.x_account_connect import begin_connect, complete_connect, connect_problem
from ..core.access import roles
from ..core.database import db_session
from ..core.forms_util import show_errors
from ..forms.account import ReplySettingsForm
from ..forms.admin import ActionForm

bp = Blueprint("account", __name__, url_prefix="/account")

# The Fernet-sealed request token between /connect and /callback. The cookie is signed but readable,
# so only ciphertext goes in it (see services/networks/x_account_connect.py); it is used once, then dropped.
SEALED_KEY = "x_request_token"


def _settings() -> Settings:
    return current_app.config["TRIPPOSTER_SETTINGS"]


@bp.route("/", methods=["GET", "POST"])
@roles(Role.ADMIN)
def show() -> Response | str:
    db = db_session()
    status = x_account.account_status(db, utcnow())
    form = ReplySettingsForm(data={"reply_settings": status.reply_settings})
    if form.validate_on_submit():
        try:
            x_account.set_reply_settings(db, current_user, form.reply_settings.data or "")
        except ServiceError as exc:
            show_errors(form, exc)
        else:
            db.commit()
            flash("Who can reply is saved. It applies to posts sent from now on.", "success")
            return redirect(url_for("account.show"))
    settings = _settings()
    return render_template(
        "account/show.html",
        status=status,
        settings=settings,
        problem=connect_problem(settings),
        budget=budget.this_month(db, utcnow()),
        form=form,
        action=ActionForm(),
    )


@bp.route("/connect", methods=["POST"])
@roles(Role.ADMIN)
def connect() -> Response:
    if not ActionForm().validate_on_submit():
        flash("The page had expired. Press Connect again.", "error")
        return redirect(url_for("account.show"))
    try:
        authorize_url, sealed = begin_connect(_settings(), url_for("account.callback", _external=True))
    except ServiceError as exc:
        flash(exc.user_message, "error")
        return redirect(url_for("account.show"))
    session[SEALED_KEY] = sealed
    return redirect(authorize_url)


@bp.route("/callback")
@roles(Role.ADMIN)
def callback() -> Response:
    sealed = session.pop(SEALED_KEY, None)  # single use, whatever happens next
    if "denied" in request.args:
        flash("You cancelled on X, so the account is not connected. Press Connect when you are ready.", "info")
        return redirect(url_for("account.show"))
    db = db_session()
    try:
        account = complete_connect(
            db,
            current_user,
            _settings(),
            sealed,
            verifier=request.args.get("oauth_verifier", ""),
            returned_token=request.args.get("oauth_token"),
            now=utcnow(),
        )
    except ServiceError as exc:
        flash(exc.user_message, "error")
        return redirect(url_for("account.show"))
    db.commit()
    name = f" @{account.screen_name}" if account.screen_name else ""
    flash(f"The school's X account{name} is connected.", "success")
    return redirect(url_for("account.show"))


@bp.route("/resume", methods=["POST"])
@roles(Role.ADMIN)
def resume() -> Response:
    if ActionForm().validate_on_submit():
        try:
            x_account.resume(db_session(), current_user)
        except ServiceError as exc:
            flash(exc.user_message, "error")
        else:
            db_session().commit()
            flash("Posting to X has resumed. Waiting posts go at their next turn; if X still refuses, "
                  "posting pauses again and nothing is lost.", "success")
    return redirect(url_for("account.show"))


@bp.route("/disconnect", methods=["POST"])
@roles(Role.ADMIN)
def disconnect() -> Response:
    if ActionForm().validate_on_submit():
        try:
            x_account.disconnect(db_session(), current_user)
        except ServiceError as exc:
            flash(exc.user_message, "error")
        else:
            db_session().commit()
            flash("The X account is disconnected: its tokens are forgotten. Nothing will be posted to X.", "success")
    return redirect(url_for("account.show"))
