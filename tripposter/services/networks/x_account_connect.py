"""The OAuth round trip that connects the school's X account, between the admin's browser and X.

Between ``begin_connect`` and ``complete_connect`` the request token must wait somewhere. It holds
``oauth_token_secret``, and Flask's session cookie is signed but readable by anyone holding it, so
the token is sealed with Fernet (the tokens' own key) before it goes in the cookie: the cookie then
carries only ciphertext, needs no table or clean-up, and Fernet's timestamp makes it expire.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy.orm import Session

from ...config import Settings
from ...models import User, XAccount
from ...publishers.x_connect import ConnectError, TokenBox, finish_connect, start_connect
from ..errors import ServiceError
from .x_account import save_tokens

# X's request tokens are short-lived too; an admin who takes longer simply starts again.
REQUEST_TOKEN_MAX_AGE = 15 * 60
_PURPOSE = "x-request-token"  # so no other value sealed with the same key is taken for one


def connect_problem(settings: Settings) -> str | None:
    """Why the X account cannot be connected with these settings, or None when it can."""
    if settings.publisher != "x":
        return (
            "Posting to X is switched off: posts stay in the Outbox on this machine. To post to X, "
            "whoever runs the server sets TRIPPOSTER_PUBLISHER=x, TRIPPOSTER_X_CONSUMER_KEY and "
            "TRIPPOSTER_X_CONSUMER_SECRET (the keys of the school's app in X's developer portal), "
            "then restarts it."
        )
    if not (settings.x_consumer_key and settings.x_consumer_secret):
        return (
            "The app's X keys are not set. Whoever runs the server sets TRIPPOSTER_X_CONSUMER_KEY "
            "and TRIPPOSTER_X_CONSUMER_SECRET (from X's developer portal), then restarts it."
        )
    return None


def begin_connect(settings: Settings, callback_url: str) -> tuple[str, str]:
    """Ask X for a request token; returns X's approval URL and the sealed token to keep for the callback.

    Raises:
        ServiceError: the settings do not allow connecting, or X refused or did not answer.
    """
    problem = connect_problem(settings)
    if problem is not None:
        raise ServiceError(problem)
    try:
        url, request_token = start_connect(settings.x_consumer_key, settings.x_consumer_secret, callback_url)
    except ConnectError as exc:
        raise ServiceError(exc.user_message) from exc
    return url, seal_request_token(settings.token_key, request_token)


def complete_connect(
    session: Session,
    actor: User | None,
    settings: Settings,
    sealed: str | None,
    *,
    verifier: str,
    returned_token: str | None,
    now: datetime,
) -> XAccount:
    """Swap X's verifier for the account's tokens and store them encrypted.

    Raises:
        ServiceError: the request token is missing or expired, the callback does not match it,
            or X refused the verifier.
    """
    problem = connect_problem(settings)
    if problem is not None:
        raise ServiceError(problem)
    request_token = open_request_token(settings.token_key, sealed)
    if not verifier:
        raise ServiceError("X did not send back its approval. Press Connect to start again.")
    try:
        tokens = finish_connect(
            settings.x_consumer_key,
            settings.x_consumer_secret,
            request_token,
            verifier,
            returned_token=returned_token,
        )
    except ConnectError as exc:
        raise ServiceError(exc.user_message) from exc
    return save_tokens(session, actor, TokenBox(settings.token_key), tokens, now)


def seal_request_token(key: str, request_token: Mapping[str, str]) -> str:
    """Encrypt a request token so it can wait in a readable cookie."""
    payload = {
        "purpose": _PURPOSE,
        "oauth_token": request_token["oauth_token"],
        "oauth_token_secret": request_token["oauth_token_secret"],
    }
    return Fernet(key).encrypt(json.dumps(payload).encode()).decode("ascii")


def open_request_token(key: str, sealed: str | None, *, max_age: int = REQUEST_TOKEN_MAX_AGE) -> dict[str, str]:
    """Decrypt a sealed request token no older than ``max_age`` seconds.

    Raises:
        ServiceError: nothing sealed, too old, or not sealed by this server.
    """
    expired = ServiceError(
        "The connection to X was not started in this browser, or took longer than "
        f"{max_age // 60} minutes. Press Connect to start again."
    )
    if not sealed:
        raise expired
    try:
        payload = json.loads(Fernet(key).decrypt(sealed.encode("ascii"), ttl=max_age))
    except (InvalidToken, ValueError, UnicodeEncodeError):
        raise expired from None
    if not isinstance(payload, dict) or payload.get("purpose") != _PURPOSE:
        raise expired
    return {"oauth_token": str(payload["oauth_token"]), "oauth_token_secret": str(payload["oauth_token_secret"])}
