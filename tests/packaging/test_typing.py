"""The public API is annotated: every name ``activelens`` exports, and every public method of its classes (those it
inherits from activelens's own classes included), has a type for each parameter and a return type; type checkers
see the same names the lazy ``__getattr__`` serves. ``make test`` runs mypy on the bodies (pyproject's [tool.mypy])."""
from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import activelens

INIT = Path(activelens.__file__)


def _missing_annotations(func) -> list[str]:
    sig = inspect.signature(func)
    missing = [p.name for p in sig.parameters.values()
               if p.annotation is inspect.Parameter.empty and p.name not in ("self", "cls")]
    if sig.return_annotation is inspect.Signature.empty and func.__name__ != "__init__":
        missing.append("return")
    return missing


def _public_functions(obj):
    if not inspect.isclass(obj):
        yield obj.__name__, obj
        return
    for klass in obj.__mro__:
        if not klass.__module__.startswith("activelens"):
            continue
        for name, member in vars(klass).items():
            if name.startswith("_") and name != "__init__":
                continue
            if isinstance(member, property):
                yield from ((f"{klass.__name__}.{name}", f) for f in (member.fget, member.fset) if f is not None)
            elif isinstance(member, (classmethod, staticmethod)):
                yield f"{klass.__name__}.{name}", member.__func__
            elif inspect.isfunction(member) and not dataclass_generated(klass, name):
                yield f"{klass.__name__}.{name}", member


def dataclass_generated(klass, name: str) -> bool:
    return hasattr(klass, "__dataclass_fields__") and name in ("__init__", "__repr__", "__eq__")


@pytest.mark.parametrize("name", sorted(set(activelens.__all__) - {"__version__"}))
def test_public_name_is_annotated(name):
    obj = getattr(activelens, name)
    if inspect.isclass(obj) and issubclass(obj, BaseException):
        return   # exceptions: the message is their one argument
    gaps = {where: missing for where, func in _public_functions(obj) if (missing := _missing_annotations(func))}
    assert not gaps, f"{name}: unannotated {gaps}"


def test_type_checkers_see_every_lazy_name():
    """The ``if TYPE_CHECKING:`` imports in ``activelens/__init__.py`` name each public name from the module the
    lazy ``__getattr__`` imports it from."""
    tree = ast.parse(INIT.read_text())
    block = next(n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING")
    seen = {alias.name: node.module for node in block.body if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert seen == activelens._LAZY
