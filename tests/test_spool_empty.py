"""Runs last (see conftest): after the whole suite, no spool any test used holds a file."""

from __future__ import annotations

import pytest

from tests.conftest import SPOOLS


@pytest.mark.scaled_out
def test_every_spool_is_empty_after_the_suite() -> None:
    leftovers = [str(path) for spool in SPOOLS if spool.exists() for path in spool.iterdir()]
    assert leftovers == []
