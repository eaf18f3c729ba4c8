"""The walk in services/posting/walk.py is a true map: each step is a real function, and the calls it
says happen inside another step really do (read from the source, so a step moved out of the path fails)."""

from __future__ import annotations

import ast
import inspect
import sys
from collections.abc import Callable

import pytest

from tripposter.services.posting.walk import WALK


def _calls(function: Callable[..., object]) -> set[str]:
    """Names ``function`` calls, following the private and public helpers of its own module."""
    module = sys.modules[function.__module__]
    seen: set[str] = set()
    todo = [function.__name__]
    called: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        helper = getattr(module, name, None)
        if not (inspect.isfunction(helper) and helper.__module__ == module.__name__):
            continue
        for node in ast.walk(ast.parse(inspect.getsource(helper))):
            if isinstance(node, ast.Call):
                callee = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                called.add(callee)
                todo.append(callee)
    return called


def _step(name: str) -> Callable[..., object]:
    return next(step.function for step in WALK if step.name == name)


def test_every_step_is_a_real_function_of_tripposter_named_once() -> None:
    names = [step.name for step in WALK]
    assert len(names) == len(set(names)) >= 15
    for step in WALK:
        assert callable(step.function) and step.function.__module__.startswith("tripposter."), step.name
        assert step.does.endswith("."), step.name


@pytest.mark.parametrize(
    ("outer", "inner"),
    [
        ("receive", "scrub"),
        ("claim and publish", "check consent"),
        ("claim and publish", "name guard again"),
        ("claim and publish", "build"),
        ("claim and publish", "lease"),
        ("claim and publish", "record"),
        ("claim and publish", "destroy"),
        ("claim and publish", "channels"),
        ("channels", "channel claim"),
        ("channels", "destroy"),
        ("destroy", "deletion record"),
    ],
)
def test_a_step_said_to_run_inside_another_is_called_by_it(outer: str, inner: str) -> None:
    assert _step(inner).__name__ in _calls(_step(outer))


def test_the_call_reader_would_notice_a_step_that_is_not_called() -> None:
    assert _step("sweep").__name__ not in _calls(_step("claim and publish"))
