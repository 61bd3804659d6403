"""The public surface: names, docstrings and the examples in them."""

from __future__ import annotations

import doctest
import enum
import importlib
import importlib.util
import inspect
import io
import pathlib
import pkgutil
import re
import types
from collections.abc import Iterator

import pytest

import gensup
from gensup.reports import Started
from gensup.testing import Recorder

PUBLIC = [
    "DEFAULTS",
    "NO_KEY",
    "TIMEOUT",
    "AutoShutdown",
    "Backoff",
    "Call",
    "ChildAlreadyPresent",
    "ChildAlreadyStarted",
    "ChildCounts",
    "ChildInfo",
    "ChildKind",
    "ChildNotFound",
    "ChildRestarting",
    "ChildRunning",
    "ChildSpec",
    "ChildState",
    "ChildStats",
    "Clock",
    "Crash",
    "DeadLetter",
    "Driver",
    "Emit",
    "Explanation",
    "GensupError",
    "InvalidCommand",
    "InvalidSpec",
    "InvalidSpecType",
    "Link",
    "Listener",
    "MonotonicClock",
    "Observer",
    "PendingCall",
    "PendingRequest",
    "Placement",
    "PlacementLost",
    "Process",
    "RecordError",
    "ReentrantCall",
    "Ref",
    "RemoteError",
    "ReplayError",
    "ReplyNotReady",
    "RequestFailed",
    "Restart",
    "Sleep",
    "StartFailed",
    "Strategy",
    "Supervisor",
    "SupervisorGaveUp",
    "TooManyDeliveries",
    "Tree",
    "TreeStatistics",
    "TreeStopped",
    "VirtualClock",
    "WaitFor",
    "WhoAmI",
    "Worker",
    "WorkerFunc",
    "WorkerGen",
    "WorkerWhy",
    "aio",
    "call",
    "emit",
    "ref",
    "render",
    "reports",
    "sleep",
    "start",
    "testing",
    "waitfor",
    "whoami",
]

#: Public modules that need an optional dependency: not in gensup.__all__ (importing
#: gensup never imports them), but public once imported, as ``gensup.ray``.
OPTIONAL = {"ray": "ray"}


def optional_modules() -> list[types.ModuleType]:
    """The optional public modules whose dependency is installed here."""
    found = []
    for name, dependency in OPTIONAL.items():
        if importlib.util.find_spec(dependency) is not None:
            found.append(importlib.import_module(f"gensup.{name}"))
    return found


PUBLIC_MODULES = [
    gensup,
    *(
        getattr(gensup, n)
        for n in gensup.__all__
        if isinstance(getattr(gensup, n), types.ModuleType)
    ),
    *optional_modules(),
]

SRC = pathlib.Path(gensup.__file__).parent


def all_modules() -> list[types.ModuleType]:
    """gensup and every module in it, private ones included."""
    names = [info.name for info in pkgutil.walk_packages(gensup.__path__, "gensup.")]
    missing = {f"gensup.{name}" for name in OPTIONAL} - {m.__name__ for m in optional_modules()}
    return [
        gensup,
        *(importlib.import_module(name) for name in sorted(names) if name not in missing),
    ]


def public_names() -> Iterator[tuple[str, object]]:
    """(qualified name, object) for every name in the __all__ of each public module."""
    for module in PUBLIC_MODULES:
        for name in module.__all__:
            yield f"{module.__name__}.{name}", getattr(module, name)


def documented_by_comment(name: str) -> bool:
    """Whether a module-level assignment of `name` is preceded by a `#:` doc comment."""
    assignment = re.compile(rf"^{re.escape(name)}\s*(:[^=]*)?=")
    for path in SRC.rglob("*.py"):
        lines = path.read_text(encoding="utf-8").splitlines()
        for index, line in enumerate(lines):
            if assignment.match(line) and index and lines[index - 1].startswith("#:"):
                return True
    return False


def own_doc(obj: object) -> str | None:
    if isinstance(obj, type):
        return obj.__dict__.get("__doc__")
    return getattr(obj, "__doc__", None)


