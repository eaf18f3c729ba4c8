"""The school's settings page, for senior leaders."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ...models import WEEKDAYS, Role
from ...services.errors import ValidationError
from ...services.school.settings import SchoolInput, get_school, timezone_choices, update_school
from ..core.access import roles
from ..core.database import db_session
from ..core.forms_util import show_errors
from ..forms.admin import DAY_NAMES, SchoolForm, school_form_class

bp = Blueprint("school", __name__, url_prefix="/school")


@bp.route("/", methods=["GET", "POST"])
@roles(Role.ADMIN)
def edit() -> Response | str:
    session = db_session()
    school = get_school(session)
    form = school_form_class()(obj=school)
    form.timezone.choices = timezone_choices()
    if not form.is_submitted():
        budget = school.x_monthly_budget_cents
        form.x_monthly_budget.data = None if budget is None else Decimal(budget) / 100
        for i, day in enumerate(WEEKDAYS):
            span = school.hours_for(i)
            getattr(form, f"{day}_start").data = span[0] if span else None
            getattr(form, f"{day}_end").data = span[1] if span else None
    if form.validate_on_submit():
        try:
            update_school(session, current_user, _input(form))
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            session.commit()
            flash("The school's settings are saved.", "success")
            return redirect(url_for("school.edit"))
    return render_template("school/edit.html", form=form, days=DAY_NAMES)


def _input(form: SchoolForm) -> SchoolInput:
    hours = {day: (getattr(form, f"{day}_start").data, getattr(form, f"{day}_end").data) for day in WEEKDAYS}
    return SchoolInput(
        name=form.name.data or "",
        timezone=form.timezone.data or "",
        hours=hours,
        required_hashtags=form.required_hashtags.data or "",
        first_names_allowed=bool(form.first_names_allowed.data),
        allowed_handles=form.allowed_handles.data or "",
        banned_words=form.banned_words.data or "",
        allow_blurred_without_consent=bool(form.allow_blurred_without_consent.data),
        retention_hours=form.retention_hours.data or 24,
        require_two_factor=bool(form.require_two_factor.data),
        guard_staff_surnames=bool(form.guard_staff_surnames.data),
        x_monthly_budget_cents=None if form.x_monthly_budget.data is None else int(form.x_monthly_budget.data * 100),
    )
