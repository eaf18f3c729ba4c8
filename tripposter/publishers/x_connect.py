"""Connecting the school's X account (three-legged OAuth 1.0a) and keeping its tokens encrypted.

The admin is sent to X to approve the app, so no one here ever knows the account's password:

    start_connect   POST https://api.twitter.com/oauth/request_token (oauth_callback)
                    -> redirect the admin to https://api.twitter.com/oauth/authorize?oauth_token=...
    finish_connect  POST https://api.twitter.com/oauth/access_token (oauth_verifier)
                    -> oauth_token, oauth_token_secret, user_id, screen_name

Keep the request token (it holds a secret) on the server, not in a readable cookie, between the two.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import requests
import tweepy
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from requests_oauthlib import OAuth1Session
from requests_oauthlib.oauth1_session import TokenRequestDenied

from tripposter.publishers.base import NeedsReconnectError, PublishError
from tripposter.publishers.x_media import (
    DEFAULT_TIMEOUT,
    install_timeout,
    quiet_chatty_loggers,
)


class ConnectError(PublishError):
    """Connecting the X account failed; the admin can start again."""

    code = "connect_failed"


class TokenDecryptError(NeedsReconnectError):
    """Stored tokens cannot be read (wrong key or tampered); reconnecting stores fresh ones."""

    code = "token_unreadable"


@dataclass(frozen=True)
class XTokens:
    """The user access token pair for the school's account. Its repr never shows the secrets."""

    access_token: str = field(repr=False)
    access_token_secret: str = field(repr=False)
    user_id: str | None = None
    screen_name: str | None = None

    def __repr__(self) -> str:
        return (
            f"XTokens(access_token='***', access_token_secret='***', "
            f"user_id={self.user_id!r}, screen_name={self.screen_name!r})"
        )


class _Handler(tweepy.OAuth1UserHandler):
    """tweepy's handler with a timeout on every call, keeping X's whole access-token answer."""

    def __init__(
        self, consumer_key: str, consumer_secret: str, callback: str | None, timeout: float
    ) -> None:
        super().__init__(consumer_key, consumer_secret, callback=callback)
        self.timeout = timeout
        install_timeout(self.oauth, timeout)

    def fetch_access_token(self, verifier: str) -> dict[str, str]:
        """Mirror of tweepy's ``get_access_token`` that keeps ``user_id`` and ``screen_name``."""
        self.oauth = OAuth1Session(
            self.consumer_key,
            client_secret=self.consumer_secret,
            resource_owner_key=self.request_token["oauth_token"],
            resource_owner_secret=self.request_token["oauth_token_secret"],
            verifier=verifier,
            callback_uri=self.callback,
        )
        install_timeout(self.oauth, self.timeout)
        return dict(self.oauth.fetch_access_token(self._get_oauth_url("access_token")))


def start_connect(
    consumer_key: str, consumer_secret: str, callback_url: str, *, timeout: float = DEFAULT_TIMEOUT
) -> tuple[str, dict[str, str]]:
    """Get a request token; returns the X authorisation URL and the token to keep for the callback.

    Raises:
        ConnectError: X refused the app's keys or the callback URL, or did not answer.
    """
    quiet_chatty_loggers()
    handler = _Handler(consumer_key, consumer_secret, callback_url, timeout)
    try:
        url = handler.get_authorization_url()
    except tweepy.TweepyException as exc:
        raise ConnectError(
            "X did not start the connection. Check the app's keys and callback URL, then try again."
        ) from exc
    return url, dict(handler.request_token)


def finish_connect(
    consumer_key: str,
    consumer_secret: str,
    request_token: Mapping[str, str],
    verifier: str,
    *,
    returned_token: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> XTokens:
    """Swap the verifier from X's callback for the account's access tokens.

    Pass the callback's ``oauth_token`` as ``returned_token`` so a callback for a different request
    is refused.

    Raises:
        ConnectError: the callback does not match, the approval expired, or X did not answer.
    """
    quiet_chatty_loggers()
    if returned_token is not None and returned_token != request_token.get("oauth_token"):
        raise ConnectError("That X approval belongs to a different request. Start connecting again.")
    handler = _Handler(consumer_key, consumer_secret, None, timeout)
    handler.request_token = dict(request_token)
    try:
        answer = handler.fetch_access_token(verifier)
    except (TokenRequestDenied, ValueError, KeyError, requests.RequestException) as exc:
        raise ConnectError(
            "X did not finish connecting the account. The approval may have expired: start again."
        ) from exc
    return XTokens(
        access_token=answer["oauth_token"],
        access_token_secret=answer["oauth_token_secret"],
        user_id=answer.get("user_id"),
        screen_name=answer.get("screen_name"),
    )


class TokenBox:
    """Encrypts tokens at rest with Fernet. Give several keys (newest first) to rotate keys."""

    def __init__(self, key: bytes | str | Sequence[bytes | str]) -> None:
        keys = [key] if isinstance(key, (bytes, str)) else list(key)
        try:
            self._fernet = MultiFernet([Fernet(k) for k in keys])
        except (ValueError, TypeError) as exc:
            raise ValueError(
                "The token key must be a Fernet key: 32 url-safe base64-encoded bytes "
                "(make one with TokenBox.generate_key())."
            ) from exc

    @staticmethod
    def generate_key() -> bytes:
        """A new random key for ``TokenBox``."""
        return Fernet.generate_key()

    def encrypt(self, tokens: XTokens) -> bytes:
        """Seal the tokens for storage."""
        payload = {
            "access_token": tokens.access_token,
            "access_token_secret": tokens.access_token_secret,
            "user_id": tokens.user_id,
            "screen_name": tokens.screen_name,
        }
        return self._fernet.encrypt(json.dumps(payload).encode())

    def decrypt(self, sealed: bytes) -> XTokens:
        """Open stored tokens.

        Raises:
            TokenDecryptError: the key is wrong or the stored value was altered.
        """
        try:
            payload = json.loads(self._fernet.decrypt(sealed))
            return XTokens(**payload)
        except (InvalidToken, ValueError, TypeError) as exc:
            raise TokenDecryptError(
                "The saved X connection cannot be read (the encryption key may have changed). "
                "An admin needs to reconnect the X account."
            ) from exc

    def rotate(self, sealed: bytes) -> bytes:
        """Re-encrypt stored tokens under the newest key.

        Raises:
            TokenDecryptError: no configured key opens them.
        """
        try:
            return self._fernet.rotate(sealed)
        except InvalidToken as exc:
            raise TokenDecryptError("The saved X connection cannot be read. Reconnect it.") from exc