class TestAll:
    def test_exact_and_sorted(self) -> None:
        """gensup.__all__ is exactly the public names below, in sorted order as ruff sorts it."""
        assert gensup.__all__ == PUBLIC
        assert sorted(PUBLIC, key=lambda n: (not n.isupper(), not n[0].isupper(), n)) == PUBLIC

    def test_every_name_exists(self) -> None:
        """Every name in __all__ of every public module can be imported from it."""
        for qualified, obj in public_names():
            assert obj is not None, qualified

    def test_dir_shows_public_names_only(self) -> None:
        """dir(gensup) lists no public-looking name that is not in __all__ (no `annotations`),
        but the optional modules once imported."""
        public = [name for name in dir(gensup) if not name.startswith("_") and name not in OPTIONAL]
        assert public == sorted(PUBLIC)

    def test_star_import(self) -> None:
        """from gensup import * gives exactly __all__."""
        namespace: dict[str, object] = {}
        exec("from gensup import *", namespace)
        assert sorted(set(namespace) - {"__builtins__"}) == sorted(PUBLIC)

    def test_classes_show_their_public_home(self) -> None:
        """Classes from private modules present themselves as gensup.X."""
        for name in gensup.__all__:
            obj = getattr(gensup, name)
            if isinstance(obj, type):
                assert not obj.__module__.startswith("gensup._"), name
        assert repr(gensup.InvalidSpec) == "<class 'gensup.InvalidSpec'>"


class TestDocstrings:
    @pytest.mark.parametrize("module", PUBLIC_MODULES, ids=lambda m: m.__name__)
    def test_public_modules(self, module: types.ModuleType) -> None:
        """Every public module has a docstring."""
        assert (module.__doc__ or "").strip()

    @pytest.mark.parametrize(
        ("qualified", "obj"), list(public_names()), ids=lambda v: v if isinstance(v, str) else ""
    )
    def test_public_names(self, qualified: str, obj: object) -> None:
        """Every public class, function and module has its own docstring; every public value
        and type alias a `#:` doc comment."""
        if isinstance(obj, (type, types.FunctionType, types.ModuleType)):
            assert (own_doc(obj) or "").strip(), qualified
        else:
            assert documented_by_comment(qualified.rsplit(".", 1)[1]), qualified

    def test_public_methods(self) -> None:
        """Every public method and property of every public class has a docstring."""
        missing = []
        for qualified, obj in public_names():
            if not isinstance(obj, type) or issubclass(obj, enum.Enum):
                continue
            for attr, member in vars(obj).items():
                if attr.startswith("_"):
                    continue
                if isinstance(member, (staticmethod, classmethod)):
                    member = member.__func__
                if (
                    isinstance(member, (types.FunctionType, property))
                    and not (member.__doc__ or "").strip()
                ):
                    missing.append(f"{qualified}.{attr}")
        assert missing == []


class TestRecorder:
    def test_starts_empty_with_no_arguments(self) -> None:
        """A Recorder takes no arguments, and each has its own list of reports."""
        assert inspect.signature(Recorder).parameters == {}
        first, second = Recorder(), Recorder()
        first(Started("root"))
        assert first.reports == [Started("root")]
        assert second.reports == []


class _GensupFinder(doctest.DocTestFinder):
    """Finds the examples of everything defined in gensup, wherever it is re-exported.

    The stock finder skips a class whose __module__ differs from the module it
    searches, and the public classes present themselves as gensup.X while their
    methods live in gensup._core and the like: without this, their examples
    would never run.
    """

    def _from_module(self, module: object, obj: object) -> bool:
        if inspect.isfunction(obj):
            return str(obj.__globals__.get("__name__", "")).startswith("gensup")
        owner = getattr(obj, "__module__", None)
        if isinstance(obj, property):
            owner = getattr(obj.fget, "__module__", None)
        return isinstance(owner, str) and owner.startswith("gensup")


def doctests() -> list[doctest.DocTest]:
    """Every docstring example in gensup, once each, named by its public home if it has one.

    gensup is searched first, then the public modules, then the private ones;
    a docstring found again through another module is the same docstring.
    """
    finder = _GensupFinder()
    found: dict[str, doctest.DocTest] = {}
    modules = sorted(all_modules(), key=lambda m: (m is not gensup, "._" in m.__name__, m.__name__))
    for module in modules:
        for test in finder.find(module):
            if test.examples and test.docstring is not None:
                found.setdefault(test.docstring, test)
    return sorted(found.values(), key=lambda test: test.name)


DOCTESTS = doctests()


class TestDoctests:
    def test_found(self) -> None:
        """The examples of the package, its classes' methods and its public modules are found."""
        names = {test.name for test in DOCTESTS}
        assert {
            "gensup",
            "gensup.Tree",
            "gensup.Tree.signal",
            "gensup.reports",
            "gensup.testing",
        } <= names

    @pytest.mark.parametrize("test", DOCTESTS, ids=lambda t: t.name)
    def test_example(self, test: doctest.DocTest) -> None:
        """The example in this docstring runs and prints what it shows."""
        out = io.StringIO()
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        result = runner.run(test, out=out.write)
        assert result.failed == 0, out.getvalue()
        assert result.attempted > 0
