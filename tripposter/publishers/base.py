"""What every publisher takes and gives back: a post, its outcome, rate limits and typed errors."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from ..errors import UserFacingError

MAX_IMAGES = 4
MAX_ALT_TEXT_CHARS = 1000  # X's documented limit for media alt text
MAX_IMAGE_BYTES = 5 * 1024 * 1024  # X's limit for an image attached to a post
REPLY_SETTINGS = frozenset({"mentionedUsers", "following", "subscribers", "verified"})
DEFAULT_REPLY_SETTINGS = "mentionedUsers"  # nobody can reply unless the post mentions them
_JPEG_MAGIC = b"\xff\xd8\xff"


class PublishError(UserFacingError):
    """Publishing failed; ``user_message`` says what to do next."""

    code = "publish_failed"


class RetryableError(PublishError):
    """A passing fault (rate limit, server error, timeout): try the same post again later.

    ``retry_at`` is the earliest sensible retry time when X said so. ``outcome_unknown`` is True when
    the request may already have created the post (e.g. the answer timed out), so the caller should
    reconcile with ``find_recent`` before sending again.
    """

    code = "retry"

    def __init__(
        self, user_message: str, *, retry_at: datetime | None = None, outcome_unknown: bool = False
    ) -> None:
        super().__init__(user_message)
        self.retry_at = retry_at
        self.outcome_unknown = outcome_unknown


class NeedsReconnectError(PublishError):
    """The account's authorisation is gone or refused: an admin must reconnect the X account."""

    code = "reconnect"


class PausedError(PublishError):
    """The channel cannot post until a person acts (X: the API credits ran out); nothing was sent.

    Deliberately neither a ``RetryableError`` (a timer cannot fix it, and each retry is another
    refused request) nor a ``RejectedError`` (the post itself is fine): the post waits, unchanged,
    until someone does what ``user_message`` says and resumes the channel.
    """

    code = "paused"


class RejectedError(PublishError):
    """X refused this post; sending it again unchanged will not help.

    ``duplicate`` is True when X refused it as a copy of a recent post, which after an unknown
    outcome is evidence that the earlier attempt succeeded.
    """

    code = "rejected"

    def __init__(self, user_message: str, *, duplicate: bool = False) -> None:
        super().__init__(user_message)
        self.duplicate = duplicate


class InvalidPostError(RejectedError):
    """The post breaks a limit before anything is sent (image count, size or alt text)."""

    code = "invalid_post"


class ImageTooLargeError(InvalidPostError):
    """The server refused a photo as too large, before any post was made (photos go up first).

    ``retry_within`` is a smaller size, in bytes, the network is known to take (an older Bluesky
    server's 1,000,000), so the caller can fit the photos to it and send once more; None when
    there is nothing smaller to try.
    """

    def __init__(self, user_message: str, *, retry_within: int | None = None) -> None:
        super().__init__(user_message)
        self.retry_within = retry_within


class CannotTellError(PublishError):
    """Reconciliation is impossible here (e.g. the API tier cannot read the account's posts)."""

    code = "cannot_tell"


class AmbiguousError(CannotTellError):
    """More than one post could be the attempt's (they share its text): a person must say which."""

    code = "ambiguous"


@dataclass(frozen=True)
class PostImage:
    """One JPEG (already scrubbed) and the alt text that describes it."""

    jpeg: bytes = field(repr=False)
    alt_text: str = field(repr=False)  # may name pupils: keep it out of logs

    def __post_init__(self) -> None:
        if not self.jpeg.startswith(_JPEG_MAGIC):
            raise InvalidPostError("A photo could not be attached because it is not a JPEG image.")
        if len(self.jpeg) > MAX_IMAGE_BYTES:
            raise InvalidPostError("A photo is larger than 5 MB. Retake it or choose a smaller one.")
        if not self.alt_text.strip():
            raise InvalidPostError("Every photo needs a short description (alt text). Add one.")
        if len(self.alt_text) > MAX_ALT_TEXT_CHARS:
            raise InvalidPostError(
                f"A photo description is longer than {MAX_ALT_TEXT_CHARS} characters. Shorten it."
            )


@dataclass(frozen=True)
class Attempt:
    """Who one publishing attempt is, so recovery never takes another post with the same text for it.

    Every photo-only post of a trip has the same text (just the hashtags), so text alone proves nothing.
    """

    id: str  # 32 hex digits, stored with the post wherever the publisher can store it (the outbox)
    started_at: datetime  # committed before anything was sent: nothing created earlier can be this attempt
    media_count: int
    known_ids: frozenset[str] = frozenset()  # remote ids already recorded for other posts: never this one


@dataclass(frozen=True)
class Post:
    """The final caption (hashtags included) with 1 to 4 images and who may reply."""

    text: str = field(repr=False)  # captions are never logged
    images: tuple[PostImage, ...]
    reply_settings: str | None = DEFAULT_REPLY_SETTINGS
    attempt: Attempt | None = None

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise InvalidPostError("The post has no caption. Write one before posting.")
        if not 1 <= len(self.images) <= MAX_IMAGES:
            raise InvalidPostError(f"A post needs between 1 and {MAX_IMAGES} photos.")
        if self.reply_settings is not None and self.reply_settings not in REPLY_SETTINGS:
            raise InvalidPostError("The school's reply setting is not one X accepts. Ask an admin.")


