"""Build the Flask app: settings, extensions, the access check, blueprints, error pages."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask, Response
from flask_login import AnonymousUserMixin
from flask_talisman import Talisman

from ..config import Settings
from ..instance import secure_instance
from ..models import Role
from .core.access import enforce_access
from .core.converters import IdConverter
from .core.database import db_session, init_database
from .core.errors import register_error_handlers
from .core.extensions import csrf, limiter, login_manager
from .core.proxy import trust_proxies
from .phone.uploads import SpoolingRequest
from .signin.sessions import enforce_enrolment, enforce_lifetime, load_user

ROOT = Path(__file__).resolve().parent.parent.parent
# No inline script or style anywhere (the QR code is inline SVG with attributes only).
CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "connect-src": "'self'",
    "manifest-src": "'self'",
    "worker-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
PERMISSIONS = {"geolocation": "()", "microphone": "()", "browsing-topics": "()"}


class Anonymous(AnonymousUserMixin):
    def has_role(self, *_roles: object) -> bool:
        return False


def build_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(
        "tripposter",
        instance_path=str(settings.instance_path),
        static_folder=str(ROOT / "static"),
        template_folder=str(ROOT / "templates"),
    )
    # Uploads stream into the encrypted spool, never into a plaintext temporary file.
    app.request_class = SpoolingRequest
    app.config.update(
        TRIPPOSTER_SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        TESTING=settings.testing,
        # One photo plus the multipart envelope around it.
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + 64 * 1024,
        # Room for a school-sized roster travelling back with its import confirmation.
        MAX_FORM_MEMORY_SIZE=4 * 1024 * 1024,
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="tripposter_session",
        # The session cookie is a browser-session cookie; its real limits are checked against the
        # user_session table on every request (web/signin/sessions.py).
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.absolute_timeout_minutes),
        # Remember-me is never offered or set; should anything ever set it, it is short and locked down.
        REMEMBER_COOKIE_DURATION=timedelta(seconds=0),
        REMEMBER_COOKIE_SECURE=True,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Strict",
        WTF_CSRF_TIME_LIMIT=12 * 3600,
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_uri,
        RATELIMIT_HEADERS_ENABLED=True,
    )
    # Before any blueprint adds its rules: every <int:...> in a URL is bounded like an id column.
    app.url_map.converters["int"] = IdConverter
    secure_instance(settings)  # before SQLite creates a file there
    init_database(app, settings)
    _init_jobs(app, settings)
    trust_proxies(app, settings.proxy_count)
    _init_headers(app, settings)
    # A session past its time limits ends before anything looks at who is signed in.
    app.before_request(enforce_lifetime)
    # The access check runs before CSRF, so an anonymous visitor is sent to sign in, not told of tokens.
    app.before_request(enforce_access)
    app.before_request(enforce_enrolment)
    csrf.init_app(app)
    limiter.init_app(app)
    _init_login(app)
    _register_blueprints(app)
    register_error_handlers(app)
    app.after_request(_no_store_pages)
    app.jinja_env.globals["Role"] = Role
    # No commands are attached here: the CLI (cli.py) builds the app, as Flask's FlaskGroup does.
    return app


def _init_jobs(app: Flask, settings: Settings) -> None:
    from ..compose import build_queue
    from .core.database import session_factory

    queue = build_queue(settings, session_factory(app))
    app.extensions["tripposter.runtime"] = queue.runtime
    app.extensions["tripposter.queue"] = queue


def _init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    # No address or browser binding: a phone changes address at every mast. A session lives in the
    # user_session table instead, and ends there (web/signin/sessions.py).
    login_manager.session_protection = None
    login_manager.anonymous_user = Anonymous
    login_manager.user_loader(load_user)


def _register_blueprints(app: Flask) -> None:
    from . import home
    from .office import account, channels, roster, school, trips, users
    from .phone import api, decisions, post, pwa, signin_api
    from .records import audit, logs, outbox
    from .signin import auth, security

    # signin_api mounts itself inside the API blueprint when imported (above): /api/signin/...
    # decisions adds the senior leader's decisions page to the post blueprint the same way.

    for module in (account, api, audit, auth, channels, home, logs, outbox, post, pwa, roster, school, security,
                   trips, users):
        app.register_blueprint(module.bp)


def _init_headers(app: Flask, settings: Settings) -> None:
    """Security headers on every response, by Flask-Talisman.

    HSTS is sent only on requests that arrived over TLS (directly, or via a trusted proxy), so
    `make run` on plain http keeps working; https is forced only when configured.
    """
    Talisman(
        app,
        force_https=settings.force_https,
        strict_transport_security=True,
        strict_transport_security_include_subdomains=False,
        content_security_policy=CSP,
        frame_options="DENY",
        referrer_policy="same-origin",
        permissions_policy=PERMISSIONS,
        session_cookie_secure=settings.cookie_secure,
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        x_content_type_options=True,
    )


def _no_store_pages(response: Response) -> Response:
    # Pages can hold names and trip details: never kept in a shared or back-button cache.
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response
