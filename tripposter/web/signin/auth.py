"""Signing in and out, and changing one's own password."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response

from ...config import Settings
from ...models import User
from ...services.errors import ServiceError, ValidationError
from ...services.people import accounts, two_factor
from ..core.access import public, signed_in
from ..core.database import db_session, runtime
from ..core.extensions import limiter
from ..core.forms_util import show_errors
from ..forms.auth import CodeForm, LoginForm, PasswordForm
from . import sessions as signin
from . import throttle

bp = Blueprint("auth", __name__, url_prefix="/auth")
F = TypeVar("F", bound=Callable[..., Any])
CODE_THROTTLED = (
    "Too many codes tried. Wait a few minutes, then try again. "
    "If your phone is lost, ask a senior leader to reset your two-step sign-in."
)
# Control characters, whitespace and backslashes: browsers drop or reinterpret them in a URL
# ("/\t/evil.example" is "//evil.example" to Chromium), so a target holding any is refused.
UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f\\]|\s")


def _settings() -> Settings:
    return current_app.config["TRIPPOSTER_SETTINGS"]


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(throttle.address_limit, key_func=throttle.address_key, methods=["POST"],
               deduct_when=throttle.counted, error_message=throttle.ADDRESS_THROTTLED)
def login() -> Response | str:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    target = safe_next(request.args.get("next"))
    if form.validate_on_submit():
        outcome = throttle.password_step(form.email.data or "", form.password.data or "", target)
        if outcome.status == "code_needed":
            return redirect(url_for("auth.code"))
        if outcome.status == "signed_in":
            return redirect(target)
        form.password.errors.append(outcome.message)
    return render_template("auth/login.html", form=form, target=target)


# Code attempts are throttled per account (the one waiting for its code) and per address; only
# wrong codes count, so a staff room typing their codes one after another is never held back.
def _code_account_key() -> str:
    return f"{_settings().namespace}:code-account:{signin.pending_key()}"


def _code_address_key() -> str:
    return f"{_settings().namespace}:code-address:{request.remote_addr or 'unknown'}"


def code_limit() -> str:
    return _settings().two_factor_rate_limit


def limit_codes(view: F) -> F:
    """Both code limits, counting wrong codes only (see throttle.failed)."""
    for key in (_code_account_key, _code_address_key):
        view = limiter.limit(code_limit, key_func=key, methods=["POST"], deduct_when=throttle.counted,
                             error_message=CODE_THROTTLED)(view)
    return view


@bp.route("/code", methods=["GET", "POST"])
@public
@limit_codes
def code() -> Response | str:
    """The second step: a code from the authenticator app, within minutes of the password."""
    user = signin.pending_user()
    if user is None:
        flash("Sign in with your password first. The code must follow within 5 minutes.", "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        target = signin.pending_next()
        try:
            code_step(user, form.code.data or "")
        except ServiceError as exc:
            show_errors(form, exc)
        else:
            return redirect(target)
    return render_template("auth/code.html", form=form)


def code_step(user: User, typed: str) -> None:
    """Check the code of the user holding the password step and sign them in. Commits.

    Raises:
        ServiceError: a wrong or reused code (audited, and counted by the throttle).
    """
    try:
        two_factor.check_code(db_session(), user, signin.box(), typed, runtime().clock())
    except ServiceError:
        db_session().commit()  # the refusal is audited
        throttle.failed()
        raise
    signin.start(user, method="password+code")
    db_session().commit()


@bp.route("/logout", methods=["POST"])
@signed_in
def logout() -> Response:
    signin.end()  # the session row is deleted: a copy of this cookie is worth nothing now
    db_session().commit()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@signed_in
def password() -> Response | str:
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(db_session(), current_user, form.current_password.data or "",
                                     form.new_password.data or "", keep=signin.current())
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            db_session().commit()
            flash("Your password has been changed. Other devices have been signed out.", "success")
            return redirect(url_for("home.index"))
    return render_template("auth/password.html", form=form)


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else the home page: never an open redirect.

    The value is percent-decoded (repeatedly: ``%252F``) before it is judged, and refused if it
    holds a control character, whitespace or a backslash anywhere, since browsers strip or turn
    those into slashes (``/%09/evil.example/``, ``/\\evil``).
    """
    fallback = url_for("home.index")
    if not target or len(target) > 2000:
        return fallback
    decoded, previous = target, None
    while decoded != previous:
        previous, decoded = decoded, unquote(decoded)
    if UNSAFE.search(decoded) or not decoded.startswith("/") or decoded.startswith("//"):
        return fallback
    parts = urlsplit(decoded)
    if parts.scheme or parts.netloc:
        return fallback
    return target if not UNSAFE.search(target) else fallback
