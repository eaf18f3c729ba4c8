"""Signing in from inside the phone page, as JSON: password, code or passkey; adding a passkey.

Mounted under the API blueprint (``/api/signin/...``), so refusals are the API's JSON envelope.
The phone page uses these to sign in again in place, without leaving the page or its queue.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response

from ...config import Settings
from ...services.errors import ServiceError
from ...services.people import passkeys, sessions
from ..core.access import public, signed_in
from ..core.database import db_session, runtime
from ..core.extensions import limiter
from ..signin import auth, throttle
from ..signin import sessions as signin
from .api import bp as api_bp
from .api_io import body, text

bp = Blueprint("signin", __name__, url_prefix="/signin")
CHALLENGE = "webauthn_challenge"


class WrongPasswordError(ServiceError):
    code = "wrong_password"


class WaitError(ServiceError):
    code = "wait"


class NoPasswordStepError(ServiceError):
    code = "no_password_step"


def party() -> passkeys.Party:
    """This site as WebAuthn sees it: the configured RP id and origin, or the request's own."""
    s: Settings = current_app.config["TRIPPOSTER_SETTINGS"]
    return passkeys.Party(rp_id=s.webauthn_rp_id or (request.host.rsplit(":", 1)[0] if request.host else ""),
                          origin=s.webauthn_origin or request.host_url.rstrip("/"))


def _signed_in() -> Response:
    return jsonify({"signed_in": True, "code_needed": False, "csrf_token": generate_csrf()})


@bp.get("/token")
@public
def token() -> Response:
    """A CSRF token for the sign-in calls, signed in or not."""
    return jsonify({"csrf_token": generate_csrf()})


@bp.post("/password")
@public
@limiter.limit(throttle.address_limit, key_func=throttle.address_key, deduct_when=throttle.counted,
               error_message=throttle.ADDRESS_THROTTLED)
def password() -> Response:
    """The password step; answers whether a code must follow."""
    data = body()
    outcome = throttle.password_step(text(data, "email", limit=254), text(data, "password", limit=200), "/app")
    if outcome.status == "wait":
        raise WaitError(outcome.message)
    if outcome.status == "refused":
        raise WrongPasswordError(outcome.message)
    if outcome.status == "code_needed":
        return jsonify({"signed_in": False, "code_needed": True, "csrf_token": generate_csrf()})
    return _signed_in()


@bp.post("/code")
@public
@auth.limit_codes
def code() -> Response:
    """The code step, after ``password`` said one is needed."""
    typed = text(body(), "code", limit=12)
    user = signin.pending_user()
    if user is None:
        raise NoPasswordStepError("Type your password again first: the code must follow it within 5 minutes.")
    auth.code_step(user, typed)
    return _signed_in()


@bp.post("/passkey/options")
@public
def passkey_options() -> Response:
    """A challenge for ``navigator.credentials.get``: any passkey of this site may answer it."""
    options, challenge = passkeys.authentication_options(party())
    session[CHALLENGE] = challenge.hex()
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/passkey")
@public
@limiter.limit(throttle.address_limit, key_func=throttle.address_key, deduct_when=throttle.counted,
               error_message=throttle.ADDRESS_THROTTLED)
def passkey() -> Response:
    """Sign in with a passkey. Never held back by the password back-off: it proves the phone."""
    credential = _credential()
    db = db_session()
    try:
        user = passkeys.authenticate(db, party(), credential, _challenge(), runtime().clock())
    except ServiceError:
        db.commit()  # the failure is audited
        throttle.failed()
        raise
    signin.start(user, method="passkey")
    db.commit()
    return _signed_in()


@bp.post("/passkeys/new/options")
@signed_in
def new_passkey_options() -> Response:
    """A challenge for ``navigator.credentials.create``, to add a passkey to this account."""
    options, challenge = passkeys.registration_options(db_session(), party(), current_user)
    session[CHALLENGE] = challenge.hex()
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/passkeys/new")
@signed_in
def new_passkey() -> tuple[Response, int]:
    """Keep the passkey the phone just made."""
    data = body()
    name = text(data, "name", required=False, limit=80) or sessions.device_label(request.user_agent.string)
    passkey = passkeys.register(db_session(), party(), current_user, _credential(data), _challenge(), name)
    db_session().commit()
    return jsonify({"id": passkey.id, "name": passkey.name}), 201


def _credential(data: dict[str, Any] | None = None) -> dict[str, Any]:
    credential = (data if data is not None else body()).get("credential")
    if not isinstance(credential, dict):
        abort(400, "\u201ccredential\u201d must be the passkey's answer, as a JSON object.")
    return credential


def _challenge() -> bytes:
    """The challenge this browser was given, used once whatever happens."""
    held = session.pop(CHALLENGE, None)
    if not isinstance(held, str):
        raise ServiceError("The passkey request had expired. Try again.")
    return bytes.fromhex(held)


# Part of the API (its JSON errors, its OpenAPI document): mounted at import, so before any app
# registers the API blueprint (web/app.py imports this module with the others).
api_bp.register_blueprint(bp)
