"""The start page: what each role can do from here."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm import Session

from ..config import Settings
from ..models import Role
from ..services.networks import budget
from ..services.networks.channels import paused_channels
from ..services.networks.x_account import get_account
from ..services.posting.publication_decisions import waiting_copies
from ..services.posting.recovery import unknown_posts
from ..services.school.settings import school_today
from ..services.school.trips import visible_trips
from .core.access import signed_in
from .core.database import db_session, runtime

bp = Blueprint("home", __name__)


@bp.route("/")
@signed_in
def index() -> str:
    today = school_today(db_session(), runtime().clock())
    trips = visible_trips(db_session(), current_user)
    running = [t for t in trips if t.is_running_on(today)]
    upcoming = [t for t in trips if t.start_date > today][:5]
    alerts = leader_alerts(db_session(), runtime().settings, runtime().clock()) if current_user.has_role(Role.ADMIN) else []
    return render_template("home/index.html", running=running, upcoming=upcoming, alerts=alerts)


def leader_alerts(session: Session, settings: Settings, now: datetime) -> list[tuple[str, str]]:
    """What a senior leader must act on: a paused account, X's monthly limit, posts and network copies to decide."""
    alerts = []
    account = get_account(session)
    if account is not None and account.paused_reason:
        alerts.append((f"Posting to X is paused: {account.paused_reason}", url_for("account.show")))
    if settings.publisher == "x" and (month := budget.this_month(session, now)).cap is not None and month.spent >= month.cap:
        alerts.append((f"This month's limit for posting to X is reached ({month.describe()}): posts to X wait "
                       "until the month turns or the limit is raised.", url_for("school.edit")))
    for channel in paused_channels(session):
        alerts.append((f"Posting to {channel.kind.label} is paused: {channel.paused_reason}", url_for("channels.index")))
    if unknown := len(unknown_posts(session)):
        alerts.append((f"{unknown} post(s) wait for your decision: X cannot say whether they went out, or their "
                       "author's account was disabled.", url_for("post.decisions")))
    if copies := waiting_copies(session, now):
        networks = " and ".join(sorted({copy.kind.label for copy in copies}))
        alerts.append((f"{len(copies)} post(s) on {networks} wait for your decision: the app cannot tell whether "
                       "they went out, or the network refused them.", url_for("post.decisions")))
    return alerts
