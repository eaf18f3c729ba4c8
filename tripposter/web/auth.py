"""Signing in and out, and changing one's own password."""

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
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from ..config import Settings
from ..services import accounts
from ..services.errors import ValidationError
from .access import public, signed_in
from .database import db_session
from .extensions import limiter
from .forms.auth import LoginForm, PasswordForm
from .forms_util import show_errors

bp = Blueprint("auth", __name__, url_prefix="/auth")
LOGIN_THROTTLED = (
    "Too many sign-in attempts. Wait a minute, then try again. "
    "If you have forgotten your password, ask a senior leader to reset it."
)


def _settings() -> Settings:
    return current_app.config["TRIPPOSTER_SETTINGS"]


# Keys carry the school's namespace: several schools may share one Redis throttle store.
def _account_key() -> str:
    return f"{_settings().namespace}:account:" + (request.form.get("email") or "").strip().lower()[:254]


def _address_key() -> str:
    return f"{_settings().namespace}:address:" + (request.remote_addr or "unknown")


def _login_limit() -> str:
    return _settings().login_rate_limit


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, key_func=_account_key, methods=["POST"], error_message=LOGIN_THROTTLED)
@limiter.limit(_login_limit, key_func=_address_key, methods=["POST"], error_message=LOGIN_THROTTLED)
def login() -> Response | str:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(db_session(), form.email.data or "", form.password.data or "")
        db_session().commit()
        if user is not None:
            session.clear()  # a fresh session at sign-in: nothing from before carries over
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append("That email and password do not match an active account.")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@signed_in
def logout() -> Response:
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@signed_in
def password() -> Response | str:
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(db_session(), current_user, form.current_password.data, form.new_password.data)
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            db_session().commit()
            login_user(current_user)  # the new session version: other devices are signed out
            flash("Your password has been changed. Other devices have been signed out.", "success")
            return redirect(url_for("home.index"))
    return render_template("auth/password.html", form=form)


def _safe_next(target: str | None) -> str:
    # Only a local path: never an open redirect to another site.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("home.index")
