"""The Facebook Page publisher: photos uploaded unpublished, then one feed post that shows them all.

    POST /{page-id}/photos  multipart: source=<JPEG bytes>, published=false, temporary=true,
                            alt_text_custom=<alt text>                       -> {"id": photo id}
    POST /{page-id}/feed    message=<caption>, attached_media[i]={"media_fbid": photo id}
                                                                             -> {"id": post id}
    GET  /{post-id}?fields=permalink_url                                     (the link, best effort)

The photos travel as bytes, never as a URL: a URL would mean publishing them on the open web first.
An unpublished photo is seen by nobody until a post attaches it. If the feed post is refused, the
photos already uploaded are deleted; after a crash between the uploads and the feed post they stay
unpublished on Facebook's side, visible to no one, and ``find_recent`` does not see them (it reads
published posts only).

Pages have no API switch to close comments on a post (unlike X's reply settings), so
``replies_can_be_closed`` is False: docs/networks/facebook.md says what a Page can do instead.
"""

from __future__ import annotations

import json
import logging

from tripposter.publishers.base import (
    MAX_ALT_TEXT_CHARS,
    MAX_IMAGES,
    AmbiguousError,
    Attempt,
    CannotTellError,
    NeedsReconnectError,
    NetworkLimits,
    Post,
    PostImage,
    Published,
    PublishError,
    RetryableError,
    check_limits,
)
from tripposter.publishers.facebook_graph import (
    DEFAULT_TIMEOUT,
    GRAPH_API,
    GRAPH_VERSION,
    READ_PERMISSION,
    GraphClient,
)
from tripposter.publishers.facebook_recent import CLOCK_SKEW, candidates

LIMITS = NetworkLimits(
    network="Facebook",
    max_text=63_206,  # Facebook's limit for a post's text
    count_text=len,
    max_images=MAX_IMAGES,  # tripposter's own; a Facebook post could hold more
    max_image_bytes=4_000_000,  # Meta recommends photos under 4 MB
    max_alt_text=MAX_ALT_TEXT_CHARS,  # Graph documents no limit for alt_text_custom; ours holds
    replies_can_be_closed=False,
)
RECENT_POSTS_TO_CHECK = 100  # the most Graph returns in one page
RECENT_FIELDS = "id,message,created_time,attachments{type,subattachments.limit(10){type}}"
AMBIGUOUS = (
    "More than one post on the school's Facebook Page could be this one (they share the same text and "
    "number of photos), so the app cannot tell which. Check the Page by hand."
)

logger = logging.getLogger(__name__)


