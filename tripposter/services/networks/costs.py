"""What a post costs where it goes, known before it is sent (X charges per post; the others do not)."""

from __future__ import annotations

from dataclasses import dataclass

from ...config import Settings
from ...models import MAIN_NETWORK, Trip
from ...publishers.x_costs import ALT_TEXT_PRICE, LINK_FACTOR, POST_PRICE, POST_WITH_LINK_PRICE, dollars, x_cost


@dataclass(frozen=True)
class PostCost:
    """The price the school pays for one post on one network, as the teacher is shown it."""

    network: str
    dollars: str  # "$0.035"
    warning: str | None  # why it costs more than it need (a link), or None


def post_cost(settings: Settings, text: str, photos: int, trip: Trip | None = None) -> PostCost | None:
    """The cost of posting ``text`` (hashtags included) with ``photos`` photos now; None when it is free.

    Free too when ``trip`` does not post to X: its posts never go there.
    """
    if settings.publisher != "x" or (trip is not None and not trip.posts_to(MAIN_NETWORK)):
        return None  # the outbox costs nothing
    cost = x_cost(text, photos=max(1, photos))
    return PostCost("X", dollars(cost.total), cost.warning())


def price_note(settings: Settings, trip: Trip | None = None) -> str | None:
    """X's prices in one sentence for the posting page, or None when posting is free (or ``trip`` skips X)."""
    if settings.publisher != "x" or (trip is not None and not trip.posts_to(MAIN_NETWORK)):
        return None
    return (
        f"On X each post costs the school {dollars(POST_PRICE)}, plus {dollars(ALT_TEXT_PRICE)} for each photo's "
        f"description; a link makes the post {dollars(POST_WITH_LINK_PRICE)} ({LINK_FACTOR} times as much): leave links out."
    )
