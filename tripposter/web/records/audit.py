"""The audit log, for senior leaders: a filtered page, newest first, and the same view as CSV or JSON Lines."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, abort, render_template, request, stream_with_context
from flask_login import current_user
from werkzeug.wrappers import Response

from ...models import Role
from ...services.audit import log as audit_log
from ...services.audit.log import AuditFilter
from ...services.errors import ValidationError
from ...services.school.settings import get_school
from ..core.access import roles
from ..core.database import db_session, runtime
from ..core.forms_util import show_errors
from ..forms.audit import AuditFilterForm

bp = Blueprint("audit", __name__, url_prefix="/audit")
FORMATS = {"csv": ("text/csv; charset=utf-8", audit_log.csv_lines), "jsonl": ("application/x-ndjson", audit_log.jsonl_lines)}


def _form() -> tuple[AuditFilterForm, AuditFilter | None]:
    """The filters from the address; None when one of them is wrong (its message is on the form)."""
    form = AuditFilterForm(formdata=request.args)
    form.prepare(*audit_log.choices(db_session()))
    if not form.checked():
        return form, None
    filters = AuditFilter(
        since=form.since.data, until=form.until.data, category=form.category.data or "",
        action=(form.action.data or "").strip(), actor=form.actor.data or "",
        trip_id=int(form.trip.data) if form.trip.data else None,
    )
    try:
        filters.check()
    except ValidationError as exc:
        show_errors(form, exc)
        return form, None
    return form, filters


@bp.get("/")
@roles(Role.ADMIN)
def index() -> str:
    form, filters = _form()
    before = request.args.get("before", type=int)
    page = None
    tz = get_school(db_session()).timezone
    if filters is not None:
        page = audit_log.query_page(db_session(), filters, tz, before=before)
    # The same filters, for the export links and the next page (without the page position).
    args = {k: v for k, v in request.args.items() if k != "before" and v}
    return render_template("audit/index.html", form=form, page=page, args=args, before=before,
                           trips=form.trip_names(), tz=tz)


@bp.get("/export.<fmt>")
@roles(Role.ADMIN)
def export(fmt: str) -> Response:
    if fmt not in FORMATS:
        abort(404)
    _, filters = _form()
    if filters is None:
        abort(400, "One of the filters is wrong. Go back to the audit log, correct it and export again.")
    session = db_session()
    audit_log.record_export(session, current_user, filters, fmt)
    session.commit()  # the export is itself on the record before a byte of it leaves
    tz = get_school(session).timezone
    mimetype, render = FORMATS[fmt]

    def body() -> Iterator[str]:
        yield from render(audit_log.iter_rows(session, filters, tz))

    response = Response(stream_with_context(body()), content_type=mimetype)
    stamp = runtime().clock().strftime("%Y%m%d-%H%M")
    response.headers["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response
