"""Signing in and out, and changing one's own password."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_user
from werkzeug.wrappers import Response

from ..config import Settings
from ..services import accounts, sessions, two_factor
from ..services.errors import ServiceError, ValidationError
from . import signin
from .access import public, signed_in
from .database import db_session, runtime
from .extensions import limiter
from .forms.auth import CodeForm, LoginForm, PasswordForm
from .forms_util import show_errors

bp = Blueprint("auth", __name__, url_prefix="/auth")
LOGIN_THROTTLED = (
    "Too many sign-in attempts. Wait a minute, then try again. "
    "If you have forgotten your password, ask a senior leader to reset it."
)
CODE_THROTTLED = (
    "Too many codes tried. Wait a few minutes, then try again. "
    "If your phone is lost, ask a senior leader to reset your two-step sign-in."
)


def _settings() -> Settings:
    return current_app.config["TRIPPOSTER_SETTINGS"]


def _key(kind: str, value: str) -> str:
    """A throttle bucket. Keys carry the school's namespace: several schools may share one Redis store."""
    return f"{_settings().namespace}:{kind}:{value}"


def _account_key() -> str:
    return _key("account", (request.form.get("email") or "").strip().lower()[:254])


def _address_key() -> str:
    return _key("address", request.remote_addr or "unknown")


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
        target = _safe_next(request.args.get("next"))
        if user is not None and user.has_two_factor:
            signin.hold_pending(user, target)  # not signed in until the code is right
            db_session().commit()
            return redirect(url_for("auth.code"))
        if user is not None:
            signin.start(user, with_code=False)
            db_session().commit()
            return redirect(target)
        db_session().commit()
        form.password.errors.append("That email and password do not match an active account.")
    return render_template("auth/login.html", form=form)


# Code attempts are throttled like passwords: per account (the one waiting for its code) and per address.
def _code_account_key() -> str:
    return _key("code-account", signin.pending_key())


def _code_address_key() -> str:
    return _key("code-address", request.remote_addr or "unknown")


def _code_limit() -> str:
    return _settings().two_factor_rate_limit


@bp.route("/code", methods=["GET", "POST"])
@public
@limiter.limit(_code_limit, key_func=_code_account_key, methods=["POST"], error_message=CODE_THROTTLED)
@limiter.limit(_code_limit, key_func=_code_address_key, methods=["POST"], error_message=CODE_THROTTLED)
def code() -> Response | str:
    """The second step: a code from the authenticator app, within minutes of the password."""
    user = signin.pending_user()
    if user is None:
        flash("Sign in with your password first. The code must follow within 5 minutes.", "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            two_factor.check_code(db_session(), user, signin.box(), form.code.data or "", runtime().clock())
        except ServiceError as exc:
            db_session().commit()  # the refusal is audited
            show_errors(form, exc)
        else:
            target = signin.pending_next()
            signin.start(user, with_code=True)
            db_session().commit()
            return redirect(target)
    return render_template("auth/code.html", form=form)


@bp.route("/logout", methods=["POST"])
@signed_in
def logout() -> Response:
    sessions.record_logout(db_session(), current_user)
    db_session().commit()
    signin.end()
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
