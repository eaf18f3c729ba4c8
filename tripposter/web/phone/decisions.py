"""A senior leader's decisions page: posts X cannot account for, held posts, and network copies.

Routes on the ``post`` blueprint (``/post/decisions``), so their endpoint names are ``post.*``;
imported by the app factory before the blueprint is registered.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ...models import PostState, PublicationState, Role
from ...services.errors import ServiceError
from ...services.posting import publication_decisions, recovery
from ..core.access import roles
from ..core.database import db_session, queue, runtime
from ..forms.post import DecisionForm, NetworkDecisionForm
from . import post_views as views
from .post import bp


@bp.route("/decisions")
@roles(Role.ADMIN)
def decisions() -> str:
    session, now = db_session(), runtime().clock()
    copies = publication_decisions.waiting_copies(session, now)
    return render_template("post/decisions.html", rows=views.decision_rows(session, now), copies=copies,
                           form=DecisionForm(formdata=None),
                           refused_days=publication_decisions.REFUSED_SHOWN_FOR.days)


@bp.route("/decisions/<public_id>", methods=["POST"])
@roles(Role.ADMIN)
def decide(public_id: str) -> Response:
    session, form = db_session(), DecisionForm()
    if not form.validate_on_submit():
        abort(400, "Choose one of the three buttons.")
    try:
        post = recovery.resolve_unknown(runtime(), session, current_user, public_id, form.decision.data)
    except ServiceError as exc:
        flash(exc.user_message, "error")
        return redirect(url_for("post.decisions"))
    session.commit()
    if post.state is PostState.QUEUED:
        queue().enqueue_publish(post.id)
    flash(DECIDED[form.decision.data], "success")
    return redirect(url_for("post.decisions"))


@bp.route("/decisions/networks/<int:publication_id>", methods=["POST"])
@roles(Role.ADMIN)
def decide_network(publication_id: int) -> Response:
    session, form = db_session(), NetworkDecisionForm()
    if not form.validate_on_submit():
        abort(400, "Choose one of the buttons.")
    try:
        copy = publication_decisions.decide_copy(runtime(), session, current_user, publication_id,
                                                 form.decision.data, form.url.data or "")
    except ServiceError as exc:
        flash(exc.user_message, "error")
        return redirect(url_for("post.decisions"))
    session.commit()
    if copy.state is PublicationState.PENDING:
        queue().enqueue_finish(copy.post_id)  # the tick would send it within a minute anyway
    flash(NETWORK_DECIDED[form.decision.data], "success")
    return redirect(url_for("post.decisions"))


DECIDED = {
    "posted": "Recorded as posted. Its photos are destroyed.",
    "resend": "It will be sent again in a minute.",
    "cancel": "Cancelled. Its photos are destroyed and nothing more will be sent.",
}
NETWORK_DECIDED = {
    "posted": "Recorded as posted there. Once every network is settled, the post's photos are destroyed.",
    "resend": "It will be sent there again in a minute (or as soon as that network is reconnected, if it is paused).",
    "cancel": "It will not be sent there. Once every network is settled, the post's photos are destroyed.",
}
