"""The school's monthly limit on what posting to X spends: a post that would go over waits, visibly, and goes
once the limit is raised; what each post cost is recorded at the price of the day. tweepy runs for real."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from tests.lifecycle import Clock, Outing
from tests.services.test_publish_faults import run, tweet_calls, tweet_ok, x_api, x_rt  # noqa: F401  (fixtures)
from tests.services.test_publishing import outbox, queue_post, receive
from tripposter.jobs import Queue
from tripposter.models import Post, PostState
from tripposter.runtime import Runtime
from tripposter.services.networks import budget
from tripposter.services.posting.publishing import publish_post
from tripposter.services.school.settings import get_school


def _set_limit(session: Session, cents: int | None) -> None:
    get_school(session).x_monthly_budget_cents = cents
    session.commit()


def test_a_post_over_the_monthly_limit_waits_and_goes_once_the_limit_is_raised(session, x_rt, outing, queue, clock, x_api) -> None:  # type: ignore[no-untyped-def]
    tweet_ok(x_api)
    _set_limit(session, 3)  # $0.03: room for one post of one photo ($0.015 + $0.005)
    first = queue_post(session, x_rt, outing, receive(session, x_rt, outing))
    assert publish_post(x_rt, first.id) == "published"
    session.expire_all()
    assert first.x_cost_micros == 20_000
    second = queue_post(session, x_rt, outing, receive(session, x_rt, outing, key="photo-key-0002"), key="post-key-0002")
    assert publish_post(x_rt, second.id) == "over-budget"
    run(queue, clock, minutes=5)
    session.expire_all()
    assert second.state is PostState.QUEUED and len(tweet_calls(x_api)) == 1  # nothing sent, nothing lost
    assert "monthly limit" in second.last_error and "$0.02" in second.last_error and "$0.03" in second.last_error
    assert second.text and all(photo.spool_name for photo in second.photos)
    _set_limit(session, 100)
    run(queue, clock, minutes=1)
    session.expire_all()
    assert second.state is PostState.PUBLISHED and len(tweet_calls(x_api)) == 2 and x_rt.spool.names() == []
    assert budget.this_month(session, clock()).spent == budget.Decimal("0.04")


def test_a_link_is_charged_at_its_price(session, x_rt, outing, queue, clock, x_api) -> None:  # type: ignore[no-untyped-def]
    tweet_ok(x_api)
    post = queue_post(session, x_rt, outing, receive(session, x_rt, outing), caption="Photos at example.org/trip today!")
    assert publish_post(x_rt, post.id) == "published"
    session.expire_all()
    assert post.x_cost_micros == 205_000  # $0.20 with a link, $0.005 for the photo's description


def test_the_outbox_costs_nothing_and_no_limit_stops_it(session: Session, rt: Runtime, outing: Outing, clock: Clock) -> None:
    _set_limit(session, 0)
    post = queue_post(session, rt, outing, receive(session, rt, outing))
    assert publish_post(rt, post.id) == "published"
    session.expire_all()
    assert post.x_cost_micros is None and len(outbox(rt).list_posts()) == 1


def test_only_this_months_posts_count_in_the_schools_time_zone(session: Session, rt: Runtime, outing: Outing) -> None:
    school = get_school(session)
    school.timezone, school.x_monthly_budget_cents = "Europe/London", 500
    # 23:30 UTC on 31 May is 00:30 on 1 June in London (summer time): June's spending.
    for when, micros in [(datetime(2026, 5, 31, 22, 30, tzinfo=UTC), 15_000), (datetime(2026, 5, 31, 23, 30, tzinfo=UTC), 200_000),
                         (datetime(2026, 6, 10, 9, tzinfo=UTC), 20_000)]:
        session.add(Post(idempotency_key=f"k{micros}", request_hash="h", trip_id=outing.trip.id, author_id=outing.lead.id,
                         state=PostState.PUBLISHED, published_at=when, x_cost_micros=micros))
    session.commit()
    june = budget.this_month(session, datetime(2026, 6, 20, 12, tzinfo=UTC))
    assert june.spent == budget.Decimal("0.22") and june.cap == budget.Decimal("5")
    assert june.describe() == "$0.22 spent on X since 1 June, of a monthly limit of $5.00"
    assert june.fits(budget.Decimal("4.78")) and not june.fits(budget.Decimal("4.781"))
    assert budget.this_month(session, datetime(2026, 7, 1, 0, 30, tzinfo=UTC)).spent == 0  # 01:30 on 1 July
    may = budget.this_month(session, datetime(2026, 5, 31, 22, 29, tzinfo=UTC))  # 23:29 in London: still May
    assert (may.since.month, may.since.day, may.since.hour) == (5, 1, 0)
