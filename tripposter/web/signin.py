"""Starting, timing and ending signed-in sessions; the pending step between password and code.

Flask's session is a signed cookie with no id on the server. What makes an old cookie useless:
- the user key in it is ``"<id>:<session version>"``; bumping the version (sign out everywhere,
  an admin ending sessions, a password change, disabling) makes every older cookie load no one;
- it carries the sign-in time and the last-request time, checked on every request against the
  absolute and idle limits (the signature stops anyone editing them);
- sign-in starts from an empty session with a fresh random nonce, so no value from before
  (CSRF token, flashes, a half-finished step) survives and each sign-in's cookie is new.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from ..config import Settings
from ..models import User
from ..services import sessions, two_factor
from ..services.school import get_school
from .access import PUBLIC, access_of
from .database import db_session, runtime
from .errors import wants_json

SIGNED_IN_AT, SEEN_AT, NONCE, PENDING = "signed_in_at", "seen_at", "nonce", "pending_2fa"
# The code step must follow the password within this time.
PENDING_SECONDS = 5 * 60
# The idle clock is moved on at most once a minute, so the cookie is not rewritten on every request.
TOUCH_SECONDS = 60
# The phone page's 15-second status poll is not a person using the app.
PASSIVE = frozenset({"api.list_posts"})
# All a user who must set up two-step sign-in may open until they have.
ENROLMENT = frozenset({"security.setup", "security.new_secret", "auth.logout"})
ENDED = {
    sessions.IDLE: "You were signed out after {} without activity. Sign in again to carry on.",
    sessions.ABSOLUTE: "You were signed out because you signed in more than {} ago. Sign in again to carry on.",
}


def _settings() -> Settings:
    return current_app.config["TRIPPOSTER_SETTINGS"]


def _now() -> float:
    return runtime().clock().timestamp()


def lifetime() -> sessions.Lifetime:
    s = _settings()
    return sessions.Lifetime(idle=timedelta(minutes=s.idle_timeout_minutes),
                             absolute=timedelta(minutes=s.absolute_timeout_minutes))


def box() -> two_factor.SecretBox:
    return two_factor.SecretBox(_settings().token_key)


def start(user: User, *, with_code: bool) -> None:
    """Sign ``user`` in on a brand-new session (never a remember-me cookie). The caller commits."""
    session.clear()
    login_user(user, remember=False)
    now = _now()
    session.update({SIGNED_IN_AT: now, SEEN_AT: now, NONCE: secrets.token_urlsafe(16)})
    sessions.record_login(db_session(), user, two_factor=with_code)


def end() -> None:
    """Sign out here: forget everything in this browser's session."""
    logout_user()
    session.clear()


def hold_pending(user: User, target: str) -> None:
    """Password accepted, code still to come: remember who, for a few minutes, without signing in."""
    session.clear()
    session[PENDING] = {"user": user.id, "version": user.session_version, "at": _now(), "next": target}


def pending_user() -> User | None:
    """The user whose password was accepted in the last few minutes, if still valid."""
    held = session.get(PENDING)
    if not isinstance(held, dict) or _now() - float(held.get("at", 0)) > PENDING_SECONDS:
        return None
    user = db_session().get(User, int(held.get("user", 0)))
    if user is None or not user.is_active or user.session_version != held.get("version") or not user.has_two_factor:
        return None
    return user


def pending_next() -> str:
    held = session.get(PENDING) or {}
    return str(held.get("next") or url_for("home.index"))


def pending_key() -> str:
    held = session.get(PENDING) or {}
    return str(held.get("user", "none"))


def enforce_lifetime() -> None:
    """``before_request``: end a session past its idle or absolute limit, else note this request."""
    if "_user_id" not in session:
        return
    now = _now()
    reason = lifetime().ended(session.get(SIGNED_IN_AT), session.get(SEEN_AT), now)
    if reason is None:
        if request.endpoint not in PASSIVE and now - session[SEEN_AT] >= TOUCH_SECONDS:
            session[SEEN_AT] = now
        return
    user = _session_user()
    if user is not None:
        sessions.record_expired(db_session(), user, reason)
        db_session().commit()
    session.clear()
    g.pop("_login_user", None)  # whatever Flask-Login loaded for this request is gone too
    limit = lifetime().idle if reason == sessions.IDLE else lifetime().absolute
    flash(ENDED[reason].format(_hours(limit)), "info")


def _session_user() -> User | None:
    """The live user this cookie names, or None if the cookie was already dead (old version)."""
    user_id, _, version = str(session.get("_user_id", "")).partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db_session().get(User, int(user_id))
    return user if user is not None and user.session_version == int(version) else None


def _hours(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes % 60:
        return f"{minutes} minutes"
    return "1 hour" if minutes == 60 else f"{minutes // 60} hours"


def enforce_enrolment() -> Response | None:
    """``before_request``: someone the school requires to use a code may only set it up first."""
    if not current_user.is_authenticated or current_user.has_two_factor or request.endpoint is None:
        return None
    if request.endpoint in ENROLMENT or access_of(current_app, request.endpoint) == PUBLIC:
        return None
    if not two_factor.must_enrol(current_user, get_school(db_session())):
        return None
    if wants_json():
        abort(401)  # the phone page sends the teacher to sign in, which leads here
    flash("Your school requires two-step sign-in. Set it up now to carry on.", "info")
    return redirect(url_for("security.setup"))
