"""Flask is imported only by the web layer, the app factory and the CLI (DESIGN.md)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "tripposter"
ALLOWED = {"web", "cli.py", "__init__.py"}
FLASKY = ("flask", "flask_login", "flask_wtf", "flask_limiter", "werkzeug", "wtforms")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _below_web() -> list[Path]:
    files = []
    for path in PACKAGE.rglob("*.py"):
        top = path.relative_to(PACKAGE).parts[0]
        if top not in ALLOWED:
            files.append(path)
    return files


def test_no_flask_below_the_web_layer() -> None:
    files = _below_web()
    assert len(files) > 10
    offenders = {str(p.relative_to(PACKAGE)): sorted(_imports(p) & set(FLASKY)) for p in files}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_pipeline_has_no_database_or_network() -> None:
    for path in (PACKAGE / "pipeline").rglob("*.py"):
        assert not _imports(path) & {"sqlalchemy", "requests", "tweepy", "urllib3", "socket"}, path


def test_the_check_would_catch_an_offender(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from flask import current_app\nimport werkzeug.utils\n")
    assert _imports(bad) & set(FLASKY) == {"flask", "werkzeug"}
