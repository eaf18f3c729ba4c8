"""Staff accounts, managed by senior leaders."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ...models import Role, User
from ...services.errors import ServiceError, ValidationError
from ...services.people import accounts, passkeys, sessions, two_factor
from ..core.access import roles
from ..core.database import db_session
from ..core.forms_util import show_errors
from ..forms.admin import ActionForm, UserForm
from ..signin import sessions as signin

bp = Blueprint("users", __name__, url_prefix="/users")


def _user(user_id: int) -> User:
    user = db_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/")
@roles(Role.ADMIN)
def index() -> str:
    users = list(db_session().scalars(select(User).order_by(User.is_active.desc(), User.display_name)))
    return render_template("users/index.html", users=users, passkeys=passkeys.counts(db_session()), action=ActionForm())


@bp.route("/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def create() -> Response | str:
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                db_session(),
                current_user,
                email=form.email.data or "",
                display_name=form.display_name.data or "",
                role=Role(form.role.data),
                password=form.password.data or "",
            )
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            db_session().commit()
            flash(f"{user.display_name} can now sign in as {user.role.label.lower()}.", "success")
            return redirect(url_for("users.index"))
    return render_template("users/new.html", form=form)


@bp.route("/<int:user_id>/active", methods=["POST"])
@roles(Role.ADMIN)
def toggle_active(user_id: int) -> Response:
    user = _user(user_id)
    if ActionForm().validate_on_submit():
        try:
            accounts.set_active(db_session(), current_user, user, not user.is_active)
        except ServiceError as exc:
            flash(exc.user_message, "error")
        else:
            db_session().commit()
            state = "enabled" if user.is_active else "disabled, and signed out everywhere"
            flash(f"{user.display_name}'s account is {state}.", "success")
    return redirect(url_for("users.index"))


@bp.route("/<int:user_id>/reset-password", methods=["POST"])
@roles(Role.ADMIN)
def reset_password(user_id: int) -> Response | str:
    user = _user(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    password = accounts.reset_password(db_session(), current_user, user)
    db_session().commit()
    # Shown once, on this page only: it is never stored in plain text or flashed into the session.
    return render_template("users/reset_done.html", user=user, password=password)


@bp.post("/<int:user_id>/end-sessions")
@roles(Role.ADMIN)
def end_sessions(user_id: int) -> Response:
    """Sign someone out on every device at once: the first step when a phone is lost."""
    user = _user(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    sessions.end_sessions(db_session(), current_user, user)
    db_session().commit()
    if user.id == current_user.id:
        signin.end()
        flash("You have been signed out on every device, this one too.", "success")
        return redirect(url_for("auth.login"))
    flash(f"{user.display_name} has been signed out on every device.", "success")
    return redirect(url_for("users.index"))


@bp.post("/<int:user_id>/reset-two-factor")
@roles(Role.ADMIN)
def reset_two_factor(user_id: int) -> Response:
    """Clear someone's two-step sign-in so they can set it up again on a new phone."""
    user = _user(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    two_factor.reset(db_session(), current_user, user)
    db_session().commit()
    flash(f"{user.display_name}'s two-step sign-in has been reset. They sign in with their password and can set it up again on their new phone.", "success")
    return redirect(url_for("users.index"))


@bp.post("/<int:user_id>/remove-passkeys")
@roles(Role.ADMIN)
def remove_passkeys(user_id: int) -> Response:
    """Remove every passkey someone holds, so a lost phone's passkey signs no one in."""
    user = _user(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    count = passkeys.remove_all(db_session(), current_user, user)
    db_session().commit()
    if count:
        flash(f"{user.display_name}'s {count} passkey(s) removed: they sign no one in any more. "
              "They can add a new one under My sign-in once signed in with their password.", "success")
    else:
        flash(f"{user.display_name} had no passkeys.", "success")
    return redirect(url_for("users.index"))
