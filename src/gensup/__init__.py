"""gensup: Erlang/OTP-style supervision trees for Python generator workers.

Workers are generator functions that block on events
(``event, n = yield waitfor("TICK")``); supervisors start them, route events
to them and restart them by OTP's rules.

Example:
    >>> import gensup
    >>> from gensup import Supervisor, Worker, waitfor
    >>> def process(n):
    ...     for i in range(1, n + 1):
    ...         event, howmany = yield waitfor("TICK")
    >>> spec = Supervisor("root", [Worker("p1", process, args=(3,), restart="temporary")])
    >>> with gensup.start(spec) as tree:
    ...     [tree.signal("TICK", j) for j in (1, 2, 3, 4)]
    [1, 1, 1, 0]
"""

from __future__ import annotations

from . import render, reports, testing
from ._backoff import Backoff
from ._calls import Driver, PendingCall
from ._clock import Clock, MonotonicClock, VirtualClock
from ._commands import (
    NO_KEY,
    TIMEOUT,
    Call,
    Emit,
    Ref,
    Sleep,
    WaitFor,
    WhoAmI,
    call,
    emit,
    ref,
    sleep,
    waitfor,
    whoami,
)
from ._core import Observer
from ._errors import (
    ChildAlreadyPresent,
    ChildAlreadyStarted,
    ChildNotFound,
    ChildRestarting,
    ChildRunning,
    GensupError,
    InvalidCommand,
    InvalidSpec,
    InvalidSpecType,
    PlacementLost,
    RecordError,
    ReentrantCall,
    RemoteError,
    ReplayError,
    ReplyNotReady,
    RequestFailed,
    StartFailed,
    SupervisorGaveUp,
    TooManyDeliveries,
    TreeStopped,
)
from ._explain import Explanation, WorkerWhy
from ._placement import Link, Placement
from ._process import Process
from ._records import ChildCounts, ChildInfo, ChildKind, ChildState
from ._requests import Listener, PendingRequest
from ._spec import (
    DEFAULTS,
    AutoShutdown,
    ChildSpec,
    Restart,
    Strategy,
    Supervisor,
    Worker,
    WorkerFunc,
    WorkerGen,
)
from ._stats import ChildStats, Crash, DeadLetter, TreeStatistics
from ._tree import Tree, start

__all__ = [
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

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # gensup.aio is imported when first asked for: a program without the async
    # driver does not import anyio, and pytest's anyio plugin can still load
    # first where a test process imports gensup.
    # gensup.ray likewise, and it needs the optional extra gensup[ray].
    if name in ("aio", "ray"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _fix_module_names() -> None:
    # Show the public home of each name in reprs and tracebacks
    # (gensup.InvalidSpec, not gensup._errors.InvalidSpec), as trio does.
    for name in __all__:
        obj = globals().get(name)
        if isinstance(obj, type) and obj.__module__.startswith("gensup._"):
            obj.__module__ = __name__


_fix_module_names()
# `from __future__ import annotations` binds `annotations` here too; it is no
# name of gensup's (dir(gensup) shows public names only).
del _fix_module_names, annotations
