"""The start page: what each role can do from here."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from ..services.school import school_today
from ..services.trips import visible_trips
from .access import signed_in
from .database import db_session

bp = Blueprint("home", __name__)


@bp.route("/")
@signed_in
def index() -> str:
    today = school_today(db_session())
    trips = visible_trips(db_session(), current_user)
    running = [t for t in trips if t.is_running_on(today)]
    upcoming = [t for t in trips if t.start_date > today][:5]
    return render_template("home/index.html", running=running, upcoming=upcoming)
