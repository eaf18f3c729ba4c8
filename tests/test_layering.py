"""The layers of docs/architecture.md hold: imports run downward only, no cycles, Flask only in the web layer.

The same holds one level in: the packages inside ``services`` and inside ``web`` have floors of their own.

The imports are read from the source (every ``import``, including those inside functions), so a
lazy import counts as an arrow just as a top-level one does.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tripposter"
ALLOWED = {"web", "cli.py", "__init__.py"}
FLASKY = ("flask", "flask_login", "flask_wtf", "flask_limiter", "werkzeug", "wtforms")

# Each top-level module or package of tripposter/, by floor (docs/architecture.md). A unit may
# import only units on lower floors: not sideways (pipeline and publishers stay independent), never up.
FLOORS: dict[str, int] = {
    "config": 0, "errors": 0, "db": 0, "models": 0, "spool_stream": 0,
    "pipeline": 1, "publishers": 1, "spool": 1, "instance": 1,
    "runtime": 2,
    "services": 3,
    "jobs": 4, "commands": 4,
    "compose": 5,
    "web": 6,
    "__init__": 7,  # create_app, the app factory
    "cli": 8,
}  # fmt: skip
# Inside services/ and web/, each package (or shared module) by floor. The same rule: only strictly
# down, so packages on one floor stay independent (deletion and networks; office, phone and records).
INNER_FLOORS: dict[str, dict[str, int]] = {
    "services": {
        "__init__": 0, "errors": 0, "spreadsheet": 0,  # shared by every package
        "audit": 1,  # written to by all, imports none of them
        "people": 2,
        "school": 3,
        "deletion": 4, "networks": 4,
        "posting": 5,  # the photo's walk: may use every package below
    },
    "web": {
        "core": 0, "forms": 0,  # plumbing and WTForms classes, shared by every package
        "signin": 1,
        "office": 2, "phone": 2, "records": 2,
        "home": 3,  # the start page: what each role can do from here
        "app": 4,  # the app factory registers every blueprint
    },
}  # fmt: skip
MAX_LINES = 300
# Code that is not tests: the package, the benchmarks, the migrations and the scripts.
SOURCES = ("tripposter", "benchmarks", "migrations", "scripts", "deploy")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _unit(parts: list[str], package: Path) -> str:
    """The top-level unit a dotted name inside tripposter belongs to (``from . import create_app`` is ``__init__``)."""
    if len(parts) < 2:
        return "__init__"
    name = parts[1]
    return name if (package / name).is_dir() or (package / f"{name}.py").is_file() else "__init__"


def _targets(path: Path, node: ast.AST, package: Path) -> list[list[str]]:
    """The dotted tripposter names one import statement reaches, with relative imports resolved."""
    if isinstance(node, ast.Import):
        return [alias.name.split(".") for alias in node.names if alias.name.split(".")[0] == "tripposter"]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level == 0:
        return [node.module.split(".")] if node.module and node.module.split(".")[0] == "tripposter" else []
    here = list(path.relative_to(package.parent).with_suffix("").parts[:-1])
    base = here[: len(here) - (node.level - 1)] + (node.module.split(".") if node.module else [])
    return [base + [alias.name] for alias in node.names] if node.module is None else [base]


def unit_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Arrows between tripposter's top-level units: unit -> the other units it imports."""
    graph: dict[str, set[str]] = {}
    for path in package.rglob("*.py"):
        source = path.relative_to(package).parts[0].removesuffix(".py")
        found = graph.setdefault(source, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            found.update(_unit(t, package) for t in _targets(path, node, package))
        found.discard(source)
    return graph


def inner_graph(floor: str, package: Path = PACKAGE) -> dict[str, set[str]]:
    """Arrows between the packages (and modules) directly inside one floor, such as ``services/posting``."""
    root = package / floor
    graph: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        source = path.relative_to(root).parts[0].removesuffix(".py")
        found = graph.setdefault(source, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for parts in _targets(path, node, package):
                if len(parts) > 1 and parts[1] == floor:
                    found.add(_unit(parts[1:], root))
        found.discard(source)
    return graph


def upward(graph: dict[str, set[str]], floors: dict[str, int] = FLOORS) -> list[str]:
    """Every arrow that does not run strictly down, or that touches a unit with no floor."""
    bad = []
    for source, targets in sorted(graph.items()):
        for target in sorted(targets):
            if source not in floors or target not in floors or floors[target] >= floors[source]:
                bad.append(f"{source} -> {target}")
    return bad


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


def test_every_unit_has_a_floor_and_imports_only_below_it() -> None:
    graph = unit_graph()
    assert set(graph) == set(FLOORS), "give a new top-level module its floor in FLOORS"
    assert sum(len(targets) for targets in graph.values()) > 20  # it really read the arrows
    assert upward(graph) == []


def test_the_runtime_receives_its_publisher_and_the_app_factory_does_not_import_the_cli() -> None:
    graph = unit_graph()
    assert "services" not in graph["runtime"]
    assert "cli" not in graph["web"] and "cli" not in graph["__init__"]
    assert {"services", "runtime"} <= graph["compose"]  # the publisher is chosen here, above both


def test_no_cycles_between_top_level_units() -> None:
    graphlib.TopologicalSorter(unit_graph()).prepare()  # raises CycleError naming the loop


@pytest.mark.parametrize(
    ("source", "code", "caught"),
    [
        ("runtime.py", "from .services.networks.x_account import publisher_for\n", ["runtime -> services"]),
        ("web/app.py", "def f():\n    from ..cli import register_commands\n", ["web -> cli"]),
        ("pipeline/x.py", "from tripposter.publishers import base\n", ["pipeline -> publishers"]),
        ("newthing.py", "from . import config\n", ["newthing -> config"]),
    ],
)
def test_the_floor_check_would_catch_an_upward_arrow(tmp_path: Path, source: str, code: str, caught: list[str]) -> None:
    package = tmp_path / "tripposter"
    for name in ("services", "web", "pipeline", "publishers"):
        (package / name).mkdir(parents=True)
    for name in ("cli.py", "config.py", "runtime.py"):
        (package / name).touch()
    (package / source).write_text(code)
    graph = unit_graph(package)
    assert upward({k: v for k, v in graph.items() if v}) == caught


@pytest.mark.parametrize("floor", sorted(INNER_FLOORS))
def test_every_package_inside_a_floor_has_a_floor_and_imports_only_below_it(floor: str) -> None:
    graph = inner_graph(floor)
    assert set(graph) == set(INNER_FLOORS[floor]), f"give a new package in {floor}/ its floor in INNER_FLOORS"
    assert sum(len(targets) for targets in graph.values()) > 8  # it really read the arrows
    assert upward(graph, INNER_FLOORS[floor]) == []
    graphlib.TopologicalSorter(graph).prepare()  # and no loop between them


def test_the_named_package_rules_hold() -> None:
    services, web = inner_graph("services"), inner_graph("web")
    assert services["audit"] <= {"errors", "spreadsheet"}  # everyone writes audit events; audit imports no package
    assert not {"posting", "networks"} & services["deletion"]  # posting destroys through deletion, never back
    assert "web" not in unit_graph()["services"]  # no service, deletion included, imports the web layer
    assert {"deletion", "school", "audit"} <= services["posting"]  # the walk crosses them (it really was read)
    assert not {"office", "phone", "records"} & (web["signin"] | web["core"])


@pytest.mark.parametrize(
    ("source", "code", "caught"),
    [
        ("services/audit/events.py", "from ..posting import posts\n", ["audit -> posting"]),
        ("services/deletion/rows.py", "def f():\n    from ..networks import x_account\n", ["deletion -> networks"]),
        ("services/school/trips.py", "from tripposter.services.posting.photos import own_photo\n", ["school -> posting"]),
        ("web/core/access.py", "from ..signin import sessions\n", ["core -> signin"]),
        ("web/phone/api.py", "from ..records import logs\n", ["phone -> records"]),
    ],
)
def test_the_package_check_would_catch_an_upward_or_sideways_arrow(
    tmp_path: Path, source: str, code: str, caught: list[str]
) -> None:
    package = tmp_path / "tripposter"
    for name in ("services/audit", "services/deletion", "services/networks", "services/posting", "services/school",
                 "web/core", "web/signin", "web/records", "web/phone"):
        (package / name).mkdir(parents=True)
    (package / source).write_text(code)
    floor = source.split("/")[0]
    graph = inner_graph(floor, package)
    assert upward({k: v for k, v in graph.items() if v}, INNER_FLOORS[floor]) == caught


def test_a_cycle_is_caught() -> None:
    with pytest.raises(graphlib.CycleError):
        graphlib.TopologicalSorter({"jobs": {"services"}, "services": {"jobs"}}).prepare()


def test_no_module_over_300_lines() -> None:
    files = [path for top in SOURCES if (ROOT / top).exists() for path in (ROOT / top).rglob("*.py")]
    assert len(files) > 50
    long = {str(p.relative_to(ROOT)): n for p in files if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
