"""The trip lead's posting pages, server-rendered: they work before (and without) any JavaScript.

Upload a photo, tag its faces, make a post, follow it out (a senior leader's decisions page is
``decisions``, on this blueprint). The phone's PWA enhances these same pages.
"""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response

from ...models import Photo, PhotoState, PostState, Role, Trip
from ...services.errors import NotFoundError, ServiceError
from ...services.networks.costs import price_note
from ...services.posting import photo_review, photos, posts
from ..core.access import roles
from ..core.database import db_session, queue, runtime
from ..forms.post import PostForm, TagForm, UploadForm, new_key
from . import post_views as views
from .uploads import UploadRefusedError, photo_bytes

bp = Blueprint("post", __name__, url_prefix="/post")


def _trip(trip_id: int) -> Trip:
    """A trip the user may post from today; otherwise 404, or back to the list with the reason."""
    try:
        return photos.posting_trip(db_session(), current_user, trip_id, runtime().clock())
    except NotFoundError:
        abort(404)
    except ServiceError as exc:  # the trip is not running today
        flash(exc.user_message, "error")
        abort(redirect(url_for("post.index")))


def _photo(public_id: str) -> Photo:
    try:
        return photos.own_photo(db_session(), current_user, public_id)
    except NotFoundError:
        abort(404)


def _trip_page(
    trip: Trip, form: PostForm | None = None, problems: list[str] | None = None, upload_error: str = ""
) -> str:
    form = form or PostForm(formdata=None)
    form.key.data = new_key()  # each rendering is a new post; a double tap of it is the same one
    upload = UploadForm(formdata=None, key=new_key())
    context = views.trip_page(db_session(), current_user, trip, runtime().clock(), runtime().settings.publisher)
    return render_template(
        "post/trip.html", form=form, upload=upload, problems=problems or [], upload_error=upload_error,
        price_note=price_note(runtime().settings, trip), **context
    )


@bp.route("/")
@roles(Role.TRIP_LEAD)
def index() -> Response | str:
    trips = views.running_trips(db_session(), current_user, runtime().clock())
    if len(trips) == 1:
        return redirect(url_for("post.trip", trip_id=trips[0].id))
    return render_template("post/index.html", trips=trips)


@bp.route("/trips/<int:trip_id>")
@roles(Role.TRIP_LEAD)
def trip(trip_id: int) -> str:
    return _trip_page(_trip(trip_id))


@bp.route("/trips/<int:trip_id>/photos", methods=["POST"])
@roles(Role.TRIP_LEAD)
def upload(trip_id: int) -> Response | tuple[str, int]:
    session, rt, form = db_session(), runtime(), UploadForm()
    found = _trip(trip_id)
    try:
        received = photos.receive_photo(
            session, rt.spool, current_user, trip_id, form.key.data or "", photo_bytes(),
            now=rt.clock(), limits=rt.limits, detector=rt.detector_factory(),
        )
    except UploadRefusedError as exc:
        return _trip_page(found, upload_error=exc.user_message), 400
    except NotFoundError:
        abort(404)
    except photos.PhotoRefusedError as exc:
        session.commit()  # keeps the record that the refused upload was destroyed
        return _trip_page(found, upload_error=exc.user_message), 422
    except ServiceError as exc:
        return _trip_page(found, upload_error=exc.user_message), 422
    session.commit()
    return redirect(url_for("post.tag", public_id=received.photo.public_id))


@bp.route("/photos/<public_id>/preview.jpg")
@roles(Role.TRIP_LEAD)
def preview(public_id: str) -> Response:
    photo = _photo(public_id)
    if photo.spool_name is None or photo.wrapped_key is None:
        abort(404)  # already destroyed
    response = make_response(runtime().spool.read(photo.spool_name, photo.wrapped_key))
    response.mimetype = "image/jpeg"
    # The unblurred picture: never kept by the browser, a proxy or the service worker.
    response.headers["Cache-Control"] = "no-store, private"
    return response


@bp.route("/photos/<public_id>/posting.jpg")
@roles(Role.TRIP_LEAD)
def posting(public_id: str) -> Response:
    """The photo exactly as it would be posted now: faces and hand-drawn areas blurred."""
    rt = runtime()
    try:
        data = photo_review.preview_image(db_session(), rt.spool, current_user, public_id, rt.limits)
    except NotFoundError:
        abort(404)
    response = make_response(data)
    response.mimetype = "image/jpeg"
    response.headers["Cache-Control"] = "no-store, private"
    return response


