"""Trips: office staff pre-register and edit them; trip leads see their own."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from ...models import Role, Trip
from ...services.errors import NotFoundError, ValidationError
from ...services.networks.trip_networks import destinations, trip_destinations
from ...services.school import roster, trips
from ...services.school.settings import school_today
from ..core.access import roles
from ..core.database import db_session, runtime
from ..core.forms_util import show_errors
from ..forms.office import TripForm

bp = Blueprint("trips", __name__, url_prefix="/trips")


@bp.route("/")
@roles(Role.OFFICE, Role.TRIP_LEAD)
def index() -> str:
    today = school_today(db_session(), runtime().clock())
    return render_template("trips/index.html", trips=trips.visible_trips(db_session(), current_user), today=today)


@bp.route("/<int:trip_id>")
@roles(Role.OFFICE, Role.TRIP_LEAD)
def show(trip_id: int) -> str:
    try:
        trip = trips.get_trip(db_session(), current_user, trip_id)
    except NotFoundError:
        abort(404)
    networks = trip_destinations(db_session(), runtime().settings.publisher, trip)
    return render_template("trips/show.html", trip=trip, networks=networks)


@bp.route("/new", methods=["GET", "POST"])
@roles(Role.OFFICE)
def create() -> Response | str:
    return _edit(None)


@bp.route("/<int:trip_id>/edit", methods=["GET", "POST"])
@roles(Role.OFFICE)
def edit(trip_id: int) -> Response | str:
    try:
        trip = trips.require_trip(db_session(), trip_id)
    except NotFoundError:
        abort(404)
    return _edit(trip)


def _edit(trip: Trip | None) -> Response | str:
    session = db_session()
    form = TripForm(obj=trip)
    if trip is not None and not form.is_submitted():
        form.staff_ids.data = [u.id for u in trip.staff]
        form.pupil_ids.data = [p.id for p in trip.pupils]
    offered = destinations(session, runtime().settings.publisher)
    if not form.is_submitted():  # a new trip posts everywhere; an existing one shows its choice
        form.networks.data = [d.key for d in offered if trip is None or trip.posts_to(d.key)]
    leads = trips.eligible_leads(session)
    form.lead_id.choices = [SelectChoice("0", "Choose a teacher")] + [SelectChoice(str(u.id), u.display_name) for u in leads]
    if form.validate_on_submit():
        data = trips.TripInput(
            name=form.name.data or "",
            destination=form.destination.data or "",
            start_date=form.start_date.data,
            end_date=form.end_date.data,
            lead_id=form.lead_id.data or None,
            staff_ids=tuple(form.staff_ids.data or ()),
            pupil_ids=tuple(form.pupil_ids.data or ()),
            hashtags=form.hashtags.data or "",
            posting_start=form.posting_start.data,
            posting_end=form.posting_end.data,
            networks=tuple(form.networks.data or ()) if form.networks_shown.data else None,
            offered_networks=tuple(d.key for d in offered),
        )
        try:
            saved = trips.save_trip(session, current_user, data, trip)
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            session.commit()
            flash(f"{saved.name} is saved.", "success")
            return redirect(url_for("trips.show", trip_id=saved.id))
    chosen = set(form.pupil_ids.data or ())
    return render_template(
        "trips/form.html",
        form=form,
        trip=trip,
        leads=leads,
        staff=set(form.staff_ids.data or ()),
        pupils=roster.list_pupils(session),
        classes=roster.class_names(session),
        chosen=chosen,
        offered=offered,
        ticked=set(form.networks.data or ()),
    )
