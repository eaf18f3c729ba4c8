"""Settings: environment variables, the instance folder, and the generated secret key."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tripposter.config import Settings, SettingsError


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path: Path) -> None:
    env = {"TRIPPOSTER_INSTANCE_PATH": str(tmp_path)}
    first = Settings.from_env(env)
    second = Settings.from_env(env)
    assert len(first.secret_key) >= 40 and first.secret_key == second.secret_key
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_environment_overrides(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "TRIPPOSTER_INSTANCE_PATH": str(tmp_path),
            "TRIPPOSTER_SECRET_KEY": "from-env",
            "DATABASE_URL": "postgresql+psycopg://localhost/test",
            "TRIPPOSTER_MAX_UPLOAD_BYTES": "1000",
            "TRIPPOSTER_COOKIE_SECURE": "false",
        }
    )
    assert settings.secret_key == "from-env"
    assert settings.database_url.startswith("postgresql")
    assert settings.max_upload_bytes == 1000 and settings.cookie_secure is False
    assert not (tmp_path / "secret_key").exists()


def test_default_database_lives_in_the_instance_folder(tmp_path: Path) -> None:
    settings = Settings.from_env({"TRIPPOSTER_INSTANCE_PATH": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'tripposter.sqlite3'}"


@pytest.mark.parametrize(("name", "value"), [("MAX_UPLOAD_BYTES", "lots"), ("COOKIE_SECURE", "maybe")])
def test_malformed_values_are_named(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"TRIPPOSTER_{name}"):
        Settings.from_env({"TRIPPOSTER_INSTANCE_PATH": str(tmp_path), f"TRIPPOSTER_{name}": value})


def test_app_sets_upload_cap_and_cookie_flags(app) -> None:  # type: ignore[no-untyped-def]
    assert app.config["MAX_CONTENT_LENGTH"] >= 25 * 1024 * 1024
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SECRET_KEY"] and app.config["SECRET_KEY"] != "dev"


def test_oversized_upload_gets_413(client) -> None:  # type: ignore[no-untyped-def]
    body = b"x" * (26 * 1024 * 1024)
    response = client.post("/auth/login", data=body, content_type="application/octet-stream")
    assert response.status_code == 413
