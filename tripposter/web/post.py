"""The teacher's posting pages, server-rendered"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("post", __name__, url_prefix=" they work before (and without) any JavaScript.:/post")
