"""The JSON API the phone page uses. Every write needs the session cookie and a CSRF token.

Refusals are 422 with ``{"error": {"status", "message", "code", "problems"}}``, and each message is
a sentence the teacher can act on. Uploads and posts carry an ``Idempotency-Key``: a replay gets
the first answer back (200), the same key with a different body gets 422.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, jsonify, make_response
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import IntegrityError

from ...models import PostState, Role, Trip
from ...services.errors import NotFoundError, ServiceError
from ...services.networks.costs import post_cost
from ...services.networks.fitting import caption_counts
from ...services.networks.trip_networks import main_label, trip_destinations
from ...services.posting import photo_review, photos, posts
from ...services.posting.trip_grace import has_ended, photos_until
from ...services.school.rules import photo_consent
from ...services.school.settings import get_school, school_today
from ...services.school.trips import visible_trips
from ..core.access import roles, signed_in
from ..core.database import db_session, queue, runtime
from .api_io import (
    alt_texts,
    body,
    flag,
    id_list,
    idempotency_key,
    integer,
    photo_json,
    post_json,
    problems_json,
    regions,
    str_list,
    taken_at,
    text,
    trip_json,
)
from .uploads import UploadRefusedError, photo_bytes

bp = Blueprint("api", __name__, url_prefix="/api")
Reply = tuple[Response, int]
T = TypeVar("T")
OPENAPI = Path(__file__).with_name("openapi.json")


@bp.errorhandler(ServiceError)
def _refused(exc: ServiceError) -> Reply:
    status = 404 if isinstance(exc, NotFoundError) else 422
    error: dict[str, Any] = {"status": status, "message": exc.user_message, "code": exc.code}
    if isinstance(exc, posts.ChecksFailedError):
        error["problems"] = problems_json(exc.problems)
    return jsonify({"error": error}), status


@bp.get("/session")
@signed_in
def session_info() -> Response:
    """Who is signed in, and a fresh CSRF token for the page's writes."""
    user = current_user
    return jsonify({"user": {"name": user.display_name, "role": user.role.value}, "csrf_token": generate_csrf()})


@bp.get("/openapi.json")
@signed_in
def openapi() -> Response:
    """This API's OpenAPI 3.1 description, checked in beside this module."""
    return current_app.response_class(_openapi_text(), mimetype="application/json")


@cache
def _openapi_text() -> str:
    return OPENAPI.read_text(encoding="utf-8")


def _after_a_race(call: Callable[[], T]) -> T:
    """Run ``call``; if a concurrent request with the same idempotency key won the insert, run it again.

    The key is unique in the database, so the loser's insert fails with an IntegrityError (on
    PostgreSQL once the winner commits; on SQLite once it gets the write lock). The second run
    starts a fresh transaction, finds the winner's row and answers as a replay.
    """
    try:
        return call()
    except IntegrityError:
        db_session().rollback()
        return call()


@bp.get("/trips/today")
@roles(Role.TRIP_LEAD)
def trips_today() -> Response:
    """The user's trips running today, and those ended within the grace period (``ended``: true)."""
    rt = runtime()
    today, grace = school_today(db_session(), rt.clock()), rt.settings.trip_grace_days
    trips = [t for t in visible_trips(db_session(), current_user)
             if t.is_led_by(current_user) and t.start_date <= today <= photos_until(t, grace)]
    trips.sort(key=lambda t: has_ended(t, today))  # trips running today first
    return jsonify({"today": today.isoformat(), "trips": [
        {**trip_json(t, _networks(t)), "ended": has_ended(t, today), "photos_until": photos_until(t, grace).isoformat()} for t in trips
    ]})


@bp.post("/trips/<int:trip_id>/photos")
@roles(Role.TRIP_LEAD)
def upload_photo(trip_id: int) -> Reply:
    try:
        data = photo_bytes()
    except UploadRefusedError as exc:
        return jsonify({"error": {"status": 400, "message": exc.user_message, "code": exc.code}}), 400
    rt, key, taken = runtime(), idempotency_key(), taken_at()
    try:
        received = _after_a_race(lambda: photos.receive_photo(
            db_session(), rt.spool, current_user, trip_id, key, data,
            now=rt.clock(), limits=rt.limits, detector=rt.detector_factory(),
            taken_at=taken, grace_days=rt.settings.trip_grace_days,
        ))
    except photos.PhotoRefusedError as exc:
        db_session().commit()  # keep the record that the refused file was destroyed
        return _refused(exc)
    db_session().commit()
    return jsonify({"photo": photo_json(received.photo), "replayed": received.replayed}), 200 if received.replayed else 201


@bp.get("/photos/<public_id>")
@roles(Role.TRIP_LEAD)
def get_photo(public_id: str) -> Response:
    return jsonify({"photo": photo_json(photos.own_photo(db_session(), current_user, public_id))})


@bp.get("/photos/<public_id>/preview.jpg")
@roles(Role.TRIP_LEAD)
def preview(public_id: str) -> Response:
    photo = photos.own_photo(db_session(), current_user, public_id)
    if not photo.spool_name or not photo.wrapped_key:
        raise NotFoundError("This photo has been destroyed.")
    response = make_response(runtime().spool.read(photo.spool_name, photo.wrapped_key))
    response.headers["Content-Type"] = "image/jpeg"
    # The teacher's eyes only: never kept by the browser, a proxy or the service worker.
    response.headers["Cache-Control"] = "no-store, private"
    return response


