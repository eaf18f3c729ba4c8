"""Who may reach which route. Every view declares its audience; undeclared views are refused.

The check runs once, in a ``before_request`` hook, so a route cannot forget it: a view
without ``@public`` or ``@roles(...)`` answers 403 to everyone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, request
from flask_login import current_user

from ...models import Role
from .errors import wants_json
from .extensions import login_manager

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC = "public"
ATTR = "tripposter_access"


def public(view: F) -> F:
    """Anyone may call this view, signed in or not (login page, manifest, service worker)."""
    setattr(view, ATTR, PUBLIC)
    return view


def roles(*allowed: Role) -> Callable[[F], F]:
    """Only signed-in users holding one of ``allowed`` (senior leaders hold every role)."""

    def mark(view: F) -> F:
        setattr(view, ATTR, frozenset(allowed))
        return view

    return mark


def signed_in(view: F) -> F:
    """Any signed-in user, whatever their role (own password, sign out)."""
    setattr(view, ATTR, frozenset(Role))
    return view


def access_of(app: Flask, endpoint: str) -> str | frozenset[Role] | None:
    """The declared audience of ``endpoint``; None when the view declares nothing."""
    if endpoint == "static":
        return PUBLIC
    view = app.view_functions.get(endpoint)
    return getattr(view, ATTR, None)


def enforce_access() -> Any:
    """``before_request`` hook: 401/redirect for anonymous users, 403 for the wrong role."""
    if request.endpoint is None:
        return None  # 404 or 405: werkzeug answers before any view runs
    audience = access_of(current_app, request.endpoint)
    if audience == PUBLIC:
        return None
    if not current_user.is_authenticated:
        if wants_json():
            abort(401)  # the phone page keeps its queue and asks for the password again
        return login_manager.unauthorized()
    if audience is None or not current_user.has_role(*audience):
        abort(403)
    return None