@bp.route("/photos/<public_id>", methods=["GET", "POST"])
@roles(Role.TRIP_LEAD)
def tag(public_id: str) -> Response | tuple[str, int]:
    session, photo = db_session(), _photo(public_id)
    trip = photos.photo_trip(session, photo)
    if photo.state is not PhotoState.READY:
        flash("This photo can no longer be changed: it is already on its way or destroyed.", "error")
        return redirect(url_for("post.trip", trip_id=trip.id))
    form = TagForm(faces=photo.face_pupils, tagged=photo.tagged, alt_text=photo.alt_text,
                   regions=json.dumps(photo.regions or []), faces_checked=photo.faces_checked_at is not None)
    form.prepare(len(photo.faces), views.face_choices(trip), views.pupil_choices(trip))
    if form.validate_on_submit():
        try:
            photos.tag_photo(session, current_user, public_id, form.face_pupils(), form.tagged.data, form.alt_text.data)
            photo_review.review_photo(session, current_user, public_id, regions=[] if request.form.get("clear_regions") else form.region_list(),
                                      faces_checked=bool(form.faces_checked.data), now=runtime().clock())
        except ServiceError as exc:
            flash(exc.user_message, "error")
        else:
            session.commit()
            flash("Saved who is in the photo and its description.", "success")
            now = runtime().clock()
            for message in [*views.consent_problems(session, photo, trip), *views.alt_text_problems(session, current_user, photo, trip, now)]:
                flash(f"This photo cannot be posted as it is: {message}", "error")
            # "Save and show the preview" comes back here, to the picture as it will now be posted.
            again = request.form.get("then") == "preview"
            return redirect(url_for("post.tag", public_id=public_id) if again else url_for("post.trip", trip_id=trip.id))
    pupils = views.pupils_by_id(trip)
    page = render_template("post/tag.html", form=form, photo=photo, trip=trip, boxes=views.face_boxes(photo, pupils),
                           pupils=pupils, faces_shown=request.args.get("view") == "faces",
                           version=photo_review.preview_version(photo))
    return page, 422 if request.method == "POST" else 200  # shown again after a POST: it was refused


@bp.route("/photos/<public_id>/delete", methods=["POST"])
@roles(Role.TRIP_LEAD)
def delete_photo(public_id: str) -> Response:
    session, rt = db_session(), runtime()
    trip_id = _photo(public_id).trip_id
    try:
        photos.cancel_photo(session, rt.spool, current_user, public_id, rt.clock())
    except ServiceError as exc:
        flash(exc.user_message, "error")
    else:
        session.commit()
        flash("The photo is deleted: every copy on this server is destroyed.", "success")
    return redirect(url_for("post.trip", trip_id=trip_id))


@bp.route("/trips/<int:trip_id>/posts", methods=["POST"])
@roles(Role.TRIP_LEAD)
def create(trip_id: int) -> Response | tuple[str, int]:
    session, now, form = db_session(), runtime().clock(), PostForm()
    found = _trip(trip_id)
    if not form.validate_on_submit():
        return _trip_page(found, form, [e for errors in form.errors.values() for e in errors]), 422
    wanted = posts.PostRequest(
        key=form.key.data, trip_id=trip_id, photo_ids=tuple(form.photo_ids.data), caption=form.caption.data or "",
        when=form.when.data, minutes=form.minutes.data or 0, urgent_reason=form.urgent_reason.data or "",
    )
    try:
        post, _replayed = posts.create_post(session, current_user, wanted, now)
    except posts.ChecksFailedError as exc:
        session.commit()  # keep the audit record of which rules were broken; nothing else changed
        return _trip_page(found, form, [p.message for p in exc.problems]), 422
    except ServiceError as exc:
        return _trip_page(found, form, [exc.user_message]), 422
    session.commit()
    if post.state is PostState.QUEUED:
        queue().enqueue_publish(post.id)
        flash("Queued: it will go out in a minute.", "success")
    else:
        flash(f"Scheduled for {views.when_text(session, post, now)}.", "success")
    return redirect(url_for("post.trip", trip_id=trip_id))


@bp.route("/posts/<public_id>/cancel", methods=["POST"])
@roles(Role.TRIP_LEAD)
def cancel(public_id: str) -> Response:
    session = db_session()
    try:
        post = posts.cancel_post(session, current_user, public_id)
    except NotFoundError:
        abort(404)
    except ServiceError as exc:
        flash(exc.user_message, "error")
        return redirect(request.referrer or url_for("post.index"))
    session.commit()
    flash("Taken back: nothing was posted, and its photos are back in your list.", "success")
    return redirect(url_for("post.trip", trip_id=post.trip_id))
