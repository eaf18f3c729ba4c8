"""The school's monthly budget for posting to X: what this month's posts cost, and whether the next fits.

X charges per post from credits the school buys. A senior leader may cap what a month's posts spend
(School settings); once the next post would go over, posting to X waits (the post stays queued,
its photos still destroyed at their limit) until the month turns or the cap is raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...config import Settings
from ...models import Post
from ...publishers.x_costs import dollars, x_cost
from ..school.settings import get_school

MICROS = Decimal(1_000_000)


@dataclass(frozen=True)
class Budget:
    """This month on X: the cap (None: none), what has been spent, and since when."""

    cap: Decimal | None
    spent: Decimal
    since: datetime  # the first moment of this month, in the school's time zone

    def fits(self, cost: Decimal) -> bool:
        return self.cap is None or self.spent + cost <= self.cap

    def describe(self) -> str:
        spent = f"{dollars(self.spent)} spent on X since {self.since.day} {self.since:%B}"
        return spent if self.cap is None else f"{spent}, of a monthly limit of {dollars(self.cap)}"


def cost_of(post: Post) -> Decimal:
    """What posting ``post`` (its final text and photos) costs on X at today's prices."""
    return x_cost(post.text, photos=max(1, len(post.photos))).total


def charge(post: Post, settings: Settings) -> None:
    """Record what X charged for a post that went out there (nothing for the outbox)."""
    if settings.publisher == "x" and post.x_cost_micros is None:
        post.x_cost_micros = int(cost_of(post) * MICROS)


def this_month(session: Session, now: datetime) -> Budget:
    school = get_school(session)
    zone = ZoneInfo(school.timezone)
    since = now.astimezone(zone).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    total = session.scalar(
        select(func.coalesce(func.sum(Post.x_cost_micros), 0)).where(Post.published_at >= since.astimezone(UTC))
    )
    cap = None if school.x_monthly_budget_cents is None else Decimal(school.x_monthly_budget_cents) / 100
    return Budget(cap, Decimal(total or 0) / MICROS, since)


def over_budget(session: Session, settings: Settings, post: Post, now: datetime) -> str | None:
    """Why ``post`` must wait for the budget, or None when it fits (or does not go to X)."""
    if settings.publisher != "x":
        return None
    budget = this_month(session, now)
    cost = cost_of(post)
    if budget.fits(cost):
        return None
    return (
        f"Waiting: this post would cost {dollars(cost)} on X, over the school's monthly limit "
        f"({budget.describe()}). A senior leader can raise the limit under School settings; otherwise "
        "it goes when the month turns, if its photos may wait that long."
    )
