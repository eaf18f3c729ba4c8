"""The Bluesky publisher: photos as blobs, then the post and its reply/quote gates in one commit.

    POST /xrpc/com.atproto.server.createSession  only when there is no usable saved session
    POST /xrpc/com.atproto.repo.uploadBlob       once per photo (image/jpeg) -> blob ref
    POST /xrpc/com.atproto.repo.applyWrites      creates, under one record key from the attempt:
         app.bsky.feed.post (text, facets, images with alt text and aspect ratio),
         app.bsky.feed.threadgate (allow: [] -> nobody can reply),
         app.bsky.feed.postgate (disableRule -> nobody can quote)
    GET  /xrpc/com.atproto.repo.getRecord        find_recent: the attempt's own record key, exactly

No double post: a second send of the same attempt writes the same record key, which the server
refuses (an explicit "already exists" error on current servers, a 500 on older ones); either way
the key is then read back, and if the post is there it is the attempt's, so it counts as published.
The gates go in the same commit as the post, so a post without them cannot be left behind by a
failure half-way; on recovery they are still checked and any missing gate is written on its own,
never the post again. Blobs that no post uses are deleted by the server, so a failed upload leaves
nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from atproto_client import Client, models
from atproto_client.models.utils import get_response_model

from tripposter.publishers.base import (
    Attempt,
    ImageTooLargeError,
    InvalidPostError,
    Post,
    PostImage,
    Published,
    RetryableError,
    check_limits,
)
from tripposter.publishers.bluesky_records import (
    GATES,
    LIMITS,
    OLDER_SERVER_IMAGE_BYTES,
    POST,
    aspect_ratio,
    at_uri,
    gate_records,
    post_record,
    rkey_for,
    web_url,
)
from tripposter.publishers.bluesky_session import (
    DEFAULT_TIMEOUT,
    LIBRARY_ERRORS,
    BlueskySession,
    error_details,
    error_for,
)

__all__ = ["LIMITS", "BlueskyPublisher"]
BSKY_SOCIAL = "https://bsky.social"


class BlueskyPublisher:
    """Posts to the school's Bluesky account with an app password and a saved, reused session."""

    def __init__(
        self,
        handle: str,
        app_password: str,
        *,
        session: str | None,
        on_session: Callable[[str], None],
        base_url: str = BSKY_SOCIAL,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.handle = handle.removeprefix("@")
        self._session = BlueskySession(
            self.handle, app_password, session=session, on_session=on_session, base_url=base_url, timeout=timeout
        )

    def __repr__(self) -> str:
        return f"BlueskyPublisher(handle={self.handle!r})"

    def publish(self, post: Post) -> Published:
        """Check the limits, upload the photos, then write the post with its gates.

        Raises:
            InvalidPostError: the post does not fit Bluesky, or the server refused a photo's size.
            RetryableError: rate limit, server fault or network fault; ``outcome_unknown`` is set
                when the post itself may have been created.
            NeedsReconnectError: the app password or the account was refused.
            RejectedError: Bluesky refused the post.
        """
        check_limits(post, LIMITS)
        images = [self._upload(image) for image in post.images]
        rkey = rkey_for(post.attempt)
        now = _now()
        try:
            self._session.call(
                lambda client: _apply_writes(client, self._session.did, post.text, images, rkey, now)
            )
        except LIBRARY_ERRORS as exc:
            status, name = error_details(exc)
            if status is not None and (status >= 500 or status == 409 or "exist" in name.lower()):
                # Possibly this attempt's own post, from a send whose answer was lost: look.
                if (found := self._settle(rkey)) is not None:
                    return found
            raise error_for(exc, may_have_posted=True) from exc
        return self._published(rkey)

    def find_recent(self, text: str, attempt: Attempt) -> Published | None:
        """The post this attempt made, read by its own record key (text plays no part), or None.

        A found post also gets any missing reply/quote gate written, so it is never left open.

        Raises:
            RetryableError, NeedsReconnectError: as for ``publish`` (the post is never re-sent here).
        """
        del text  # the record key is the attempt's identity; identical captions cannot be mistaken
        return self._settle(rkey_for(attempt), strict=True)

    def check_connection(self) -> str:
        """Sign in (or reuse the session) and say which account this is, for the "test connection" button.

        Raises:
            NeedsReconnectError: the app password was refused, with what to do about it.
            RetryableError: Bluesky could not be reached or is limiting logins.
        """
        try:
            profile = self._session.call(
                lambda client: client.app.bsky.actor.get_profile(
                    models.AppBskyActorGetProfile.Params(actor=self._session.did)
                )
            )
        except LIBRARY_ERRORS as exc:
            raise error_for(exc) from exc
        name = (profile.display_name or "").strip()
        return f"{name} (@{profile.handle})" if name else f"@{profile.handle}"

    def _upload(self, image: PostImage) -> models.AppBskyEmbedImages.Image:
        try:
            blob = self._session.call(lambda client: _upload_blob(client, image.jpeg))
        except LIBRARY_ERRORS as exc:
            error = error_for(exc)  # a blob on its own publishes nothing
            if isinstance(error, InvalidPostError) and len(image.jpeg) > OLDER_SERVER_IMAGE_BYTES:
                # An older or self-hosted server that still takes 1 MB: the caller may fit and resend.
                raise ImageTooLargeError(error.user_message, retry_within=OLDER_SERVER_IMAGE_BYTES) from exc
            raise error from exc
        return models.AppBskyEmbedImages.Image(alt=image.alt_text, image=blob, aspect_ratio=aspect_ratio(image.jpeg))

    def _settle(self, rkey: str, *, strict: bool = False) -> Published | None:
        """The post under ``rkey`` with its gates made sure of, or None if there is no such post.

        With ``strict`` a failed look-up raises; otherwise it returns None so the caller's own error
        (with ``outcome_unknown``) stands and the attempt is reconciled later.
        """
        try:
            if not self._exists(POST, rkey):
                return None
            for collection in GATES:
                if not self._exists(collection, rkey):
                    self._put_gate(collection, rkey)
        except LIBRARY_ERRORS as exc:
            if strict:
                raise error_for(exc) from exc
            return None
        return self._published(rkey)

    def _exists(self, collection: str, rkey: str) -> bool:
        try:
            self._session.call(
                lambda client: client.com.atproto.repo.get_record(
                    models.ComAtprotoRepoGetRecord.Params(repo=self._session.did, collection=collection, rkey=rkey)
                )
            )
        except LIBRARY_ERRORS as exc:
            status, name = error_details(exc)
            if name == "RecordNotFound" or status == 404:
                return False
            raise
        return True

    def _put_gate(self, collection: str, rkey: str) -> None:
        """Write one missing gate on its own (``putRecord`` is idempotent); the post is never re-sent."""
        did = self._session.did
        record = gate_records(at_uri(did, POST, rkey), _now())[collection]
        self._session.call(
            lambda client: client.com.atproto.repo.put_record(
                models.ComAtprotoRepoPutRecord.Data(repo=did, collection=collection, rkey=rkey, record=record)
            )
        )

    def _published(self, rkey: str) -> Published:
        return Published(remote_id=at_uri(self._session.did, POST, rkey), url=web_url(self._session.account_handle, rkey))


def _apply_writes(
    client: Client, did: str, text: str, images: list[models.AppBskyEmbedImages.Image], rkey: str, now: str
) -> None:
    """One commit: the post and both gates under the same key, so none exists without the others."""
    records = {POST: post_record(text, images, now), **gate_records(at_uri(did, POST, rkey), now)}
    writes = [
        models.ComAtprotoRepoApplyWrites.Create(collection=collection, rkey=rkey, value=record)
        for collection, record in records.items()
    ]
    client.com.atproto.repo.apply_writes(models.ComAtprotoRepoApplyWrites.Data(repo=did, writes=writes))


def _upload_blob(client: Client, jpeg: bytes) -> models.BlobRef:
    """``com.atproto.repo.uploadBlob`` with the bytes as ``content`` and the right type.

    atproto's ``upload_blob`` hands the bytes to httpx as ``data=``, which httpx deprecates (a
    warning on every upload) and labels them ``*/*``; this is the same call, done the way httpx wants.
    """
    response = client.invoke_procedure(
        "com.atproto.repo.uploadBlob",
        content=jpeg,
        headers={"Content-Type": "image/jpeg"},
        output_encoding="application/json",
    )
    return get_response_model(response, models.ComAtprotoRepoUploadBlob.Response).blob


def _now() -> str:
    """The record time Bluesky shows: when it is sent, not when the attempt began."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
