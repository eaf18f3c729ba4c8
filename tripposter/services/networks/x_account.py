"""The school's X account: its encrypted tokens, its pause and limits, and which publisher to use.

The tokens are sealed with ``TokenBox`` before they touch the database and never appear in audit
detail or logs. ``x_account_connect.py`` holds the OAuth round trip that produces them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...config import Settings
from ...models import User, XAccount
from ...publishers.base import NeedsReconnectError, Publisher, RateLimit
from ...publishers.outbox import OutboxPublisher
from ...publishers.x import XPublisher
from ...publishers.x_connect import TokenBox, TokenDecryptError, XTokens
from ..audit import events as audit
from ..errors import ServiceError, ValidationError
from ..school.settings import get_school

# Who may reply to our posts, as a senior leader may choose it (X accepts more, we offer these two).
REPLY_CHOICES = {
    "mentionedUsers": "Only accounts we mention (recommended: the school does not enter discussions)",
    "following": "Accounts we follow",
}
# Roughly when each UK school term starts, as (month, day): autumn, spring, summer.
TERM_STARTS = ((9, 1), (1, 1), (4, 15))


@dataclass(frozen=True)
class AccountStatus:
    """What the X account page shows."""

    account: XAccount | None
    connected: bool
    reminder: str | None
    daily_remaining: int | None
    timezone: ZoneInfo
    reply_settings: str


class NotConnectedError(NeedsReconnectError, ServiceError):
    """Posting to X cannot start: no account connected, keys not set, tokens unreadable or paused.

    It is a ``NeedsReconnectError`` for the publishing job and a ``ServiceError`` for the web layer.
    """

    code = "reconnect"


def get_account(session: Session) -> XAccount | None:
    """The school's X account row, if one was ever connected."""
    return session.scalars(select(XAccount).order_by(XAccount.id)).first()


def is_connected(account: XAccount | None) -> bool:
    """True when tokens are stored (they may still be refused by X: see ``paused_reason``)."""
    return account is not None and account.tokens is not None


def save_tokens(session: Session, actor: User | None, box: TokenBox, tokens: XTokens, now: datetime) -> XAccount:
    """Store freshly approved tokens, encrypted, and lift any pause.

    The same account approved again is a rotation; a first or different account is a connection.
    """
    account = get_account(session)
    if account is None:
        account = XAccount()
        session.add(account)
    rotation = is_connected(account) and bool(tokens.user_id) and account.user_id == tokens.user_id
    account.tokens = box.encrypt(tokens)
    account.rotated_at = now
    account.paused_reason = ""
    account.connected_by = actor.id if actor is not None else None
    if not rotation:
        account.connected_at = now
        account.daily_limit = account.daily_remaining = account.daily_reset_at = None
    account.screen_name = tokens.screen_name or ""
    account.user_id = tokens.user_id or ""
    session.flush()
    action = "x.tokens_rotated" if rotation else "x.connected"
    audit.record(session, actor, action, account, screen_name=account.screen_name, user_id=account.user_id)
    return account


def load_tokens(session: Session, box: TokenBox) -> XTokens:
    """The stored tokens, decrypted.

    Raises:
        NotConnectedError: no account is connected, or its tokens cannot be decrypted.
    """
    account = get_account(session)
    if account is None or account.tokens is None:
        raise NotConnectedError(
            "The school's X account is not connected. A senior leader needs to connect it on the X account page."
        )
    try:
        return box.decrypt(account.tokens)
    except TokenDecryptError as exc:
        raise NotConnectedError(exc.user_message) from exc


def disconnect(session: Session, actor: User | None) -> XAccount:
    """Forget the stored tokens (the row stays, so the audit trail still points somewhere).

    Raises:
        ServiceError: no account is connected.
    """
    account = get_account(session)
    if account is None or not is_connected(account):
        raise ServiceError("No X account is connected, so there is nothing to disconnect.")
    screen_name = account.screen_name
    account.tokens = None
    account.connected_at = account.rotated_at = None
    account.paused_reason = ""
    account.daily_limit = account.daily_remaining = account.daily_reset_at = None
    session.flush()
    audit.record(session, actor, "x.disconnected", account, screen_name=screen_name)
    return account


def pause(session: Session, reason: str) -> XAccount:
    """Stop publishing until someone reconnects; the first reason given is kept and shown."""
    account = get_account(session)
    if account is None:
        account = XAccount()
        session.add(account)
    if not account.paused_reason:
        account.paused_reason = reason.strip() or "X refused the saved connection."
        session.flush()
        audit.record(session, None, "x.paused", account, reason=account.paused_reason)
    return account