class FacebookPublisher:
    """Posts to one Facebook Page with a Page access token."""

    def __init__(
        self,
        page_id: str,
        page_token: str,
        *,
        api: str = GRAPH_API,
        version: str = GRAPH_VERSION,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if not page_id.isdigit():
            raise NeedsReconnectError(
                "The Facebook Page ID must be the number shown under the Page's About, Page transparency. "
                "A senior leader needs to enter it again."
            )
        if not page_token.strip():
            raise NeedsReconnectError(
                "No Facebook Page access token is set. A senior leader needs to connect the Page."
            )
        self.page_id = page_id
        self.graph = GraphClient(page_token, api=api, version=version, timeout=timeout)

    def __repr__(self) -> str:
        return f"FacebookPublisher(page={self.page_id!r})"  # never the token

    def publish(self, post: Post) -> Published:
        """Upload each photo unpublished with its alt text, then make one feed post with all of them.

        Raises:
            InvalidPostError: the post does not fit Facebook's limits (nothing was sent).
            RetryableError: rate limit, Facebook fault or network fault; ``outcome_unknown`` is set
                when the feed post itself may have been created.
            NeedsReconnectError: the token expired, was revoked or lacks a permission.
            RejectedError: Facebook refused the post (``duplicate`` for a copy of a recent post).
        """
        check_limits(post, LIMITS)
        photo_ids: list[str] = []
        try:
            for image in post.images:
                photo_ids.append(self._upload(image))
            created = self.graph.post(f"{self.page_id}/feed", _feed_form(post.text, photo_ids), may_have_posted=True)
        except PublishError as exc:
            if not (isinstance(exc, RetryableError) and exc.outcome_unknown):
                self._discard(photo_ids)  # no post uses them: leave no copy behind
            raise
        post_id = str(created.get("id") or "")
        if not post_id:
            raise RetryableError(
                "Facebook's answer to the post could not be read. Checking before trying again.",
                outcome_unknown=True,
            )
        logger.info("Facebook post %s made with %d photos", post_id, len(photo_ids))
        return Published(remote_id=post_id, url=self._permalink(post_id))

    def find_recent(self, text: str, attempt: Attempt) -> Published | None:
        """The post this attempt made: same message, same number of photos, created after the attempt
        started, and not already recorded for another post.

        Raises:
            CannotTellError: the token may not read the Page's posts, the answer was unreadable, or
                (``AmbiguousError``) more than one post fits.
            RetryableError, NeedsReconnectError: as for ``publish``.
        """
        since = attempt.started_at - CLOCK_SKEW
        body = self.graph.get(
            f"{self.page_id}/published_posts",
            {"fields": RECENT_FIELDS, "since": str(int(since.timestamp())), "limit": str(RECENT_POSTS_TO_CHECK)},
            reading=True,
        )
        posts = body.get("data")
        if not isinstance(posts, list):
            raise CannotTellError("Facebook's list of the Page's posts could not be read. Check the Page by hand.")
        if len(posts) >= RECENT_POSTS_TO_CHECK and (body.get("paging") or {}).get("next"):
            raise CannotTellError("The Page has too many new posts to check. Check the Page by hand.")
        fits, maybe = candidates(posts, text, attempt)
        if len(fits) == 1 and not maybe:
            return Published(remote_id=fits[0], url=self._permalink(fits[0]))
        if fits or maybe:
            raise AmbiguousError(AMBIGUOUS)
        return None

    def check_connection(self) -> str:
        """The Page's name, once the token is shown to be this Page's and able to read its posts.

        Publishing itself cannot be tried without posting, so ``pages_manage_posts`` shows only at
        the first post.

        Raises:
            NeedsReconnectError: the token is invalid, for another Page or a person, or cannot read.
            RetryableError: Facebook or the network failed; try again.
        """
        me = self.graph.get("me", {"fields": "id,name"})
        if str(me.get("id")) != self.page_id:
            raise NeedsReconnectError(
                "This access token is not the school Page's own: it belongs to another Page or to a "
                "person's account. Get a Page access token for the school's Page and connect again."
            )
        try:
            self.graph.get(f"{self.page_id}/published_posts", {"fields": "id", "limit": "1"}, reading=True)
        except CannotTellError as exc:
            raise NeedsReconnectError(
                f"The connection cannot read the Page's posts, which the app needs to avoid double posts. "
                f"Reconnect the Page allowing {READ_PERMISSION}."
            ) from exc
        return str(me.get("name") or "the Facebook Page")

    def _upload(self, image: PostImage) -> str:
        """Upload one JPEG unpublished with its alt text; returns its photo id."""
        answer = self.graph.post(
            f"{self.page_id}/photos",
            # Meta documents ``temporary`` for photos that a later (scheduled) post attaches, which is
            # what these are. It does not say when unused ones go, so a refused post deletes its own.
            {"published": "false", "temporary": "true", "alt_text_custom": image.alt_text},
            files={"source": ("photo.jpg", image.jpeg, "image/jpeg")},
        )
        photo_id = str(answer.get("id") or "")
        if not photo_id.isdigit():
            raise RetryableError("Facebook did not accept a photo upload. The post will be tried again.")
        return photo_id

    def _discard(self, photo_ids: list[str]) -> None:
        """Delete unpublished photos no post uses; a failure only logs, as they are visible to no one."""
        for photo_id in photo_ids:
            try:
                self.graph.delete(photo_id)
            except PublishError:
                logger.warning("Could not delete unpublished Facebook photo %s", photo_id)

    def _permalink(self, post_id: str) -> str:
        """The post's link as Facebook gives it; a plain post URL if it will not say."""
        try:
            link = self.graph.get(post_id, {"fields": "permalink_url"}).get("permalink_url")
        except PublishError:
            link = None
        if isinstance(link, str) and link.startswith("https://"):
            return link
        return f"https://www.facebook.com/{post_id}"


def _feed_form(text: str, photo_ids: list[str]) -> dict[str, str]:
    form = {"message": text, "published": "true"}
    for index, photo_id in enumerate(photo_ids):
        form[f"attached_media[{index}]"] = json.dumps({"media_fbid": photo_id})
    return form
