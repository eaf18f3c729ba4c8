"""URL converters that keep impossible ids out of the database."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

# The largest id a 32-bit INTEGER column holds (PostgreSQL's ``integer``). A larger number in a URL
# would make the database raise instead of finding nothing, so it is simply not a route: 404.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` limited to what an id column can hold."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)
