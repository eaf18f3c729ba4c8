"""Passkeys (WebAuthn) through py_webauthn: register one under My sign-in, sign in with it.

A passkey sign-in is two-step sign-in by itself: something you have (the phone holding the key)
unlocked by something you are or know (fingerprint, face or screen lock; user verification is
required). Passkeys are discoverable, so signing in needs no email: the phone offers its key and
the key names the account. Only public keys are stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import webauthn
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ...models import Passkey, User
from ..audit import events as audit
from ..errors import ServiceError

MAX_PER_USER = 10
NOT_RECOGNISED = ServiceError(
    "That passkey was not accepted. Try again, or sign in with your password. "
    "If the passkey was removed from your account, add it again under My sign-in."
)


@dataclass(frozen=True)
class Party:
    """Who is asking: the relying party id (a host name) and the origin the browser must report."""

    rp_id: str
    origin: str
    name: str = "tripposter"


def user_handle(user: User) -> bytes:
    """The WebAuthn user id: the account number, never the email."""
    return f"tripposter-user-{user.id}".encode()


def registration_options(session: Session, party: Party, user: User) -> tuple[str, bytes]:
    """The options for ``navigator.credentials.create`` (JSON) and the challenge to keep."""
    existing = [PublicKeyCredentialDescriptor(id=p.credential_id) for p in of_user(session, user)]
    options = webauthn.generate_registration_options(
        rp_id=party.rp_id, rp_name=party.name, user_id=user_handle(user), user_name=user.email,
        user_display_name=user.display_name, exclude_credentials=existing,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.REQUIRED))
    return webauthn.options_to_json(options), options.challenge


def register(session: Session, party: Party, user: User, credential: Any, challenge: bytes, name: str) -> Passkey:
    """Check the browser's answer to ``registration_options`` and keep the new passkey.

    Raises:
        ServiceError: the answer does not verify, or the user has too many passkeys.
    """
    if len(of_user(session, user)) >= MAX_PER_USER:
        raise ServiceError(f"You already have {MAX_PER_USER} passkeys. Remove one you no longer use first.")
    try:
        verified = webauthn.verify_registration_response(
            credential=_as_json(credential), expected_challenge=challenge, expected_rp_id=party.rp_id,
            expected_origin=party.origin, require_user_verification=True)
    except (WebAuthnException, ValueError, TypeError, KeyError):
        raise ServiceError("The passkey could not be added. Try again, and unlock your phone when it asks.") from None
    if session.scalars(select(Passkey).where(Passkey.credential_id == verified.credential_id)).first():
        raise ServiceError("This passkey is already added.")
    transports = credential.get("response", {}).get("transports", []) if isinstance(credential, dict) else []
    known = {t.value for t in AuthenticatorTransport}
    passkey = Passkey(user=user, credential_id=verified.credential_id, public_key=verified.credential_public_key,
                      sign_count=verified.sign_count, name=(name.strip() or "Passkey")[:80],
                      transports=[t for t in transports if t in known])
    session.add(passkey)
    session.flush()
    audit.record(session, user, "auth.passkey_added", user, passkey=passkey.id)
    return passkey


def authentication_options(party: Party) -> tuple[str, bytes]:
    """The options for ``navigator.credentials.get`` (any of this site's passkeys) and the challenge."""
    options = webauthn.generate_authentication_options(
        rp_id=party.rp_id, user_verification=UserVerificationRequirement.REQUIRED)
    return webauthn.options_to_json(options), options.challenge


def authenticate(session: Session, party: Party, credential: Any, challenge: bytes, now: datetime) -> User:
    """The active user whose passkey signed ``challenge``.

    Raises:
        ServiceError: unknown passkey, a bad signature, or a disabled account (audited).
    """
    raw_id = credential.get("rawId") if isinstance(credential, dict) else None
    passkey = _find(session, raw_id)
    if passkey is None:
        audit.record(session, None, "auth.login_failed", None, reason="passkey_unknown")
        raise NOT_RECOGNISED
    try:
        verified = webauthn.verify_authentication_response(
            credential=_as_json(credential), expected_challenge=challenge, expected_rp_id=party.rp_id,
            expected_origin=party.origin, credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count, require_user_verification=True)
    except (WebAuthnException, ValueError, TypeError, KeyError):
        audit.record(session, None, "auth.login_failed", passkey.user, reason="passkey_invalid")
        raise NOT_RECOGNISED from None
    if not passkey.user.is_active:
        audit.record(session, None, "auth.login_failed", passkey.user, reason="disabled")
        raise ServiceError("This account is disabled. Ask a senior leader.")
    passkey.sign_count, passkey.last_used_at = verified.new_sign_count, now
    return passkey.user


def of_user(session: Session, user: User) -> list[Passkey]:
    return list(session.scalars(select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.created_at)))


def remove(session: Session, user: User, passkey_id: int) -> None:
    """Remove one of ``user``'s own passkeys.

    Raises:
        ServiceError: no such passkey of theirs.
    """
    passkey = session.get(Passkey, passkey_id)
    if passkey is None or passkey.user_id != user.id:
        raise ServiceError("That passkey is not one of yours, or was already removed.")
    audit.record(session, user, "auth.passkey_removed", user, passkey=passkey.id)
    session.delete(passkey)


def counts(session: Session) -> dict[int, int]:
    """How many passkeys each user holds, by user id (users with none are absent)."""
    rows = session.execute(select(Passkey.user_id, func.count()).group_by(Passkey.user_id))
    return {user_id: count for user_id, count in rows}


def remove_all(session: Session, actor: User, user: User) -> int:
    """A senior leader removes every passkey of ``user`` (a lost phone); return how many there were.

    The person may not be able to sign in to do it themselves: the phone that held the passkey is
    the one that is lost.
    """
    found = of_user(session, user)
    for passkey in found:
        session.delete(passkey)
    if found:
        audit.record(session, actor, "auth.passkeys_removed", user, count=len(found))
    return len(found)


def _find(session: Session, raw_id: object) -> Passkey | None:
    if not isinstance(raw_id, str) or len(raw_id) > 1400:
        return None
    try:
        credential_id = webauthn.base64url_to_bytes(raw_id)
    except ValueError:
        return None
    return session.scalars(select(Passkey).where(Passkey.credential_id == credential_id)).first()


def _as_json(credential: Any) -> str:
    if not isinstance(credential, dict):
        raise ValueError("not a credential")
    return json.dumps(credential)