def resume(session: Session, actor: User) -> XAccount:
    """A senior leader says the cause is fixed (credits added, say): posting to X starts again.

    If X still refuses, the next post pauses it again, with nothing sent and nothing lost.

    Raises:
        ServiceError: posting to X is not paused.
    """
    account = get_account(session)
    if account is None or not account.paused_reason:
        raise ServiceError("Posting to X is not paused, so there is nothing to resume.")
    reason, account.paused_reason = account.paused_reason, ""
    session.flush()
    audit.record(session, actor, "x.resumed", account, reason=reason)
    return account


def record_limits(session: Session, daily: RateLimit | None) -> None:
    """Remember the 24-hour posting cap X last reported (nothing changes when X said nothing)."""
    account = get_account(session)
    if account is None or daily is None:
        return
    account.daily_limit = daily.limit
    account.daily_remaining = daily.remaining
    account.daily_reset_at = daily.reset_at
    session.flush()


def daily_remaining(account: XAccount | None, now: datetime) -> int | None:
    """Posts left in X's current 24-hour window, or None when unknown or the window has passed."""
    if account is None or account.daily_remaining is None or account.daily_reset_at is None:
        return None
    return account.daily_remaining if account.daily_reset_at > now else None


def term_start(today: date) -> date:
    """The day the current UK school term began (roughly: 1 Sep, 1 Jan, 15 Apr)."""
    starts = [date(year, month, day) for year in (today.year - 1, today.year) for month, day in TERM_STARTS]
    return max(start for start in starts if start <= today)


def term_reminder(account: XAccount | None, today: date, *, timezone: str = "Europe/London") -> str | None:
    """A reminder to change the password and tokens when they were last changed before this term."""
    if account is None or account.tokens is None:
        return None  # nothing to change while nothing is connected
    changed = account.rotated_at or account.connected_at
    started = term_start(today)
    if changed is not None and changed.astimezone(ZoneInfo(timezone)).date() >= started:
        return None
    when = f"on {_uk_date(changed.astimezone(ZoneInfo(timezone)).date())}" if changed else "before records began"
    return (
        f"The X account's tokens were last changed {when}, before this term began "
        f"({_uk_date(started)}). The school's policy is to change them each term: change the "
        "X account's password on X, then press Reconnect here."
    )


def _uk_date(day: date) -> str:
    return f"{day.day} {day.strftime('%B %Y')}"


def publisher_for(session: Session, settings: Settings) -> Publisher:
    """Where posts go now: the local outbox, or the connected X account.

    Raises:
        NotConnectedError: X is chosen but its keys are not set, no account is connected, the
            tokens cannot be read, or publishing is paused until someone reconnects.
    """
    if settings.publisher == "outbox":
        return OutboxPublisher(settings.outbox_path)
    if not (settings.x_consumer_key and settings.x_consumer_secret):
        raise NotConnectedError(
            "Posting to X is switched on but the app's X keys are not set. Ask whoever runs the "
            "server to set TRIPPOSTER_X_CONSUMER_KEY and TRIPPOSTER_X_CONSUMER_SECRET."
        )
    account = get_account(session)
    if account is not None and account.paused_reason:
        # The reason says what to do (reconnect, or add credits and resume).
        raise NotConnectedError(f"Posting to X is paused: {account.paused_reason}")
    tokens = load_tokens(session, TokenBox(settings.token_key))
    return XPublisher(settings.x_consumer_key, settings.x_consumer_secret, tokens)


def set_reply_settings(session: Session, actor: User | None, value: str) -> None:
    """Choose who may reply to the school's posts on X.

    Raises:
        ValidationError: the choice is not one offered.
    """
    if value not in REPLY_CHOICES:
        raise ValidationError({"reply_settings": "Choose who may reply from the list."})
    school = get_school(session)
    if school.reply_settings != value:
        previous = school.reply_settings
        school.reply_settings = value
        session.flush()
        audit.record(session, actor, "school.updated", school, fields=["reply_settings"],
                     changes={"reply_settings": [previous, value]})



def account_status(session: Session, now: datetime) -> AccountStatus:
    """The account, its term reminder and its remaining daily posts, as the school sees them."""
    school = get_school(session)
    zone = ZoneInfo(school.timezone)
    account = get_account(session)
    return AccountStatus(
        account=account,
        connected=is_connected(account),
        reminder=term_reminder(account, now.astimezone(zone).date(), timezone=school.timezone),
        daily_remaining=daily_remaining(account, now),
        timezone=zone,
        reply_settings=school.reply_settings,
    )
