"""Typed settings, read from ``TRIPPOSTER_*`` environment variables and the instance folder.

Secrets are never hard-coded: a missing ``SECRET_KEY`` is generated once into the instance
folder (mode 0600) and read back on every later start, so sessions survive restarts.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PREFIX = "TRIPPOSTER_"
DEFAULT_INSTANCE = Path(__file__).resolve().parent.parent / "instance"


class SettingsError(ValueError):
    """A setting is present but cannot be understood."""


@dataclass(frozen=True)
class Settings:
    """Everything the app needs to start. Tests build one directly; production reads the environment."""

    instance_path: Path
    secret_key: str
    database_url: str
    # Every byte a phone may send in one request; werkzeug answers 413 above it.
    max_upload_bytes: int = 25 * 1024 * 1024
    max_image_pixels: int = 50_000_000
    posting_long_edge: int = 2000
    cookie_secure: bool = True
    ratelimit_storage_uri: str = "memory://"
    # Failed sign-ins (password or passkey) from one address; successes never count, so a staff
    # room behind one address does not reach it.
    login_rate_limit: str = "30 per 10 minutes"
    # Per account: failures before the back-off starts, and its longest wait (services/people/backoff.py).
    login_free_failures: int = 5
    login_backoff_max_seconds: int = 300
    # Two-step sign-in codes, per account and per address. The hourly cap keeps guessing a
    # 6-digit code hopeless for someone who already has the password.
    two_factor_rate_limit: str = "5 per minute; 30 per hour"
    # A signed-in session ends after this long without a request, and this long after sign-in.
    idle_timeout_minutes: int = 120
    absolute_timeout_minutes: int = 720
    # Redirect http to https. Only behind TLS: `make run` serves plain http on 127.0.0.1.
    force_https: bool = False
    # Reverse proxies in front that set X-Forwarded-For/-Proto. 0: those headers are ignored, so
    # a client cannot claim another address (the sign-in throttle) or pretend to be on https.
    proxy_count: int = 0
    # Days after a trip's last day during which photos taken on the trip are still accepted
    # (a phone that had no signal on the coach home). 0: only while the trip runs.
    trip_grace_days: int = 2
    # Empty: the job queue lives in a SQLite file in the instance folder. redis://... to scale out.
    queue_url: str = ""
    # Prefixes this school's keys in a shared Redis (job queue, sign-in throttle), so one Redis
    # can serve every school of a trust.
    namespace: str = "tripposter"
    # "outbox" keeps every post on this machine; "x" publishes to the connected X account.
    publisher: str = "outbox"
    # Days the outbox keeps a published post's images and caption before destroying them (and logging it).
    outbox_retention_days: int = 7
    x_consumer_key: str = ""
    x_consumer_secret: str = ""
    # Fernet keys; generated into the instance folder when not given.
    spool_key: str = ""
    token_key: str = ""
    # Passkeys (WebAuthn): the relying party id (the site's host name, e.g. photos.school.example)
    # and the origin the browser reports. Empty: taken from each request's host and scheme.
    webauthn_rp_id: str = ""
    webauthn_origin: str = ""
    testing: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def outbox_path(self) -> Path:
        """Where the outbox publisher keeps what would have gone to X."""
        return self.instance_path / "outbox"

    @property
    def practice_outbox_path(self) -> Path:
        """Where the practice outbox channel (a network with no account) keeps its posts."""
        return self.instance_path / "practice-outbox"

    @property
    def spool_path(self) -> Path:
        """The private folder where photos wait, encrypted, for the minutes they exist."""
        return self.instance_path / "spool"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from ``TRIPPOSTER_*`` variables (plus ``DATABASE_URL``), then overrides.

        Raises:
            SettingsError: a variable is set but malformed.
        """
        env = os.environ if environ is None else environ
        instance = Path(env.get(PREFIX + "INSTANCE_PATH", str(DEFAULT_INSTANCE))).resolve()
        values: dict[str, Any] = {"instance_path": instance}
        for f in dataclasses.fields(cls):
            raw = env.get(PREFIX + f.name.upper())
            if raw is None or f.name in ("instance_path", "extra"):
                continue
            values[f.name] = _parse(f.name, f.type, raw)
        if "database_url" not in values and env.get("DATABASE_URL"):
            values["database_url"] = env["DATABASE_URL"]
        values.update(overrides)
        instance = Path(values["instance_path"])
        values.setdefault("database_url", f"sqlite:///{instance / 'tripposter.sqlite3'}")
        values.setdefault("secret_key", "")
        if not values["secret_key"]:
            values["secret_key"] = instance_secret(instance, "secret_key")
        for name in ("spool_key", "token_key"):
            if not values.get(name):
                values[name] = instance_secret(instance, name, fernet=True)
        if values.get("trip_grace_days", 0) < 0:
            raise SettingsError(f"{PREFIX}TRIP_GRACE_DAYS must be 0 or more days.")
        if values.get("publisher", "outbox") not in ("outbox", "x"):
            raise SettingsError(f"{PREFIX}PUBLISHER must be 'outbox' or 'x', not {values['publisher']!r}.")
        if int(values.get("outbox_retention_days", 7)) < 1:
            raise SettingsError(f"{PREFIX}OUTBOX_RETENTION_DAYS must be a whole number of days, 1 or more.")
        return cls(**values)


def instance_secret(instance: Path, name: str, nbytes: int = 32, *, fernet: bool = False) -> str:
    """Return the secret stored as ``instance/<name>``, creating it (0600) on first use."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / name
    try:
        # O_EXCL: two processes starting at once must not each write a different key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        value = path.read_text(encoding="ascii").strip()
        if not value:
            raise SettingsError(f"{path} is empty: delete it to have a new secret generated.") from None
        return value
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        # A Fernet key is 32 random bytes in padded url-safe base64.
        value = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode() if fernet else secrets.token_urlsafe(nbytes)
        fh.write(value)
    return value


def _parse(name: str, kind: Any, raw: str) -> Any:
    kind = str(kind)
    try:
        if kind == "bool":
            if raw.strip().lower() in ("1", "true", "yes", "on"):
                return True
            if raw.strip().lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if kind == "int":
            return int(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name.upper()}={raw!r} is not a valid {kind}.") from None
    return raw
