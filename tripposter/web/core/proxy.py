"""Which X-Forwarded-* headers to believe: those of the configured number of proxies, or none.

Behind a proxy, the client's address (the per-address sign-in throttle) and whether it came over
TLS (HSTS, Secure cookies) are in X-Forwarded-For/-Proto. Without a proxy, a client could write
those headers itself, so they are removed before the app sees the request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class DropForwarded:
    """WSGI middleware: forget every X-Forwarded-* header (after ProxyFix has used the trusted ones)."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        for key in [k for k in environ if k.startswith("HTTP_X_FORWARDED_")]:
            del environ[key]
        return self.app(environ, start_response)


def trust_proxies(app: Flask, count: int) -> None:
    """Believe the last ``count`` proxies' forwarded address, scheme, host and port; nothing else."""
    wsgi: Any = DropForwarded(app.wsgi_app)
    if count > 0:
        wsgi = ProxyFix(wsgi, x_for=count, x_proto=count, x_host=count, x_port=count)
    app.wsgi_app = wsgi  # type: ignore[method-assign]
