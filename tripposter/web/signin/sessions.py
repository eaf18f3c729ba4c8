"""Starting, checking and ending signed-in sessions; the pending step between password and code.

The session cookie holds a random token naming a row of ``user_session`` (services/people/sessions.py),
which the server checks on every request: deleting the row (sign out, sign out everywhere, a
senior leader, a password change) ends the session at once, wherever the cookie is. The session
is not bound to the address: a phone hops between masts all day. Sign-in starts from an empty
cookie with a fresh token, so no value from before (CSRF token, flashes, a half-finished step)
survives.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from ...config import Settings
from ...models import User, UserSession
from ...services.people import sessions, two_factor
from ...services.school.settings import get_school
from ..core.access import PUBLIC, access_of
from ..core.database import db_session, runtime
from ..core.errors import wants_json

TOKEN, NONCE, PENDING = "sid", "nonce", "pending_2fa"
# The code step must follow the password within this time.
PENDING_SECONDS = 5 * 60
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


def lifetime() -> sessions.Lifetime:
    s = _settings()
    return sessions.Lifetime(idle=timedelta(minutes=s.idle_timeout_minutes),
                             absolute=timedelta(minutes=s.absolute_timeout_minutes))


def box() -> two_factor.SecretBox:
    return two_factor.SecretBox(_settings().token_key)


def start(user: User, *, method: str) -> None:
    """Sign ``user`` in on a brand-new session (never a remember-me cookie). The caller commits.

    ``method`` is "password", "password+code" or "passkey" (the last two are two-step sign-in).
    """
    db, now, before = db_session(), runtime().clock(), current()
    if before is not None:  # signing in over a live session: that one ends, none is left behind
        sessions.end(db, before, sessions.SIGNED_IN_AGAIN, before.user)
    sessions.prune(db, user, lifetime(), now)
    session.clear()
    token, g.user_session = sessions.open_session(db, user, method=method, device=sessions.device_label(
        request.user_agent.string), address=request.remote_addr or "", now=now)
    session.update({TOKEN: token, NONCE: secrets.token_urlsafe(16)})
    login_user(user, remember=False)


def current() -> UserSession | None:
    """This request's session row, once ``enforce_lifetime`` has found it alive."""
    return g.get("user_session")


def end(reason: str = sessions.SIGNED_OUT) -> None:
    """Sign out here: end this session on the server (the caller commits) and forget the cookie."""
    row = current()
    if row is not None:
        sessions.end(db_session(), row, reason, row.user)
    forget()


def forget() -> None:
    """Forget this browser's session (its row is already gone)."""
    logout_user()
    session.clear()
    g.pop("user_session", None)


def hold_pending(user: User, target: str) -> None:
    """Password accepted, code still to come: remember who, for a few minutes, without signing in."""
    session.clear()
    at = runtime().clock().timestamp()
    session[PENDING] = {"user": user.id, "version": user.session_version, "at": at, "next": target}


def pending_user() -> User | None:
    """The user whose password was accepted in the last few minutes, if still valid."""
    held = session.get(PENDING)
    if not isinstance(held, dict) or runtime().clock().timestamp() - float(held.get("at", 0)) > PENDING_SECONDS:
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
    """``before_request``: find this cookie's session row; end it past its limits, else note the request."""
    if "_user_id" not in session or request.endpoint == "static":
        return  # static files are public and say nothing of activity: no query for them
    db, now = db_session(), runtime().clock()
    row = sessions.find(db, session.get(TOKEN))
    if row is None or not row.user.is_active:
        _forget()  # ended elsewhere (signed out, everywhere, a senior leader): already audited
        return
    reason = lifetime().ended(row, now)
    if reason is None:
        if sessions.touch(row, now, request.remote_addr or "", active=request.endpoint not in PASSIVE):
            db.commit()
        g.user_session = row
        return
    sessions.end(db, row, reason)
    db.commit()
    _forget()
    limit = lifetime().idle if reason == sessions.IDLE else lifetime().absolute
    flash(ENDED[reason].format(_hours(limit)), "info")


def _forget() -> None:
    session.clear()
    g.pop("_login_user", None)  # whatever Flask-Login loaded for this request is gone too


def load_user(key: str) -> User | None:
    """Flask-Login's user loader: the user of this request's live session row, or no one."""
    row = current()
    user_id, _, _ = key.partition(":")
    if row is None or not user_id.isdigit() or row.user_id != int(user_id) or not row.user.is_active:
        return None
    return row.user


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
    row = current()
    if row is not None and row.method == "passkey":
        return None  # a passkey is two-step sign-in: the phone and its fingerprint or screen lock
    if not two_factor.must_enrol(current_user, get_school(db_session())):
        return None
    if wants_json():
        abort(401)  # the phone page sends the teacher to sign in, which leads here
    flash("Your school requires two-step sign-in. Set it up now to carry on.", "info")
    return redirect(url_for("security.setup"))