@dataclass(frozen=True)
class RateLimit:
    """One rate-limit window as X reported it."""

    limit: int
    remaining: int
    reset_at: datetime


@dataclass(frozen=True)
class Published:
    """Where a post now lives. ``daily_limit`` is the 24-hour posting cap when X reported one."""

    remote_id: str
    url: str
    rate_limit: RateLimit | None = None
    daily_limit: RateLimit | None = None


@dataclass(frozen=True)
class NetworkLimits:
    """What one network accepts, declared by its publisher as ``LIMITS``.

    The same rules (consent, names, faces, alt text) hold everywhere; these are only the sizes, which
    differ. The services layer fits each post to the limits of every channel it goes to before
    sending, and ``check_limits`` refuses anything that still does not fit, before a byte is sent.
    """

    network: str  # as a school would say it: "X", "Bluesky", "Mastodon", "Facebook"
    max_text: int  # in the network's own unit, as counted by ``count_text``
    count_text: Callable[[str], int] = field(compare=False)
    max_images: int = MAX_IMAGES
    max_image_bytes: int = MAX_IMAGE_BYTES
    max_alt_text: int = MAX_ALT_TEXT_CHARS
    replies_can_be_closed: bool = True  # False: the network has no switch (Mastodon), so say so
    text_unit: str = "characters"


def check_limits(post: Post, limits: NetworkLimits) -> None:
    """Raise ``InvalidPostError`` saying what to change if the post does not fit this network."""
    where = limits.network
    if limits.count_text(post.text) > limits.max_text:
        raise InvalidPostError(
            f"The caption is too long for {where} (at most {limits.max_text} {limits.text_unit}). Shorten it."
        )
    if len(post.images) > limits.max_images:
        raise InvalidPostError(f"{where} takes at most {limits.max_images} photos in one post.")
    for image in post.images:
        if len(image.jpeg) > limits.max_image_bytes:
            raise InvalidPostError(
                f"A photo is larger than {where} accepts ({limits.max_image_bytes:,} bytes). Try again: "
                "the app makes it smaller before sending."
            )
        if len(image.alt_text) > limits.max_alt_text:
            raise InvalidPostError(
                f"A photo description is longer than {where} accepts ({limits.max_alt_text} characters). Shorten it."
            )


@runtime_checkable
class Publisher(Protocol):
    """Somewhere a post can go. Implementations raise only ``PublishError`` subclasses."""

    def publish(self, post: Post) -> Published:
        """Send the post and say where it went.

        Raises:
            RetryableError, NeedsReconnectError, PausedError, RejectedError: see each class.
        """
        ...

    def find_recent(self, text: str, attempt: Attempt) -> Published | None:
        """The post this attempt made, if it made one: settles an attempt whose outcome is unknown.

        Raises:
            CannotTellError: this publisher cannot look, or cannot tell which post is this
                attempt's (the caller must ask a person).
        """
        ...


def _parse_window(headers: Mapping[str, str], prefix: str) -> RateLimit | None:
    try:
        limit = int(headers[f"{prefix}-limit"])
        remaining = int(headers[f"{prefix}-remaining"])
        reset_at = datetime.fromtimestamp(int(headers[f"{prefix}-reset"]), tz=UTC)
    except (KeyError, ValueError, OverflowError, OSError):
        return None
    return RateLimit(limit=limit, remaining=remaining, reset_at=reset_at)


def parse_rate_limit(headers: Mapping[str, str]) -> RateLimit | None:
    """The per-endpoint window from ``x-rate-limit-*`` headers, or None if absent or malformed."""
    return _parse_window(headers, "x-rate-limit")


def parse_daily_limit(headers: Mapping[str, str]) -> RateLimit | None:
    """The tighter of the 24-hour user and app posting caps (``x-user-limit-24hour-*``, ``x-app-...``)."""
    found = [
        window
        for prefix in ("x-user-limit-24hour", "x-app-limit-24hour")
        if (window := _parse_window(headers, prefix)) is not None
    ]
    return min(found, key=lambda window: window.remaining, default=None)


def retry_time(headers: Mapping[str, str]) -> datetime | None:
    """When a 429 lifts: the latest reset among exhausted windows, else the endpoint window's reset."""
    windows = [w for w in (parse_rate_limit(headers), *_daily_windows(headers)) if w is not None]
    exhausted = [w.reset_at for w in windows if w.remaining <= 0]
    if exhausted:
        return max(exhausted)
    window = parse_rate_limit(headers)
    if window is not None:
        return window.reset_at
    try:
        return datetime.fromtimestamp(int(headers["x-rate-limit-reset"]), tz=UTC)
    except (KeyError, ValueError, OverflowError, OSError):
        return None


def _daily_windows(headers: Mapping[str, str]) -> list[RateLimit | None]:
    return [_parse_window(headers, p) for p in ("x-user-limit-24hour", "x-app-limit-24hour")]
