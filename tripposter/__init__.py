"""tripposter: post school-trip photos with consent enforced and every local copy destroyed."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from .config import Settings


def create_app(settings: Settings | None = None) -> Flask:
    """The app factory. ``wsgi.py`` is the only place it runs at import time."""
    from .web.app import build_app

    return build_app(settings)
