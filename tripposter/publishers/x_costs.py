"""What a post costs on X, known before it is sent, and X's size limits as ``NetworkLimits``.

X's API is pay-per-use: the school buys credits and every post spends some. A caption that holds a
link costs 13 times as much, and X decides what is a link with its own parser (``twitter-text``),
which also finds links written without ``https://`` ("rockpools.at", "bbc.co.uk/news"). The same
library counts here, so the price shown is the price X charges.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from twitter_text import extract_urls, parse_tweet

from tripposter.publishers.base import MAX_ALT_TEXT_CHARS, MAX_IMAGE_BYTES, MAX_IMAGES, NetworkLimits

# X's pay-per-use prices in US dollars, per request, as listed under "Write operations" on
# https://docs.x.com/x-api/getting-started/pricing (checked 30 November 2026; X may change them, and
# the Developer Console at console.x.com always shows the current rates). Failed requests are free.
POST_PRICE = Decimal("0.015")  # "Post: Create"
POST_WITH_LINK_PRICE = Decimal("0.200")  # "Post: Create (with URL)": instead of, not on top of, the above
ALT_TEXT_PRICE = Decimal("0.005")  # "Media Metadata": the app sets each photo's alt text with one request
# How many times dearer a link makes the post itself (0.200 / 0.015 = 13.3, so "13 times").
LINK_FACTOR = int(POST_WITH_LINK_PRICE / POST_PRICE)
MAX_WEIGHTED_LENGTH = 280


def weighted_length(text: str) -> int:
    """Length as X counts it: most emoji and CJK characters count two, every link 23."""
    return parse_tweet(text).weightedLength


# X's sizes. The pipeline fits each post to them; ``check_limits`` refuses what still does not fit.
LIMITS = NetworkLimits(
    network="X",
    max_text=MAX_WEIGHTED_LENGTH,
    count_text=weighted_length,
    max_images=MAX_IMAGES,
    max_image_bytes=MAX_IMAGE_BYTES,
    max_alt_text=MAX_ALT_TEXT_CHARS,
    replies_can_be_closed=True,  # reply_settings: only the accounts a post mentions may reply
    text_unit="characters, where a link counts as 23 and most emoji as 2",
)


@dataclass(frozen=True)
class XCost:
    """The price of one post on X, in US dollars, and the links that set it."""

    post: Decimal  # the post itself: POST_PRICE, or POST_WITH_LINK_PRICE when it holds a link
    alt_texts: Decimal  # ALT_TEXT_PRICE for each photo
    links: tuple[str, ...] = field(repr=False)  # as written in the caption, which may name pupils

    @property
    def total(self) -> Decimal:
        """What the school's credits pay for this post."""
        return self.post + self.alt_texts

    @property
    def link_made_it_dearer(self) -> bool:
        """True when a link in the caption raised the post's price ``LINK_FACTOR`` times."""
        return bool(self.links)

    def warning(self) -> str | None:
        """What to tell the teacher before sending when a link made the post dearer, else None."""
        if not self.links:
            return None
        return (
            f"The caption holds a link ({self.links[0]}), so X charges the school {dollars(POST_WITH_LINK_PRICE)} "
            f"for this post instead of {dollars(POST_PRICE)}: {LINK_FACTOR} times as much. "
            "Remove the link unless the post needs it."
        )


def x_cost(text: str, *, photos: int) -> XCost:
    """What posting ``text`` (the final caption, hashtags included) with ``photos`` photos costs on X."""
    if photos < 0:
        raise ValueError("photos cannot be negative")
    links = tuple(extract_urls(text))  # X's own parser: links without a scheme count too
    post = POST_WITH_LINK_PRICE if links else POST_PRICE
    return XCost(post=post, alt_texts=ALT_TEXT_PRICE * photos, links=links)


def monthly_total(costs: Iterable[XCost]) -> Decimal:
    """The sum of the posts' prices, exact to the tenth of a cent (Decimal, never float)."""
    return sum((cost.total for cost in costs), Decimal(0))


def dollars(amount: Decimal) -> str:
    """"$0.20", "$0.015", "$12.50": cents, or tenths of a cent when the price has them."""
    places = Decimal("0.01") if amount == amount.quantize(Decimal("0.01")) else Decimal("0.001")
    return f"${amount.quantize(places):,}"
