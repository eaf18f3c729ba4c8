"""Service tests use the lifecycle fixtures from tests/lifecycle.py (loaded by tests/conftest.py)."""
