"""The post-trip deletion log: page, CSV, PDF, the teacher's attestation and the senior leader's sign-off."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ...models import Role, Trip
from ...services.deletion import log as deletion_log
from ...services.deletion import report as deletion_report
from ...services.errors import NotFoundError, ServiceError, ValidationError
from ...services.school import trips
from ..core.access import roles
from ..core.database import db_session
from ..core.forms_util import show_errors
from ..forms.logs import AttestForm, SignOffForm

bp = Blueprint("logs", __name__, url_prefix="/trips")


def _trip(trip_id: int) -> Trip:
    try:
        return trips.get_trip(db_session(), current_user, trip_id)
    except NotFoundError:
        abort(404)


def _page(trip: Trip, form: AttestForm | None = None, sign_off_form: SignOffForm | None = None) -> str:
    log = deletion_log.build_log(db_session(), trip)
    return render_template(
        "logs/show.html",
        log=log,
        trip=trip,
        frozen=deletion_report.frozen_view(log),
        form=form or AttestForm(formdata=None),
        sign_off_form=sign_off_form or SignOffForm(formdata=None),
        attest_refusals=deletion_log.attest_refusals(log, current_user),
        sign_off_refusals=deletion_log.sign_off_refusals(log, current_user),
        report=deletion_report,
    )


@bp.route("/<int:trip_id>/log")
@roles(Role.OFFICE, Role.TRIP_LEAD)
def show(trip_id: int) -> str:
    return _page(_trip(trip_id))


@bp.route("/<int:trip_id>/log.csv")
@roles(Role.OFFICE, Role.TRIP_LEAD)
def csv_file(trip_id: int) -> Response:
    log = deletion_log.build_log(db_session(), _trip(trip_id))
    return _download(deletion_report.render_csv(log).encode("utf-8"), "text/csv; charset=utf-8", log, "csv")


@bp.route("/<int:trip_id>/log.pdf")
@roles(Role.OFFICE, Role.TRIP_LEAD)
def pdf_file(trip_id: int) -> Response:
    log = deletion_log.build_log(db_session(), _trip(trip_id))
    return _download(deletion_report.render_pdf(log), "application/pdf", log, "pdf")


def _download(body: bytes, mimetype: str, log: deletion_log.TripDeletionLog, extension: str) -> Response:
    response = Response(body, content_type=mimetype)
    name = deletion_report.filename(log, extension)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<int:trip_id>/log/attest", methods=["POST"])
@roles(Role.TRIP_LEAD)
def attest(trip_id: int) -> Response | str:
    trip = _trip(trip_id)
    form = AttestForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _page(trip, form)  # the box was not ticked: say so beside it
    try:
        deletion_log.attest(db_session(), current_user, trip, confirmed=bool(form.confirm.data))
    except ValidationError as exc:
        show_errors(form, exc)
        return _page(trip, form)
    except ServiceError as exc:
        flash(exc.user_message, "error")
    else:
        db_session().commit()
        flash("Thank you: your confirmation is recorded in the deletion log.", "success")
    return redirect(url_for("logs.show", trip_id=trip.id))


@bp.route("/<int:trip_id>/log/sign-off", methods=["POST"])
@roles(Role.ADMIN)
def sign_off(trip_id: int) -> Response | str:
    trip = _trip(trip_id)
    form = SignOffForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _page(trip, sign_off_form=form)  # the box was not ticked: say so beside it
    try:
        deletion_log.sign_off(db_session(), current_user, trip, confirmed=bool(form.confirm.data))
    except ValidationError as exc:
        show_errors(form, exc)
        return _page(trip, sign_off_form=form)
    except ServiceError as exc:
        flash(exc.user_message, "error")
    else:
        db_session().commit()
        flash("The deletion log is signed off and can no longer be changed.", "success")
    return redirect(url_for("logs.show", trip_id=trip.id))
