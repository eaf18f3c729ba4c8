"""My sign-in: two-step sign-in, passkeys, your sessions, and signing out everywhere."""

from __future__ import annotations

import qrcode
import qrcode.image.svg
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from ...config import Settings
from ...models import UserSession
from ...services.errors import ServiceError
from ...services.people import passkeys, sessions, two_factor
from ...services.school.settings import get_school
from ..core.access import signed_in
from ..core.database import db_session, runtime
from ..core.extensions import limiter
from ..core.forms_util import show_errors
from ..forms.admin import ActionForm
from ..forms.auth import CodeForm
from . import sessions as signin

bp = Blueprint("security", __name__, url_prefix="/security")


def _user_key() -> str:
    settings: Settings = current_app.config["TRIPPOSTER_SETTINGS"]
    return f"{settings.namespace}:code-user:{current_user.get_id()}"


def _code_limit() -> str:
    return current_app.config["TRIPPOSTER_SETTINGS"].two_factor_rate_limit


@bp.get("/")
@signed_in
def show() -> str:
    school = get_school(db_session())
    sessions.prune(db_session(), current_user, signin.lifetime(), runtime().clock())
    db_session().commit()  # sessions past their limits are ended (and audited) before the list is drawn
    return render_template(
        "security/show.html",
        required=two_factor.required_for(current_user, school),
        off_form=CodeForm(prefix="off"),
        action=ActionForm(),
        sessions=sessions.of_user(db_session(), current_user),
        this_session=signin.current(),
        passkeys=passkeys.of_user(db_session(), current_user),
    )


@bp.post("/sessions/<int:session_id>/end")
@signed_in
def end_session(session_id: int) -> Response:
    """End one of your own sessions (a phone left on the coach, a shared computer)."""
    if ActionForm().validate_on_submit():
        db = db_session()
        row = db.get(UserSession, session_id)
        if row is None or row.user_id != current_user.id:
            flash("That session had already ended.", "info")
        elif row is signin.current():
            signin.end(sessions.ENDED_BY_USER)
            db.commit()
            flash("This session has ended. Sign in again to carry on.", "info")
            return redirect(url_for("auth.login"))
        else:
            sessions.end(db, row, sessions.ENDED_BY_USER, current_user)
            db.commit()
            flash(f"The session on {row.device} has ended.", "success")
    return redirect(url_for("security.show"))


@bp.post("/passkeys/<int:passkey_id>/remove")
@signed_in
def remove_passkey(passkey_id: int) -> Response:
    if ActionForm().validate_on_submit():
        try:
            passkeys.remove(db_session(), current_user, passkey_id)
        except ServiceError as exc:
            flash(exc.user_message, "error")
        else:
            db_session().commit()
            flash("The passkey is removed. It can no longer sign you in.", "success")
    return redirect(url_for("security.show"))


@bp.route("/two-factor", methods=["GET", "POST"])
@signed_in
@limiter.limit(_code_limit, key_func=_user_key, methods=["POST"])
def setup() -> Response | str:
    """Set up two-step sign-in: scan the QR code (or type the key), then confirm with a first code."""
    session, box = db_session(), signin.box()
    if current_user.has_two_factor:
        return redirect(url_for("security.show"))
    try:
        secret = two_factor.begin_enrolment(current_user, box)
    except two_factor.TwoFactorError:  # sealed with a key this server no longer has: start afresh
        secret = two_factor.begin_enrolment(current_user, box, fresh=True)
    form = CodeForm()
    if form.validate_on_submit():
        try:
            two_factor.confirm_enrolment(session, current_user, box, form.code.data or "", runtime().clock())
        except ServiceError as exc:
            show_errors(form, exc)
        else:
            session.commit()
            flash("Two-step sign-in is on. From now on you will be asked for a code after your password.", "success")
            return redirect(url_for("security.show"))
    session.commit()  # the pending secret, and any refusal written to the audit log
    uri = two_factor.provisioning_uri(current_user, secret, get_school(session).name)
    return render_template("security/setup.html", form=form, qr=_qr_svg(uri), secret=_grouped(secret),
                           restart=ActionForm())


@bp.post("/two-factor/new-secret")
@signed_in
def new_secret() -> Response:
    """Start set-up again with a new key (a scan went wrong, or someone else saw the screen)."""
    if ActionForm().validate_on_submit() and not current_user.has_two_factor:
        two_factor.begin_enrolment(current_user, signin.box(), fresh=True)
        db_session().commit()
    return redirect(url_for("security.setup"))


@bp.post("/two-factor/off")
@signed_in
@limiter.limit(_code_limit, key_func=_user_key)
def turn_off() -> Response:
    form = CodeForm(prefix="off")
    if form.validate_on_submit():
        session, school = db_session(), get_school(db_session())
        try:
            two_factor.disable(session, current_user, signin.box(), form.code.data or "", school, runtime().clock())
        except ServiceError as exc:
            flash(exc.user_message, "error")
        else:
            flash("Two-step sign-in is off. You now sign in with your password only.", "success")
        session.commit()
    else:
        flash("Type the 6-digit code your app shows now to turn two-step sign-in off.", "error")
    return redirect(url_for("security.show"))


@bp.post("/sign-out-everywhere")
@signed_in
def sign_out_everywhere() -> Response:
    """End every session of this user, on phones and computers alike, this one included."""
    if ActionForm().validate_on_submit():
        sessions.sign_out_everywhere(db_session(), current_user)  # this session's row included
        db_session().commit()
        signin.forget()
        flash("You have been signed out on every device. Sign in again to carry on here.", "success")
        return redirect(url_for("auth.login"))
    return redirect(url_for("security.show"))


def _qr_svg(uri: str) -> Markup:
    """The QR code as inline SVG: drawn here, no script, no image fetched from anywhere."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10)
    # Built by the qrcode package from our own URI: path data and fixed attributes only.
    return Markup(image.to_string(encoding="unicode"))  # nosec B704


def _grouped(secret: str) -> str:
    """The key in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
