"""Runs last (see conftest): after the whole suite, no spool any test used holds a file."""

from __future__ import annotations

from tests.conftest import SPOOLS


def test_every_spool_is_empty_after_the_suite() -> None:
    leftovers = [str(path) for spool in SPOOLS if spool.exists() for path in spool.iterdir()]
    assert leftovers == []
