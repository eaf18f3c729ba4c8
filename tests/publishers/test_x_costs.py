"""The price of a post on X, before it is sent: real captions, and links as X's own parser finds them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tripposter.publishers.x_costs import (
    ALT_TEXT_PRICE,
    LINK_FACTOR,
    POST_PRICE,
    POST_WITH_LINK_PRICE,
    dollars,
    monthly_total,
    x_cost,
)

PLAIN = "Rock pooling at Robin Hood's Bay & a picnic <3 #Year5Trip #BramblePrimary"


def test_the_prices_are_xs_in_exact_dollars() -> None:
    assert (POST_PRICE, POST_WITH_LINK_PRICE, ALT_TEXT_PRICE) == (Decimal("0.015"), Decimal("0.2"), Decimal("0.005"))
    assert LINK_FACTOR == 13  # 0.200 / 0.015 = 13.3: "13 times as much"


def test_a_caption_without_a_link_costs_the_post_and_one_alt_text_per_photo() -> None:
    cost = x_cost(PLAIN, photos=3)
    assert cost.post == Decimal("0.015") and cost.alt_texts == Decimal("0.015")
    assert cost.total == Decimal("0.030")
    assert cost.links == () and not cost.link_made_it_dearer and cost.warning() is None


@pytest.mark.parametrize(
    ("caption", "links"),
    [
        ("Photos from today are on https://www.brambleprimary.sch.uk/trips #Year5Trip",
         ("https://www.brambleprimary.sch.uk/trips",)),
        ("Details of next week's trip at brambleprimary.sch.uk/news #Year5Trip", ("brambleprimary.sch.uk/news",)),
        ("THANK YOU WHITBY.CO.UK FOR A GREAT DAY", ("WHITBY.CO.UK",)),
        ("Thanks to the museum (www.nhm.ac.uk). #Year6Trip", ("www.nhm.ac.uk",)),
        ("Our trip, as the paper saw it: https://t.co/Ab3dE9xYz1! #Year5Trip", ("https://t.co/Ab3dE9xYz1",)),
        # ".at" is Austria's domain: X makes this a link, and charges for it.
        ("We explored the rockpools.at Whitby this morning", ("rockpools.at",)),
        ("Book with yha.org.uk, then see english-heritage.org.uk…", ("yha.org.uk", "english-heritage.org.uk")),
    ],
    ids=["scheme", "no-scheme", "uppercase", "brackets-and-full-stop", "t.co", "surprise-domain", "two-links"],
)
def test_a_caption_with_a_link_costs_the_link_price_once(caption: str, links: tuple[str, ...]) -> None:
    cost = x_cost(caption, photos=2)
    assert cost.links == links  # trailing ")" "." "!" "…" are not part of the link
    assert cost.post == POST_WITH_LINK_PRICE and cost.link_made_it_dearer
    assert cost.total == Decimal("0.210")


@pytest.mark.parametrize(
    "caption",
    [
        "Questions to office@brambleprimary.sch.uk please",  # an email address is not a link on X
        "Tickets were £5.50 each. Year5.Trip was the best!",
        "We reached Whitby.Then we had chips",
        "Saved as trip-photo.jpg",
    ],
    ids=["email", "prices-and-dotted-words", "missing-space", "file-name"],
)
def test_dotted_words_that_x_does_not_link_cost_the_plain_price(caption: str) -> None:
    cost = x_cost(caption, photos=1)
    assert cost.links == () and cost.post == POST_PRICE


def test_the_warning_names_the_link_and_both_prices() -> None:
    warning = x_cost("See brambleprimary.sch.uk for more #Year5Trip", photos=1).warning()
    assert warning is not None
    assert "brambleprimary.sch.uk" in warning and "$0.20" in warning and "$0.015" in warning
    assert "13 times" in warning and "Remove the link" in warning


def test_the_cost_leaves_the_caption_out_of_its_repr() -> None:
    cost = x_cost("Ask Amy Smith at amysmith.example.org", photos=1)  # a link can name a pupil
    assert cost.links == ("amysmith.example.org",) and "amysmith" not in repr(cost)


def test_a_month_of_posts_adds_up_exactly() -> None:
    month = [x_cost(PLAIN, photos=3)] * 20 + [x_cost("More at brambleprimary.sch.uk", photos=3)] * 2
    assert monthly_total(month) == Decimal("1.030")  # 20 × 0.030 + 2 × 0.215, with no float rounding
    assert monthly_total([]) == Decimal(0)


def test_negative_photos_are_a_programming_error() -> None:
    with pytest.raises(ValueError):
        x_cost(PLAIN, photos=-1)


@pytest.mark.parametrize(
    ("amount", "shown"),
    [("0.2", "$0.20"), ("0.015", "$0.015"), ("0.035", "$0.035"), ("1030.5", "$1,030.50"), ("0", "$0.00")],
)
def test_dollars_show_cents_or_tenths_of_a_cent(amount: str, shown: str) -> None:
    assert dollars(Decimal(amount)) == shown