@bp.get("/photos/<public_id>/posting.jpg")
@roles(Role.TRIP_LEAD)
def posting_preview(public_id: str) -> Response:
    """The photo exactly as it would be posted now: faces and hand-drawn areas blurred."""
    rt = runtime()
    response = make_response(photo_review.preview_image(db_session(), rt.spool, current_user, public_id, rt.limits))
    response.headers["Content-Type"] = "image/jpeg"
    response.headers["Cache-Control"] = "no-store, private"  # never kept by a browser, a proxy or the service worker
    return response


@bp.put("/photos/<public_id>")
@roles(Role.TRIP_LEAD)
def tag_photo(public_id: str) -> Response:
    data = body()
    session = db_session()
    areas, checked = regions(data), flag(data, "faces_checked")
    photo = photos.tag_photo(
        session, current_user, public_id,
        id_list(data, "face_pupils", nullable=True), id_list(data, "tagged"), text(data, "alt_text", required=False, limit=1000),
    )
    photo_review.review_photo(session, current_user, public_id, regions=areas, faces_checked=checked, now=runtime().clock())
    consent = photo_consent(get_school(session), photos.photo_trip(session, photo), photo)
    session.commit()
    return jsonify({"photo": photo_json(photo), "problems": problems_json(consent.problems), "blur": sorted(consent.blur)})


@bp.delete("/photos/<public_id>")
@roles(Role.TRIP_LEAD)
def delete_photo(public_id: str) -> Response:
    photo = photos.cancel_photo(db_session(), runtime().spool, current_user, public_id, runtime().clock())
    db_session().commit()
    return jsonify({"photo": photo_json(photo)})


def _networks(trip: Trip) -> list[str]:
    """Where the trip's posts go now, as the phone names them."""
    found = trip_destinations(db_session(), runtime().settings.publisher, trip)
    return [d.label for d in found if d.connected]


@bp.post("/caption-check")
@roles(Role.TRIP_LEAD)
def caption_check() -> Response:
    data = body()
    rt = runtime()
    described = alt_texts(data)  # one per photo
    result = posts.check_caption_for(
        db_session(), current_user, integer(data, "trip_id", low=1), text(data, "caption", required=False), id_list(data, "tagged"),
        described,
        now=rt.clock(), grace_days=rt.settings.trip_grace_days,
    )
    trip = db_session().get(Trip, integer(data, "trip_id", low=1))  # the check above refused any other trip
    cost = post_cost(rt.settings, result.text, len(described), trip)
    counts = caption_counts(db_session(), result.text, trip, main_label(rt.settings.publisher)) if trip else []
    return jsonify({
        "text": result.text, "weighted_length": result.weighted_length,
        "lengths": [{"network": c.network, "length": c.length, "limit": c.limit} for c in counts],
        "problems": problems_json(result.problems), "warnings": problems_json(result.warnings),
        "cost": cost and {"network": cost.network, "dollars": cost.dollars, "warning": cost.warning},
    })


@bp.post("/posts")
@roles(Role.TRIP_LEAD)
def create_post() -> Reply:
    data = body()
    when = data.get("when", "now")
    if when not in ("now", "later", "after_trip"):
        return _refused(ServiceError("Choose when to post: now, later, or after the trip."))
    request_ = posts.PostRequest(
        key=idempotency_key(data), trip_id=integer(data, "trip_id", low=1), photo_ids=tuple(str_list(data, "photo_ids")),
        caption=text(data, "caption"), when=when, minutes=integer(data, "minutes", default=0, high=7 * 24 * 60),
        urgent_reason=text(data, "urgent_reason", required=False, limit=500),
    )
    rt = runtime()
    try:
        post, replayed = _after_a_race(lambda: posts.create_post(
            db_session(), current_user, request_, rt.clock(), grace_days=rt.settings.trip_grace_days))
    except posts.ChecksFailedError:
        db_session().commit()  # keep the audit record of which rules were broken; nothing else changed
        raise
    db_session().commit()
    if not replayed and post.state is PostState.QUEUED:
        queue().enqueue_publish(post.id)
    db_session().refresh(post)
    tz = get_school(db_session()).timezone
    return jsonify({"post": post_json(post, tz, rt.clock()), "replayed": replayed}), 200 if replayed else 201


@bp.get("/trips/<int:trip_id>/posts")
@roles(Role.TRIP_LEAD)
def list_posts(trip_id: int) -> Response:
    session = db_session()
    found = posts.trip_posts(session, current_user, trip_id)
    tz, now = get_school(session).timezone, runtime().clock()
    return jsonify({"posts": [post_json(p, tz, now) for p in found]})


@bp.delete("/posts/<public_id>")
@roles(Role.TRIP_LEAD)
def cancel_post(public_id: str) -> Response:
    post = posts.cancel_post(db_session(), current_user, public_id)
    db_session().commit()
    return jsonify({"post": post_json(post, get_school(db_session()).timezone, runtime().clock())})
