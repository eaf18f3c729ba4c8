"""One path for user-facing errors: an HTML page, or JSON for the phone page's API calls."""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .database import db_session

MESSAGES = {
    400: "The request could not be understood. Go back, check the form and try again.",
    401: "Please sign in to continue.",
    403: "Your account is not allowed to open this page. Ask a senior leader if you need access.",
    404: "This page does not exist, or it is not one you can see.",
    405: "That action is not available here.",
    413: "That upload is too large. Photos may be up to {limit} MB: try a smaller one.",
    429: "Too many attempts. Wait a minute, then try again.",
    500: "Something went wrong on our side. Nothing was posted. Try again in a minute.",
}


def wants_json() -> bool:
    """The phone page's API calls get JSON errors; browsers get pages."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def render_error(code: int, message: str | None = None) -> tuple[Response | str, int]:
    text = message or MESSAGES.get(code, MESSAGES[500])
    if code == 413:
        text = text.format(limit=current_app.config["TRIPPOSTER_SETTINGS"].max_upload_bytes // (1024 * 1024))
    if wants_json():
        return jsonify({"error": {"status": code, "message": text}}), code
    template = f"errors/{code}.html" if code in MESSAGES else "errors/500.html"
    return render_template(template, code=code, message=text), code


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(_exc: CSRFError) -> tuple[Response | str, int]:
        # Flask-WTF's own wording ("The CSRF token is missing.") means nothing to a teacher.
        return render_error(400, "This page was open too long or in another window. Reload it and try again.")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> tuple[Response | str, int]:
        code = exc.code or 500
        # A message we wrote ourselves (abort(400, "...")) is shown; werkzeug's defaults are not.
        custom = exc.description if exc.description != type(exc).description else None
        return render_error(code, custom)

    @app.errorhandler(Exception)
    def _crash(exc: Exception) -> tuple[Response | str, int]:
        db_session().rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(InternalServerError.code)
