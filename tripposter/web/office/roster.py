"""The consent roster: list, import with a preview, and edit one pupil by hand."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ...models import Pupil, Role
from ...services.school import roster
from ...services.school.roster import RosterImportError
from ..core.access import roles
from ..core.database import db_session
from ..forms.office import ConfirmImportForm, ConsentForm, ImportForm, consent_choice, consent_value

bp = Blueprint("roster", __name__, url_prefix="/roster")


@bp.route("/")
@roles(Role.OFFICE)
def index() -> str:
    class_name = request.args.get("class") or None
    pupils = roster.list_pupils(db_session(), class_name)
    return render_template(
        "roster/index.html", pupils=pupils, classes=roster.class_names(db_session()), selected=class_name
    )


@bp.route("/import", methods=["GET", "POST"])
@roles(Role.OFFICE)
def upload() -> str:
    form = ImportForm()
    if form.validate_on_submit():
        data = form.file.data.read()
        try:
            preview = roster.preview_import(db_session(), data)
        except RosterImportError as exc:
            form.file.errors = [exc.user_message]
        else:
            confirm = ConfirmImportForm(csv_text=roster.decode(data) if preview.ok else "")
            return render_template("roster/preview.html", preview=preview, confirm=confirm)
    return render_template("roster/import.html", form=form, guide=roster.IMPORT_GUIDE)


@bp.route("/import/confirm", methods=["POST"])
@roles(Role.OFFICE)
def confirm() -> Response | str:
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400, "The import form expired. Choose the file again.")
    try:
        data = (form.csv_text.data or "").encode("utf-8")
        preview = roster.apply_import(db_session(), current_user, data, request.form.get("plan") or None)
    except RosterImportError as exc:
        flash(exc.user_message, "error")
        return redirect(url_for("roster.upload"))
    db_session().commit()
    flash(
        f"Roster imported: {len(preview.new)} new pupils, {len(preview.changed)} updated, "
        f"{preview.unchanged} unchanged.",
        "success",
    )
    return redirect(url_for("roster.index"))


@bp.route("/<int:pupil_id>", methods=["GET", "POST"])
@roles(Role.OFFICE)
def edit(pupil_id: int) -> Response | str:
    pupil = db_session().get(Pupil, pupil_id)
    if pupil is None:
        abort(404)
    form = ConsentForm(
        photo_consent=consent_choice(pupil.photo_consent), first_name_consent=consent_choice(pupil.first_name_consent)
    )
    if form.validate_on_submit():
        roster.update_consent(
            db_session(),
            current_user,
            pupil.id,
            consent_value(form.photo_consent.data),
            consent_value(form.first_name_consent.data),
        )
        db_session().commit()
        flash(f"Consent saved for {pupil.full_name}.", "success")
        return redirect(url_for("roster.index", **({"class": pupil.class_name} if pupil.class_name else {})))
    return render_template("roster/edit.html", pupil=pupil, form=form)
