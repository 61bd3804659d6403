"""Scenarios of a running tree, one per rule of OTP's supervisor (gensup._core).

Each test drives a small tree through public calls and asserts the exact
reports, in order, as `Recorder.lines()` shows them, and what
`which_children` / `count_children` say afterwards.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Generator, Hashable
from typing import Any, ClassVar

import pytest
from loguru import logger

import gensup
from gensup import (
    ChildAlreadyPresent,
    ChildAlreadyStarted,
    ChildCounts,
    ChildInfo,
    ChildKind,
    ChildNotFound,
    ChildRestarting,
    ChildRunning,
    ChildState,
    Emit,
    GensupError,
    InvalidCommand,
    InvalidSpec,
    InvalidSpecType,
    PendingCall,
    ReentrantCall,
    Restart,
    StartFailed,
    Supervisor,
    SupervisorGaveUp,
    TooManyDeliveries,
    Tree,
    TreeStopped,
    VirtualClock,
    WaitFor,
    Worker,
    call,
    emit,
    waitfor,
)
from gensup.reports import Dropped, GaveUp, Reason, Started, Stopped
from gensup.testing import Recorder

Gen = Generator[Any, Any, None]

# ---- Workers ----


def idle() -> Gen:
    """Wait forever."""
    while True:
        yield waitfor("NEVER")


def mortal() -> Gen:
    """Wait; CRASH raises, EXIT returns.  Always signalled with to=, one worker at a time."""
    while True:
        event, *_ = yield waitfor("CRASH", "EXIT")
        if event == "CRASH":
            raise RuntimeError("crash requested")
        return


def returns_at_once() -> Gen:
    """Return before the first wait: OTP's ignore."""
    return
    yield  # pragma: no cover


def fails_at_start() -> Gen:
    """Raise before the first wait: a failed start."""
    raise ValueError("cannot start")
    yield  # pragma: no cover


def flaky_start(plan: list[bool]) -> Gen:
    """Fail to start while the plan's next entry is True, else run as `mortal`."""
    if plan and plan.pop(0):
        raise ValueError("cannot start")
    yield from mortal()


def logging_waiter(log: list[tuple[str, Any]], name: str, *events: Hashable) -> Gen:
    """Wait for `events` again and again, noting (name, what came) each time."""
    while True:
        got = yield waitfor(*events)
        log.append((name, got))


def closes_into(log: list[str], name: str) -> Gen:
    """Wait forever; note the name when closed (the finally block ran)."""
    try:
        while True:
            yield waitfor("NEVER")
    finally:
        log.append(name)


# ---- Helpers ----


def boot(spec: Supervisor, clock: VirtualClock | None = None) -> tuple[Tree, Recorder]:
    """Start `spec` on a virtual clock with a recorder; the recorder is cleared after start."""
    recorder = Recorder()
    tree = gensup.start(spec, clock=clock or VirtualClock(), observer=recorder)
    recorder.clear()
    return tree, recorder


def children(tree: Tree, sup_path: str) -> list[tuple[str, str, int]]:
    """(id, state, incarnation) of each child, in child order."""
    return [(c.id, c.state.value, c.incarnation) for c in tree.which_children(sup_path)]


def crash(tree: Tree, path: str) -> int:
    """Make the `mortal` worker at `path` raise."""
    return tree.signal("CRASH", to=path)


def exit_normally(tree: Tree, path: str) -> int:
    """Make the `mortal` worker at `path` return."""
    return tree.signal("EXIT", to=path)


def w(child_id: str, func: Callable[..., Gen] = mortal, **options: Any) -> Worker:
    """A worker spec, `mortal` unless told otherwise."""
    return Worker(child_id, func, **options)


# ---- Start and stop ----


class TestStart:
    def test_start_order(self) -> None:
        """The root starts first, then children in order, each supervisor before its children."""
        recorder = Recorder()
        spec = Supervisor("root", [w("a"), Supervisor("s", [w("b"), w("c")]), w("d")])
        with gensup.start(spec, observer=recorder) as tree:
            assert recorder.lines() == [
                "start root",
                "start root/a",
                "start root/s",
                "start root/s/b",
                "start root/s/c",
                "start root/d",
            ]
            assert tree.alive
            assert children(tree, "root") == [
                ("a", "running", 1),
                ("s", "running", 1),
                ("d", "running", 1),
            ]

    def test_stop_order(self) -> None:
        """stop closes every child last to first, depth first, each supervisor after its own."""
        tree, recorder = boot(
            Supervisor("root", [w("a"), Supervisor("s", [w("b"), w("c")]), w("d")])
        )
        tree.stop()
        assert recorder.lines() == [
            "stop root/d shutdown",
            "stop root/s/c shutdown",
            "stop root/s/b shutdown",
            "stop root/s shutdown",
            "stop root/a shutdown",
            "stop root shutdown",
        ]
        assert not tree.alive

    def test_context_manager_stops(self) -> None:
        """Leaving the with block stops the tree and runs the workers' finally blocks."""
        closed: list[str] = []
        spec = Supervisor(
            "root",
            [w("a", closes_into, args=(closed, "a")), w("b", closes_into, args=(closed, "b"))],
        )
        with gensup.start(spec) as tree:
            assert closed == []
        assert closed == ["b", "a"]
        assert not tree.alive

    def test_context_manager_stops_on_error(self) -> None:
        """An exception in the with block stops the tree and propagates unchanged."""
        closed: list[str] = []
        spec = Supervisor("root", [w("a", closes_into, args=(closed, "a"))])
        with pytest.raises(ZeroDivisionError), gensup.start(spec) as tree:
            1 / 0  # noqa: B018
        assert closed == ["a"]
        assert not tree.alive

    def test_stop_twice_is_a_no_op(self) -> None:
        """stop on a stopped tree does nothing."""
        tree, recorder = boot(Supervisor("root", [w("a")]))
        tree.stop()
        recorder.clear()
        tree.stop()
        assert recorder.lines() == []

    def test_root_start_failure(self) -> None:
        """A child that fails to start stops those started, last to first, and start raises
        StartFailed chained to the cause."""
        closed: list[str] = []
        recorder = Recorder()
        spec = Supervisor(
            "root",
            [
                w("a", closes_into, args=(closed, "a")),
                Supervisor(
                    "s", [w("b", closes_into, args=(closed, "b")), w("bad", fails_at_start)]
                ),
                w("c", closes_into, args=(closed, "c")),
            ],
        )
        with pytest.raises(StartFailed) as excinfo:
            gensup.start(spec, observer=recorder)
        assert isinstance(excinfo.value.__cause__, ValueError)
        assert str(excinfo.value.__cause__) == "cannot start"
        assert "cannot start" in str(excinfo.value)
        assert recorder.lines() == [
            "start root",
            "start root/a",
            "start root/s",
            "start root/s/b",
            "start root/s/bad",
            "stop root/s/bad crash",
            "stop root/s/b shutdown",
            "stop root/s shutdown",
            "stop root/a shutdown",
            "stop root shutdown",
        ]
        assert closed == ["b", "a"]

    def test_start_failure_report_carries_the_exception(self) -> None:
        """The failed start's Stopped report carries what the worker raised."""
        recorder = Recorder()
        with pytest.raises(StartFailed):
            gensup.start(Supervisor("root", [w("bad", fails_at_start)]), observer=recorder)
        crashed = [r for r in recorder if isinstance(r, Stopped) and r.reason is Reason.CRASH]
        assert len(crashed) == 1
        assert isinstance(crashed[0].exception, ValueError)

    def test_bad_arguments_are_a_failed_start(self) -> None:
        """A worker function called with arguments it does not take fails to start."""
        recorder = Recorder()
        with pytest.raises(StartFailed) as excinfo:
            gensup.start(Supervisor("root", [w("a", idle, args=(1, 2))]), observer=recorder)
        assert isinstance(excinfo.value.__cause__, TypeError)
        assert recorder.lines() == [
            "start root",
            "start root/a",
            "stop root/a crash",
            "stop root shutdown",
        ]

    def test_empty_root(self) -> None:
        """A root without children starts and stops."""
        tree, recorder = boot(Supervisor("root"))
        assert tree.alive
        assert tree.which_children("root") == []
        tree.stop()
        assert recorder.lines() == ["stop root shutdown"]

    def test_root_must_be_a_supervisor(self) -> None:
        """gensup.start of a worker spec is an InvalidSpec TypeError."""
        with pytest.raises(InvalidSpec) as excinfo:
            gensup.start(w("a"))  # type: ignore[arg-type]
        assert isinstance(excinfo.value, TypeError)

    @pytest.mark.parametrize(
        ("option", "value", "shown"),
        [
            ("restart", "temporary", "restart='temporary'"),
            ("restart", "transient", "restart='transient'"),
            ("significant", True, "significant=True"),
        ],
    )
    def test_root_options_that_mean_nothing_rejected(
        self, option: str, value: object, shown: str
    ) -> None:
        """A root with restart or significant set is refused by start, naming the field."""
        options: dict[str, Any] = {option: value}
        if option == "significant":
            options["restart"] = "transient"
        with pytest.raises(InvalidSpec) as excinfo:
            gensup.start(Supervisor("root", [w("a")], **options))
        assert str(excinfo.value).startswith(
            f"gensup.start: the root Supervisor 'root' has {shown}, which means nothing for a root"
        )
        assert f"leave {option!r} at its default" in str(excinfo.value)

    def test_root_restart_permanent_accepted(self) -> None:
        """A root whose restart is spelled out as permanent, the default, starts."""
        with gensup.start(Supervisor("root", [w("a")], restart="permanent")) as tree:
            assert tree.alive

    def test_which_children_info(self) -> None:
        """which_children returns ChildInfo values with kind, restart, state and incarnation."""
        tree, _ = boot(Supervisor("root", [w("a", restart="transient"), Supervisor("s")]))
        assert tree.which_children("root") == [
            ChildInfo("a", ChildKind.WORKER, Restart.TRANSIENT, ChildState.RUNNING, 1),
            ChildInfo("s", ChildKind.SUPERVISOR, Restart.PERMANENT, ChildState.RUNNING, 1),
        ]

    def test_count_children(self) -> None:
        """count_children counts specs, running children, supervisors and workers, as OTP."""
        tree, _ = boot(Supervisor("root", [w("a"), Supervisor("s"), w("b")]))
        tree.terminate_child("root/b")
        assert tree.count_children("root") == ChildCounts(
            specs=3, active=2, supervisors=1, workers=2
        )


# ---- Workers that return before their first wait: OTP's ignore ----


class TestCallableFuncs:
    """A worker's func may be any callable that returns a generator."""

    class Pump:
        """An instance with a generator __call__."""

        def __init__(self, events: list[str]) -> None:
            self.events = events

        def __call__(self, label: str) -> Gen:
            event, *args = yield waitfor("PUMP")
            self.events.append(f"{label} {event} {args}")
            yield waitfor("NEVER")

    def test_lambda_partial_and_instance(self) -> None:
        """A lambda, a functools.partial and a callable instance all start and get events."""
        events: list[str] = []
        pump = self.Pump(events)
        spec = Supervisor(
            "root",
            [
                w("lambda", lambda: pump("lambda")),
                w("partial", functools.partial(pump, "partial")),
                w("instance", pump, args=("instance",)),
            ],
        )
        with gensup.start(spec) as tree:
            assert tree.signal("PUMP", 1) == 3
        assert events == ["lambda PUMP [1]", "partial PUMP [1]", "instance PUMP [1]"]

    @pytest.mark.parametrize(
        ("func", "shown"),
        [
            (lambda: None, "None"),
            (lambda: [1, 2], "[1, 2]"),
            (lambda: iter([]), "<list_iterator object at"),
        ],
        ids=["none", "list", "iterator"],
    )
    def test_not_a_generator_is_a_failed_start(self, func: Any, shown: str) -> None:
        """A func that returns something else crashes the worker at start, naming path and value."""
        recorder = Recorder()
        with pytest.raises(StartFailed) as excinfo:
            gensup.start(Supervisor("root", [w("a", func)]), observer=recorder)
        cause = excinfo.value.__cause__
        assert isinstance(cause, gensup.InvalidSpecType)
        assert str(cause).startswith(
            f"worker 'root/a': its func {func.__qualname__} returned {shown}"
        )
        assert "not a generator" in str(cause)
        assert recorder.lines() == [
            "start root",
            "start root/a",
            "stop root/a crash",
            "stop root shutdown",
        ]

    def test_not_a_generator_on_restart_is_a_failed_restart(self) -> None:
        """A func that returns a generator, then something else, makes a failed restart."""
        made: list[int] = []

        def factory() -> Any:
            made.append(1)
            return mortal() if len(made) == 1 else "oops"

        tree, recorder = boot(Supervisor("root", [w("a", factory)], intensity=2))
        with pytest.raises(SupervisorGaveUp):
            tree.signal("CRASH", to="root/a")
        assert recorder.stops("root/a", "crash") == 3
        assert len(made) == 3

    def test_coroutine_returned_is_closed(self) -> None:
        """A coroutine returned by a plain function is closed, so no warning is left behind."""

        async def job() -> None:
            """Never awaited."""

        with pytest.raises(StartFailed, match="returned <coroutine object"):
            gensup.start(Supervisor("root", [w("a", lambda: job())]))


class TestIgnore:
    def test_permanent_kept_stopped(self) -> None:
        """A worker that returns at once is started then stopped normal, kept, not restarted."""
        recorder = Recorder()
        tree = gensup.start(
            Supervisor("root", [w("a", returns_at_once), w("b")], intensity=0), observer=recorder
        )
        assert recorder.lines() == [
            "start root",
            "start root/a",
            "stop root/a normal",
            "start root/b",
        ]
        assert tree.alive
        assert children(tree, "root") == [("a", "stopped", 1), ("b", "running", 1)]

    def test_temporary_removed(self) -> None:
        """A temporary worker that returns at once is removed."""
        tree, _ = boot(Supervisor("root", [w("a", returns_at_once, restart="temporary"), w("b")]))
        assert children(tree, "root") == [("b", "running", 1)]

    def test_not_counted(self) -> None:
        """An ignored start does not count toward the intensity."""
        tree, recorder = boot(Supervisor("root", [w("a", returns_at_once), w("b")], intensity=1))
        crash(tree, "root/b")
        assert recorder.lines() == ["stop root/b crash", "start root/b"]
        assert tree.alive

    def test_start_child_returns_normally(self) -> None:
        """start_child of such a worker returns; the spec is kept stopped (temporary: not kept)."""
        tree, recorder = boot(Supervisor("root"))
        tree.start_child("root", w("a", returns_at_once))
        tree.start_child("root", w("t", returns_at_once, restart="temporary"))
        assert recorder.lines() == [
            "start root/a",
            "stop root/a normal",
            "start root/t",
            "stop root/t normal",
        ]
        assert children(tree, "root") == [("a", "stopped", 1)]

    def test_restart_child_returns_normally(self) -> None:
        """restart_child of such a worker returns and leaves it stopped."""
        tree, recorder = boot(Supervisor("root", [w("a", returns_at_once)]))
        tree.restart_child("root/a")
        assert recorder.lines() == ["start root/a", "stop root/a normal"]
        assert children(tree, "root") == [("a", "stopped", 2)]


# ---- Restart types ----


class TestRestartTypes:
    @pytest.mark.parametrize(
        ("restart", "how", "lines", "after"),
        [
            ("permanent", "exit", ["stop root/a normal", "start root/a"], [("a", "running", 2)]),
            ("permanent", "crash", ["stop root/a crash", "start root/a"], [("a", "running", 2)]),
            ("transient", "exit", ["stop root/a normal"], [("a", "stopped", 1)]),
            ("transient", "crash", ["stop root/a crash", "start root/a"], [("a", "running", 2)]),
            ("temporary", "exit", ["stop root/a normal"], []),
            ("temporary", "crash", ["stop root/a crash"], []),
        ],
    )
    def test_after_exit(
        self, restart: str, how: str, lines: list[str], after: list[tuple[str, str, int]]
    ) -> None:
        """permanent restarts after any exit, transient only after a crash, temporary never
        and is removed."""
        tree, recorder = boot(Supervisor("root", [w("a", restart=restart), w("b")], intensity=5))
        (crash if how == "crash" else exit_normally)(tree, "root/a")
        assert recorder.lines() == lines
        assert children(tree, "root") == [*after, ("b", "running", 1)]

    def test_crash_report_carries_exception(self) -> None:
        """The Stopped report of a crash carries the exception the worker raised."""
        tree, recorder = boot(Supervisor("root", [w("a")], intensity=5))
        crash(tree, "root/a")
        stopped = recorder.reports[0]
        assert isinstance(stopped, Stopped)
        assert isinstance(stopped.exception, RuntimeError)
        assert str(stopped.exception) == "crash requested"

    def test_normal_exit_carries_no_exception(self) -> None:
        """A normal exit's Stopped report has no exception."""
        tree, recorder = boot(Supervisor("root", [w("a")], intensity=5))
        exit_normally(tree, "root/a")
        assert recorder.reports[0] == Stopped("root/a", Reason.NORMAL)
        assert recorder.reports[0].exception is None  # type: ignore[union-attr]

    def test_restart_gets_fresh_generator(self) -> None:
        """A restarted worker runs its function again from the start, with the spec's args."""
        starts: list[int] = []

        def counting(n: int) -> Gen:
            starts.append(n)
            yield from mortal()

        tree, _ = boot(Supervisor("root", [w("a", counting, args=(7,))], intensity=5))
        crash(tree, "root/a")
        exit_normally(tree, "root/a")
        assert starts == [7, 7, 7]


# ---- Intensity ----


class TestIntensity:
    def test_restart_beyond_intensity_gives_up(self) -> None:
        """Restart number intensity + 1 within the period gives up: GaveUp, children stopped
        last to first, the root stopped, and the call raises SupervisorGaveUp."""
        clock = VirtualClock()
        tree, recorder = boot(
            Supervisor("root", [w("a"), w("b"), w("c")], intensity=2, period=5), clock
        )
        crash(tree, "root/b")
        clock.advance(1)
        crash(tree, "root/b")
        clock.advance(1)
        recorder.clear()
        with pytest.raises(SupervisorGaveUp):
            crash(tree, "root/b")
        assert recorder.lines() == [
            "stop root/b crash",
            "gaveup root",
            "stop root/c shutdown",
            "stop root/a shutdown",
            "stop root shutdown",
        ]
        assert not tree.alive

    def test_exactly_period_ago_counts(self) -> None:
        """A restart exactly `period` seconds ago still counts: the next one gives up."""
        clock = VirtualClock()
        tree, recorder = boot(Supervisor("root", [w("a")], intensity=1, period=5), clock)
        crash(tree, "root/a")
        clock.advance(5)
        with pytest.raises(SupervisorGaveUp):
            crash(tree, "root/a")
        assert recorder.gave_up() == ["root"]

    def test_just_outside_period_does_not_count(self) -> None:
        """A restart more than `period` seconds ago no longer counts."""
        clock = VirtualClock()
        tree, recorder = boot(Supervisor("root", [w("a")], intensity=1, period=5), clock)
        crash(tree, "root/a")
        clock.advance(5.001)
        crash(tree, "root/a")
        clock.advance(5.001)
        crash(tree, "root/a")
        assert recorder.gave_up() == []
        assert children(tree, "root") == [("a", "running", 4)]

    def test_intensity_zero_gives_up_at_first_restart(self) -> None:
        """intensity=0: the first restart gives up."""
        tree, recorder = boot(Supervisor("root", [w("a")], intensity=0))
        with pytest.raises(SupervisorGaveUp):
            crash(tree, "root/a")
        assert recorder.lines() == ["stop root/a crash", "gaveup root", "stop root shutdown"]

    def test_exits_without_restart_do_not_count(self) -> None:
        """Transient normal exits and temporary exits never count toward the intensity."""
        tree, recorder = boot(
            Supervisor(
                "root",
                [
                    w("t", restart="transient"),
                    w("x", restart="temporary"),
                    w("y", restart="temporary"),
                ],
                intensity=0,
            )
        )
        exit_normally(tree, "root/t")
        crash(tree, "root/x")
        exit_normally(tree, "root/y")
        assert recorder.gave_up() == []
        assert tree.alive

    def test_dynamic_calls_do_not_count(self) -> None:
        """terminate_child, restart_child and start_child never count toward the intensity."""
        tree, recorder = boot(Supervisor("root", [w("a")], intensity=1))
        for _ in range(3):
            tree.terminate_child("root/a")
            tree.restart_child("root/a")
        tree.start_child("root", w("b"))
        crash(tree, "root/a")
        assert recorder.gave_up() == []
        assert children(tree, "root") == [("a", "running", 5), ("b", "running", 1)]

    def test_each_restart_counts(self) -> None:
        """Two one_for_one restarts in the window count twice: intensity 1 gives up."""
        tree, recorder = boot(Supervisor("root", [w("a"), w("b")], intensity=1))
        crash(tree, "root/a")
        with pytest.raises(SupervisorGaveUp):
            crash(tree, "root/b")
        assert recorder.gave_up() == ["root"]

    def test_gave_up_tree_refuses_calls(self) -> None:
        """After the root gave up, mutating calls raise TreeStopped and stop does nothing."""
        tree, _ = boot(Supervisor("root", [w("a")], intensity=0))
        with pytest.raises(SupervisorGaveUp):
            crash(tree, "root/a")
        with pytest.raises(TreeStopped):
            tree.signal("X")
        with pytest.raises(TreeStopped):
            tree.start_child("root", w("b"))
        tree.stop()
        assert tree.status() == {}


# ---- one_for_all and rest_for_one ----


class TestOneForAll:
    def test_stops_last_to_first_then_starts_in_order(self) -> None:
        """The others are stopped last to first, then all are started in child order."""
        tree, recorder = boot(
            Supervisor("root", [w("a"), w("b"), w("c"), w("d")], strategy="one_for_all")
        )
        crash(tree, "root/b")
        assert recorder.lines() == [
            "stop root/b crash",
            "stop root/d shutdown",
            "stop root/c shutdown",
            "stop root/a shutdown",
            "start root/a",
            "start root/b",
            "start root/c",
            "start root/d",
        ]
        assert children(tree, "root") == [
            ("a", "running", 2),
            ("b", "running", 2),
            ("c", "running", 2),
            ("d", "running", 2),
        ]

    def test_dynamic_children_restarted_last(self) -> None:
        """Children added with start_child are part of the group, after the spec's children."""
        tree, recorder = boot(Supervisor("root", [w("a"), w("b")], strategy="one_for_all"))
        tree.start_child("root", w("dyn"))
        recorder.clear()
        crash(tree, "root/a")
        assert recorder.lines() == [
            "stop root/a crash",
            "stop root/dyn shutdown",
            "stop root/b shutdown",
            "start root/a",
            "start root/b",
            "start root/dyn",
        ]

    def test_counts_once(self) -> None:
        """A restart of the whole group counts one toward the intensity."""
        tree, recorder = boot(
            Supervisor("root", [w("a"), w("b"), w("c")], strategy="one_for_all", intensity=1)
        )
        crash(tree, "root/a")
        assert recorder.gave_up() == []
        assert tree.alive

    def test_stopped_children_started_and_temporaries_removed(self) -> None:
        """Children that were not running (terminated, transient ended normally) are started;
        temporaries in the group are stopped and removed."""
        tree, recorder = boot(
            Supervisor(
                "root",
                [w("a"), w("b"), w("c"), w("d", restart="transient"), w("e", restart="temporary")],
                strategy="one_for_all",
                intensity=5,
            )
        )
        tree.terminate_child("root/c")
        exit_normally(tree, "root/d")
        recorder.clear()
        crash(tree, "root/b")
        assert recorder.lines() == [
            "stop root/b crash",
            "stop root/e shutdown",
            "stop root/a shutdown",
            "start root/a",
            "start root/b",
            "start root/c",
            "start root/d",
        ]
        assert children(tree, "root") == [
            ("a", "running", 2),
            ("b", "running", 2),
            ("c", "running", 2),
            ("d", "running", 2),
        ]

    def test_exits_without_restart_leave_the_group_alone(self) -> None:
        """A temporary that crashes or a transient that returns is not restarted, so nothing
        else is."""
        tree, recorder = boot(
            Supervisor(
                "root",
                [w("a"), w("t", restart="temporary"), w("r", restart="transient"), w("b")],
                strategy="one_for_all",
            )
        )
        crash(tree, "root/t")
        exit_normally(tree, "root/r")
        assert recorder.lines() == ["stop root/t crash", "stop root/r normal"]
        assert children(tree, "root") == [
            ("a", "running", 1),
            ("r", "stopped", 1),
            ("b", "running", 1),
        ]

    def test_two_crashes_in_one_delivery_restart_once(self) -> None:
        """Siblings that crash in one delivery are restarted together once, counted once."""

        def boom() -> Gen:
            yield waitfor("BOOM")
            raise RuntimeError("boom")

        tree, recorder = boot(
            Supervisor(
                "root", [w("a", boom), w("b", boom), w("c")], strategy="one_for_all", intensity=1
            )
        )
        assert tree.signal("BOOM") == 2
        assert recorder.lines() == [
            "stop root/a crash",
            "stop root/b crash",
            "stop root/c shutdown",
            "start root/a",
            "start root/b",
            "start root/c",
        ]
        assert tree.alive

    def test_failed_start_retries_whole_group(self) -> None:
        """A failed start in the group stops what was restarted and retries the whole group."""
        plan = [False, True]  # starts at first, fails at its first restart, then starts
        tree, recorder = boot(
            Supervisor(
                "root",
                [w("a"), w("b", flaky_start, args=(plan,)), w("c")],
                strategy="one_for_all",
                intensity=5,
            )
        )
        crash(tree, "root/b")
        assert recorder.lines() == [
            "stop root/b crash",
            "stop root/c shutdown",
            "stop root/a shutdown",
            "start root/a",
            "start root/b",
            "stop root/b crash",
            "stop root/a shutdown",
            "start root/a",
            "start root/b",
            "start root/c",
        ]
        assert children(tree, "root") == [
            ("a", "running", 3),
            ("b", "running", 3),
            ("c", "running", 2),
        ]


class TestRestForOne:
    def test_restarts_the_rest(self) -> None:
        """The failed child and those after it are stopped last to first and started in order;
        those before it are untouched."""
        tree, recorder = boot(
            Supervisor("root", [w("a"), w("b"), w("c"), w("d")], strategy="rest_for_one")
        )
        crash(tree, "root/b")
        assert recorder.lines() == [
            "stop root/b crash",
            "stop root/d shutdown",
            "stop root/c shutdown",
            "start root/b",
            "start root/c",
            "start root/d",
        ]
        assert children(tree, "root") == [
            ("a", "running", 1),
            ("b", "running", 2),
            ("c", "running", 2),
            ("d", "running", 2),
        ]

    def test_stopped_children_started_and_temporaries_removed(self) -> None:
        """Later children that were not running are started; later temporaries are removed."""
        tree, recorder = boot(
            Supervisor(
                "root",
                [w("a"), w("b"), w("c"), w("t", restart="temporary"), w("d", restart="transient")],
                strategy="rest_for_one",
                intensity=5,
            )
        )
        tree.terminate_child("root/c")
        exit_normally(tree, "root/d")
        recorder.clear()
        crash(tree, "root/b")
        assert recorder.lines() == [
            "stop root/b crash",
            "stop root/t shutdown",
            "start root/b",
            "start root/c",
            "start root/d",
        ]
        assert children(tree, "root") == [
            ("a", "running", 1),
            ("b", "running", 2),
            ("c", "running", 2),
            ("d", "running", 2),
        ]

    def test_failed_start_retries_from_the_failed_child(self) -> None:
        """A failed start in the group is retried from the child that failed, not the first."""
        plan = [False, True]
        tree, recorder = boot(
            Supervisor(
                "root",
                [w("a"), w("b"), w("c", flaky_start, args=(plan,)), w("d")],
                strategy="rest_for_one",
                intensity=5,
            )
        )
        crash(tree, "root/b")
        assert recorder.lines() == [
            "stop root/b crash",
            "stop root/d shutdown",
            "stop root/c shutdown",
            "start root/b",
            "start root/c",
            "stop root/c crash",
            "start root/c",
            "start root/d",
        ]
        assert children(tree, "root") == [
            ("a", "running", 1),
            ("b", "running", 2),
            ("c", "running", 3),
            ("d", "running", 2),
        ]


# ---- Failed restarts ----


class TestFailedRestart:
    def test_retried_until_it_starts(self) -> None:
        """A failed restart is retried at once, each retry a new start attempt."""
        plan = [False, True, True]
        tree, recorder = boot(Supervisor("root", [w("a", flaky_start, args=(plan,))], intensity=5))
        crash(tree, "root/a")
        assert recorder.lines() == [
            "stop root/a crash",
            "start root/a",
            "stop root/a crash",
            "start root/a",
            "stop root/a crash",
            "start root/a",
        ]
        assert children(tree, "root") == [("a", "running", 4)]

    def test_each_retry_counts_until_give_up(self) -> None:
        """A child that can never start again loops, each attempt counting, until give-up."""
        plan = [False] + [True] * 10
        tree, recorder = boot(
            Supervisor("root", [w("z"), w("a", flaky_start, args=(plan,))], intensity=3)
        )
        with pytest.raises(SupervisorGaveUp):
            crash(tree, "root/a")
        assert recorder.lines() == [
            "stop root/a crash",
            "start root/a",
            "stop root/a crash",
            "start root/a",
            "stop root/a crash",
            "start root/a",
            "stop root/a crash",
            "gaveup root",
            "stop root/z shutdown",
            "stop root shutdown",
        ]
        assert not tree.alive

    def test_restarting_state_between_attempts(self) -> None:
        """Between a failed restart and its retry the child's state is 'restarting', and work
        queued before the retry is done first."""
        plan = [False, True]
        seen: list[list[tuple[str, str, int]]] = []
        holder: list[Tree] = []

        def crashes_on_go(plan: list[bool]) -> Gen:
            if plan.pop(0) if plan else False:
                raise ValueError("cannot start")
            yield waitfor("GO")
            raise RuntimeError("go")

        def tells() -> Gen:
            while True:
                yield waitfor("GO")
                yield emit("LOOK")

        def looks() -> Gen:
            while True:
                yield waitfor("LOOK")
                seen.append(children(holder[0], "root"))

        tree, recorder = boot(
            Supervisor(
                "root",
                [w("a", crashes_on_go, args=(plan,)), w("b", tells), w("c", looks)],
                intensity=5,
            )
        )
        holder.append(tree)
        assert tree.signal("GO") == 2
        assert recorder.lines() == [
            "stop root/a crash",
            "start root/a",
            "stop root/a crash",
            "start root/a",
        ]
        assert seen == [[("a", "restarting", 2), ("b", "running", 1), ("c", "running", 1)]]
        assert children(tree, "root")[0] == ("a", "running", 3)

    def test_failed_supervisor_restart_retried_and_counted(self) -> None:
        """A supervisor that fails to start again is retried by its parent, each attempt
        counting, until the parent gives up."""
        plan = [False] + [True] * 10
        tree, recorder = boot(
            Supervisor(
                "root",
                [Supervisor("mid", [w("a", flaky_start, args=(plan,))], intensity=0)],
                intensity=2,
            )
        )
        with pytest.raises(SupervisorGaveUp):
            crash(tree, "root/mid/a")
        failed_attempt = [
            "start root/mid",
            "start root/mid/a",
            "stop root/mid/a crash",
            "stop root/mid shutdown",
        ]
        assert recorder.lines() == [
            "stop root/mid/a crash",
            "gaveup root/mid",
            "stop root/mid shutdown",
            *failed_attempt,
            *failed_attempt,
            "gaveup root",
            "stop root shutdown",
        ]


# ---- Give-up escalation and fresh supervisors ----


class TestEscalation:
    def test_give_up_escalates_through_two_levels(self) -> None:
        """A give-up ends the supervisor with shutdown; its parent restarts it, counting, and
        gives up in turn."""
        tree, recorder = boot(
            Supervisor(
                "root",
                [
                    w("x"),
                    Supervisor(
                        "mid",
                        [w("y"), Supervisor("inner", [w("v"), w("a")], intensity=0)],
                        intensity=0,
                    ),
                ],
                intensity=0,
            )
        )
        with pytest.raises(SupervisorGaveUp):
            crash(tree, "root/mid/inner/a")
        assert recorder.lines() == [
            "stop root/mid/inner/a crash",
            "gaveup root/mid/inner",
            "stop root/mid/inner/v shutdown",
            "stop root/mid/inner shutdown",
            "gaveup root/mid",
            "stop root/mid/y shutdown",
            "stop root/mid shutdown",
            "gaveup root",
            "stop root/x shutdown",
            "stop root shutdown",
        ]
        assert not tree.alive

    def test_exits_of_a_supervisor_that_gave_up_are_void(self) -> None:
        """Children that ended in the same delivery as the one that made their supervisor give
        up are not handled again once it is gone."""

        def boom() -> Gen:
            yield waitfor("BOOM")
            raise RuntimeError("boom")

        tree, recorder = boot(
            Supervisor(
                "root",
                [Supervisor("mid", [w("a", boom), w("b", boom), w("c")], intensity=0)],
                intensity=1,
            )
        )
        assert tree.signal("BOOM") == 2
        assert recorder.lines() == [
            "stop root/mid/a crash",
            "stop root/mid/b crash",
            "gaveup root/mid",
            "stop root/mid/c shutdown",
            "stop root/mid shutdown",
            "start root/mid",
            "start root/mid/a",
            "start root/mid/b",
            "start root/mid/c",
        ]
        assert tree.alive

    def test_permanent_supervisor_restarted_by_parent(self) -> None:
        """A permanent supervisor that gave up is restarted by its parent, counted there."""
        tree, recorder = boot(
            Supervisor("root", [Supervisor("mid", [w("a"), w("b")], intensity=0)], intensity=1)
        )
        crash(tree, "root/mid/a")
        assert recorder.lines() == [
            "stop root/mid/a crash",
            "gaveup root/mid",
            "stop root/mid/b shutdown",
            "stop root/mid shutdown",
            "start root/mid",
            "start root/mid/a",
            "start root/mid/b",
        ]
        recorder.clear()
        with pytest.raises(SupervisorGaveUp):
            crash(tree, "root/mid/b")
        assert recorder.gave_up() == ["root/mid", "root"]

    def test_transient_supervisor_kept_stopped(self) -> None:
        """A transient supervisor that gave up stays stopped, its spec kept; nothing counts."""
        tree, recorder = boot(
            Supervisor(
                "root",
                [Supervisor("mid", [w("a")], intensity=0, restart="transient"), w("b")],
                intensity=0,
            )
        )
        crash(tree, "root/mid/a")
        assert recorder.lines() == [
            "stop root/mid/a crash",
            "gaveup root/mid",
            "stop root/mid shutdown",
        ]
        assert children(tree, "root") == [("mid", "stopped", 1), ("b", "running", 1)]
        assert tree.alive

    def test_temporary_supervisor_removed(self) -> None:
        """A temporary supervisor that gave up is removed."""
        tree, _ = boot(
            Supervisor(
                "root",
                [Supervisor("mid", [w("a")], intensity=0, restart="temporary"), w("b")],
                intensity=0,
            )
        )
        crash(tree, "root/mid/a")
        assert children(tree, "root") == [("b", "running", 1)]

    def test_restarted_supervisor_is_fresh(self) -> None:
        """A restarted supervisor has only its spec's children, at incarnation 1, and an
        empty restart history."""
        clock = VirtualClock()
        tree, recorder = boot(
            Supervisor("root", [Supervisor("mid", [w("a")], intensity=1)], intensity=5), clock
        )
        tree.start_child("root/mid", w("dyn"))
        tree.start_child("root/mid", w("gone"))
        tree.terminate_child("root/mid/gone")
        crash(tree, "root/mid/a")  # mid's first restart
        crash(tree, "root/mid/a")  # mid's second: it gives up, root restarts it
        assert children(tree, "root") == [("mid", "running", 2)]
        assert children(tree, "root/mid") == [("a", "running", 1)]
        recorder.clear()
        crash(tree, "root/mid/a")  # within the same second: counts in a fresh window
        assert recorder.lines() == ["stop root/mid/a crash", "start root/mid/a"]
        assert children(tree, "root/mid") == [("a", "running", 2)]

    def test_root_auto_shutdown_does_not_raise(self) -> None:
        """A root that ends through auto_shutdown stops the tree, and the call returns."""
        tree, recorder = boot(
            Supervisor(
                "root",
                [w("a", restart="transient", significant=True), w("b")],
                auto_shutdown="any_significant",
            )
        )
        assert exit_normally(tree, "root/a") == 1
        assert recorder.lines() == [
            "stop root/a normal",
            "stop root/b shutdown",
            "stop root shutdown",
        ]
        assert not tree.alive


# ---- auto_shutdown ----


class TestAutoShutdown:
    def spec(self, policy: str, restart: str = "transient") -> Supervisor:
        return Supervisor(
            "root",
            [
                w("x"),
                Supervisor(
                    "mid",
                    [
                        w("s1", restart="transient", significant=True),
                        w("n"),
                        w("s2", restart="temporary", significant=True),
                    ],
                    auto_shutdown=policy,
                    intensity=5,
                    restart=restart,
                ),
            ],
            intensity=5,
        )

    def test_any_significant(self) -> None:
        """any_significant: the first significant child that ends for good ends the supervisor."""
        tree, recorder = boot(self.spec("any_significant"))
        exit_normally(tree, "root/mid/s1")
        assert recorder.lines() == [
            "stop root/mid/s1 normal",
            "stop root/mid/s2 shutdown",
            "stop root/mid/n shutdown",
            "stop root/mid shutdown",
        ]
        assert children(tree, "root") == [("x", "running", 1), ("mid", "stopped", 1)]

    def test_all_significant(self) -> None:
        """all_significant: only when the last significant child ends for good."""
        tree, recorder = boot(self.spec("all_significant"))
        exit_normally(tree, "root/mid/s1")
        assert recorder.lines() == ["stop root/mid/s1 normal"]
        recorder.clear()
        crash(tree, "root/mid/s2")
        assert recorder.lines() == [
            "stop root/mid/s2 crash",
            "stop root/mid/n shutdown",
            "stop root/mid shutdown",
        ]

    def test_restarted_significant_child_does_not_shut_down(self) -> None:
        """A significant child that is restarted (transient crash) does not end the supervisor."""
        tree, recorder = boot(self.spec("any_significant"))
        crash(tree, "root/mid/s1")
        assert recorder.lines() == ["stop root/mid/s1 crash", "start root/mid/s1"]

    def test_terminated_significant_child_does_not_shut_down(self) -> None:
        """A significant child stopped through terminate_child did not end on its own."""
        tree, recorder = boot(self.spec("any_significant"))
        tree.terminate_child("root/mid/s1")
        assert recorder.lines() == ["stop root/mid/s1 shutdown"]
        assert children(tree, "root") == [("x", "running", 1), ("mid", "running", 1)]

    def test_permanent_parent_restarts_the_supervisor(self) -> None:
        """A permanent supervisor that shut itself down is restarted by its parent."""
        tree, recorder = boot(self.spec("any_significant", restart="permanent"))
        exit_normally(tree, "root/mid/s1")
        assert recorder.lines()[-5:] == [
            "stop root/mid shutdown",
            "start root/mid",
            "start root/mid/s1",
            "start root/mid/n",
            "start root/mid/s2",
        ]

    def test_significant_supervisor_that_gave_up(self) -> None:
        """A significant transient supervisor that gave up ended on its own: the root shuts
        down, and the call returns."""
        tree, recorder = boot(
            Supervisor(
                "root",
                [
                    w("x"),
                    Supervisor("mid", [w("a")], intensity=0, restart="transient", significant=True),
                ],
                auto_shutdown="any_significant",
            )
        )
        assert crash(tree, "root/mid/a") == 1
        assert recorder.lines() == [
            "stop root/mid/a crash",
            "gaveup root/mid",
            "stop root/mid shutdown",
            "stop root/x shutdown",
            "stop root shutdown",
        ]
        assert not tree.alive

    def test_ignored_significant_child_does_not_shut_down(self) -> None:
        """A significant child that returns before its first wait never ran: no auto-shutdown."""
        tree, _ = boot(
            Supervisor(
                "root",
                [w("x"), w("s", returns_at_once, restart="transient", significant=True)],
                auto_shutdown="any_significant",
            )
        )
        assert tree.alive
        assert children(tree, "root") == [("x", "running", 1), ("s", "stopped", 1)]

    def test_root_all_significant(self) -> None:
        """A root with all_significant stops the tree without raising when the last one ends."""
        tree, recorder = boot(
            Supervisor(
                "root",
                [
                    w("a", restart="temporary", significant=True),
                    w("b", restart="transient", significant=True),
                ],
                auto_shutdown="all_significant",
            )
        )
        crash(tree, "root/a")
        assert tree.alive
        exit_normally(tree, "root/b")
        assert not tree.alive
        assert recorder.lines() == ["stop root/a crash", "stop root/b normal", "stop root shutdown"]


# ---- The dynamic API ----


class TestStartChild:
    def test_appends_and_starts(self) -> None:
        """start_child adds the child last and starts it (a supervisor with its children)."""
        tree, recorder = boot(Supervisor("root", [w("a")]))
        tree.start_child("root", Supervisor("s", [w("b")]))
        tree.start_child("root/s", w("c"))
        assert recorder.lines() == ["start root/s", "start root/s/b", "start root/s/c"]
        assert children(tree, "root") == [("a", "running", 1), ("s", "running", 1)]
        assert children(tree, "root/s") == [("b", "running", 1), ("c", "running", 1)]

    def test_failure_keeps_no_spec(self) -> None:
        """A failed start raises StartFailed chained to the cause and keeps no spec."""
        tree, recorder = boot(Supervisor("root", [w("a")], intensity=0))
        with pytest.raises(StartFailed) as excinfo:
            tree.start_child("root", w("bad", fails_at_start))
        assert isinstance(excinfo.value.__cause__, ValueError)
        assert recorder.lines() == ["start root/bad", "stop root/bad crash"]
        assert children(tree, "root") == [("a", "running", 1)]
        assert tree.alive

    def test_supervisor_failure_keeps_no_spec(self) -> None:
        """A supervisor whose child fails to start stops its started children and is not kept."""
        tree, recorder = boot(Supervisor("root"))
        with pytest.raises(StartFailed) as excinfo:
            tree.start_child("root", Supervisor("s", [w("ok"), w("bad", fails_at_start)]))
        assert isinstance(excinfo.value.__cause__, ValueError)
        assert recorder.lines() == [
            "start root/s",
            "start root/s/ok",
            "start root/s/bad",
            "stop root/s/bad crash",
            "stop root/s/ok shutdown",
            "stop root/s shutdown",
        ]
        assert tree.which_children("root") == []

    def test_running_id_already_started(self) -> None:
        """An id that a running child has raises ChildAlreadyStarted (also ChildAlreadyPresent)."""
        tree, recorder = boot(Supervisor("root", [w("a")]))
        with pytest.raises(ChildAlreadyStarted) as excinfo:
            tree.start_child("root", w("a", idle))
        assert isinstance(excinfo.value, ChildAlreadyPresent)
        assert isinstance(excinfo.value, ValueError)
        assert recorder.lines() == []

    def test_stopped_id_already_present(self) -> None:
        """An id that a stopped child has raises ChildAlreadyPresent, not ChildAlreadyStarted."""
        tree, _ = boot(Supervisor("root", [w("a")]))
        tree.terminate_child("root/a")
        with pytest.raises(ChildAlreadyPresent) as excinfo:
            tree.start_child("root", w("a", idle))
        assert not isinstance(excinfo.value, ChildAlreadyStarted)

    def test_unknown_supervisor(self) -> None:
        """start_child under no running supervisor raises ChildNotFound."""
        tree, _ = boot(Supervisor("root", [w("a"), Supervisor("s")]))
        tree.terminate_child("root/s")
        for path in ("root/nope", "root/a", "root/s", "other"):
            with pytest.raises(ChildNotFound):
                tree.start_child(path, w("b"))

    def test_not_a_spec_rejected(self) -> None:
        """start_child of something that is not a spec is an InvalidSpec TypeError."""
        tree, recorder = boot(Supervisor("root"))
        with pytest.raises(InvalidSpec) as excinfo:
            tree.start_child("root", idle)  # type: ignore[arg-type]
        assert isinstance(excinfo.value, TypeError)
        assert recorder.lines() == []

    def test_significant_under_never_rejected(self) -> None:
        """A significant child under a supervisor whose auto_shutdown is never is InvalidSpec."""
        tree, recorder = boot(Supervisor("root"))
        with pytest.raises(InvalidSpec):
            tree.start_child("root", w("s", restart="transient", significant=True))
        assert recorder.lines() == []
        assert tree.which_children("root") == []

    def test_delete_then_add_anew_restarts_incarnation(self) -> None:
        """A child deleted and added anew starts again at incarnation 1."""
        tree, _ = boot(Supervisor("root", [w("a")], intensity=5))
        crash(tree, "root/a")
        assert children(tree, "root") == [("a", "running", 2)]
        tree.terminate_child("root/a")
        tree.delete_child("root/a")
        tree.start_child("root", w("a"))
        assert children(tree, "root") == [("a", "running", 1)]


class TestTerminateChild:
    def test_stops_and_keeps_spec(self) -> None:
        """terminate_child stops the child without restart and keeps its spec."""
        closed: list[str] = []
        tree, recorder = boot(Supervisor("root", [w("a", closes_into, args=(closed, "a")), w("b")]))
        tree.terminate_child("root/a")
        assert recorder.lines() == ["stop root/a shutdown"]
        assert closed == ["a"]
        assert children(tree, "root") == [("a", "stopped", 1), ("b", "running", 1)]

    def test_temporary_removed(self) -> None:
        """terminate_child of a temporary child removes it."""
        tree, _ = boot(Supervisor("root", [w("a", restart="temporary"), w("b")]))
        tree.terminate_child("root/a")
        assert children(tree, "root") == [("b", "running", 1)]

    def test_stopped_child_is_a_no_op(self) -> None:
        """terminate_child of a stopped child reports nothing and changes nothing."""
        tree, recorder = boot(Supervisor("root", [w("a", restart="transient")]))
        exit_normally(tree, "root/a")
        recorder.clear()
        tree.terminate_child("root/a")
        tree.terminate_child("root/a")
        assert recorder.lines() == []
        assert children(tree, "root") == [("a", "stopped", 1)]

    def test_supervisor_subtree(self) -> None:
        """terminate_child of a supervisor stops its subtree last to first."""
        tree, recorder = boot(
            Supervisor("root", [Supervisor("s", [w("a"), Supervisor("t", [w("b")])])])
        )
        tree.terminate_child("root/s")
        assert recorder.lines() == [
            "stop root/s/t/b shutdown",
            "stop root/s/t shutdown",
            "stop root/s/a shutdown",
            "stop root/s shutdown",
        ]
        assert children(tree, "root") == [("s", "stopped", 1)]

    def test_paths_under_a_stopped_supervisor_not_found(self) -> None:
        """Paths under a supervisor that is not running name no child."""
        tree, _ = boot(Supervisor("root", [Supervisor("s", [w("a")])]))
        tree.terminate_child("root/s")
        with pytest.raises(ChildNotFound):
            tree.terminate_child("root/s/a")
        with pytest.raises(ChildNotFound):
            tree.which_children("root/s")
        with pytest.raises(ChildNotFound):
            tree.count_children("root/s")
        with pytest.raises(ChildNotFound):
            tree.signal("CRASH", to="root/s/a")

    @pytest.mark.parametrize("path", ["root/nope", "root/a/b", "other/a", "", "root"])
    def test_not_found(self, path: str) -> None:
        """A path that names no child (the root included) raises ChildNotFound, a LookupError,
        whose message names the path."""
        tree, _ = boot(Supervisor("root", [w("a")]))
        with pytest.raises(ChildNotFound) as excinfo:
            tree.terminate_child(path)
        assert isinstance(excinfo.value, LookupError)
        assert isinstance(excinfo.value, GensupError)
        assert repr(path) in str(excinfo.value)


class TestRestartChild:
    def test_restarts_a_stopped_child(self) -> None:
        """restart_child starts a stopped child again, one more incarnation."""
        tree, recorder = boot(Supervisor("root", [w("a")]))
        tree.terminate_child("root/a")
        recorder.clear()
        tree.restart_child("root/a")
        assert recorder.lines() == ["start root/a"]
        assert children(tree, "root") == [("a", "running", 2)]

    def test_running_child_refused(self) -> None:
        """restart_child and delete_child of a running child raise ChildRunning."""
        tree, recorder = boot(Supervisor("root", [w("a")]))
        with pytest.raises(ChildRunning) as excinfo:
            tree.restart_child("root/a")
        assert isinstance(excinfo.value, RuntimeError)
        with pytest.raises(ChildRunning):
            tree.delete_child("root/a")
        assert recorder.lines() == []

    def test_failure_does_not_retry_and_keeps_spec(self) -> None:
        """A failed restart_child is one attempt, not retried, not counted; the spec is kept."""
        plan = [False, True, True]
        tree, recorder = boot(Supervisor("root", [w("a", flaky_start, args=(plan,))], intensity=0))
        tree.terminate_child("root/a")
        recorder.clear()
        with pytest.raises(StartFailed) as excinfo:
            tree.restart_child("root/a")
        assert isinstance(excinfo.value.__cause__, ValueError)
        assert recorder.lines() == ["start root/a", "stop root/a crash"]
        assert children(tree, "root") == [("a", "stopped", 2)]
        assert tree.alive

    def test_not_found(self) -> None:
        """restart_child and delete_child of an unknown path raise ChildNotFound."""
        tree, _ = boot(Supervisor("root", [w("a")]))
        with pytest.raises(ChildNotFound):
            tree.restart_child("root/b")
        with pytest.raises(ChildNotFound):
            tree.delete_child("root/b")


class TestDeleteChild:
    def test_forgets_a_stopped_child(self) -> None:
        """delete_child removes a stopped child's spec, reporting nothing."""
        tree, recorder = boot(Supervisor("root", [w("a"), w("b")]))
        tree.terminate_child("root/a")
        recorder.clear()
        tree.delete_child("root/a")
        assert recorder.lines() == []
        assert children(tree, "root") == [("b", "running", 1)]
        with pytest.raises(ChildNotFound):
            tree.restart_child("root/a")


class TestChildRestarting:
    def test_is_a_runtime_error(self) -> None:
        """ChildRestarting is a GensupError and a RuntimeError."""
        assert issubclass(ChildRestarting, GensupError)
        assert issubclass(ChildRestarting, RuntimeError)


# ---- Events: delivery ----


class TestDelivery:
    def test_order_is_the_order_of_waiting(self) -> None:
        """Workers get an event in the order they began waiting for it, not in start order."""
        log: list[tuple[str, Any]] = []

        def first_then_x(log: list[tuple[str, Any]]) -> Gen:
            yield waitfor("FIRST")
            yield from logging_waiter(log, "a", "X")

        tree, _ = boot(
            Supervisor(
                "root",
                [
                    w("a", first_then_x, args=(log,)),
                    w("b", logging_waiter, args=(log, "b", "X")),
                    Supervisor("s", [w("c", logging_waiter, args=(log, "c", "X"))]),
                ],
            )
        )
        tree.signal("FIRST")
        assert tree.signal("X", 1) == 3
        assert log == [("b", ("X", 1)), ("c", ("X", 1)), ("a", ("X", 1))]

    def test_resumed_with_event_and_args(self) -> None:
        """A worker is resumed with the tuple (event, *args); signal returns how many it reached."""
        log: list[tuple[str, Any]] = []
        tree, _ = boot(Supervisor("root", [w("a", logging_waiter, args=(log, "a", "X"))]))
        assert tree.signal("X") == 1
        assert tree.signal("X", 1, "two", None) == 1
        assert log == [("a", ("X",)), ("a", ("X", 1, "two", None))]

    def test_any_hashable_event(self) -> None:
        """Events may be any hashable value."""
        log: list[tuple[str, Any]] = []
        tree, _ = boot(Supervisor("root", [w("a", logging_waiter, args=(log, "a", ("req", 7), 3))]))
        assert tree.signal(("req", 7)) == 1
        assert tree.signal(3) == 1
        assert log == [("a", (("req", 7),)), ("a", (3,))]

    def test_unhashable_event_rejected(self) -> None:
        """signal with an unhashable event raises emit's clear TypeError and the tree goes on."""
        tree, recorder = boot(Supervisor("root", [w("a", logging_waiter, args=([], "a", "X"))]))
        with pytest.raises(
            TypeError, match=r"^Tree.signal\(\): the event must be hashable \(got \['X'\]\)$"
        ):
            tree.signal(["X"])
        assert tree.alive
        assert recorder.lines() == []
        assert tree.signal("X") == 1

    def test_worker_that_waits_again_gets_only_one(self) -> None:
        """A worker that waits for the same event again is not resumed twice by one signal."""
        log: list[tuple[str, Any]] = []
        tree, _ = boot(
            Supervisor(
                "root",
                [
                    w("a", logging_waiter, args=(log, "a", "X")),
                    w("b", logging_waiter, args=(log, "b", "X")),
                ],
            )
        )
        assert tree.signal("X") == 2
        assert tree.signal("X") == 2
        assert [name for name, _ in log] == ["a", "b", "a", "b"]

    def test_edge_triggered(self) -> None:
        """A worker restarted because of a signal does not get that signal again."""
        tree, recorder = boot(Supervisor("root", [w("a")], intensity=5))
        assert tree.signal("CRASH") == 1
        assert recorder.lines() == ["stop root/a crash", "start root/a"]
        assert tree.status() == {"root/a": ("CRASH", "EXIT")}

    def test_emitted_event_not_seen_by_later_start(self) -> None:
        """An event emitted before a worker's restart does not reach the restarted worker,
        though it was queued when the worker started waiting."""
        log: list[tuple[str, Any]] = []

        def crashes_then_logs(log: list[tuple[str, Any]]) -> Gen:
            got = yield waitfor("GO", "E")
            if got[0] == "GO":
                raise RuntimeError("go")
            log.append(("b", got))

        def emits_e() -> Gen:
            while True:
                yield waitfor("GO")
                yield emit("E")

        tree, recorder = boot(
            Supervisor(
                "root", [w("b", crashes_then_logs, args=(log,)), w("a", emits_e)], intensity=5
            )
        )
        assert tree.signal("GO") == 2
        assert recorder.lines() == ["stop root/b crash", "start root/b", "dropped 'E'"]
        assert log == []
        assert tree.status() == {"root/b": ("GO", "E"), "root/a": ("GO",)}

    def test_emits_and_exits_handled_in_fifo_order(self) -> None:
        """An event emitted before a worker crashed in the same delivery is delivered before
        that worker's restart."""

        def crashes_on_go() -> Gen:
            yield waitfor("GO", "E")
            raise RuntimeError("go")

        def emits_e() -> Gen:
            while True:
                yield waitfor("GO")
                yield emit("E")

        tree, recorder = boot(
            Supervisor("root", [w("a", emits_e), w("b", crashes_on_go)], intensity=5)
        )
        assert tree.signal("GO") == 2
        assert recorder.lines() == ["stop root/b crash", "dropped 'E'", "start root/b"]

    def test_event_emitted_at_start_reaches_earlier_workers_only(self) -> None:
        """An event emitted while the tree starts reaches workers started before the emit, and
        is delivered before start returns."""
        log: list[tuple[str, Any]] = []

        def hello() -> Gen:
            yield emit("HELLO", "from b")
            yield from idle()

        tree, _ = boot(
            Supervisor(
                "root",
                [
                    w("a", logging_waiter, args=(log, "a", "HELLO")),
                    w("b", hello),
                    w("c", logging_waiter, args=(log, "c", "HELLO")),
                ],
            )
        )
        assert log == [("a", ("HELLO", "from b"))]
        assert tree.alive

    def test_give_up_during_start_raises(self) -> None:
        """If what workers emit while starting makes the root give up, start raises."""

        def boom() -> Gen:
            yield waitfor("BOOM")
            raise RuntimeError("boom")

        def trigger() -> Gen:
            yield emit("BOOM")
            yield from idle()

        recorder = Recorder()
        with pytest.raises(SupervisorGaveUp):
            gensup.start(
                Supervisor("root", [w("a", boom), w("b", trigger)], intensity=0), observer=recorder
            )
        assert recorder.lines()[-3:] == [
            "gaveup root",
            "stop root/b shutdown",
            "stop root shutdown",
        ]

    def test_start_child_runs_to_completion(self) -> None:
        """Events a child emits while start_child starts it are delivered before it returns,
        and a resulting give-up of the root raises from start_child."""

        def trigger() -> Gen:
            yield emit("CRASH", to="root/a")
            yield from idle()

        tree, recorder = boot(Supervisor("root", [w("a")], intensity=0))
        with pytest.raises(SupervisorGaveUp):
            tree.start_child("root", w("b", trigger))
        assert recorder.lines() == [
            "start root/b",
            "stop root/a crash",
            "gaveup root",
            "stop root/b shutdown",
            "stop root shutdown",
        ]
        assert not tree.alive

    def test_restart_child_runs_to_completion(self) -> None:
        """Events a child emits while restart_child starts it are delivered before it returns."""
        log: list[tuple[str, Any]] = []

        def hello() -> Gen:
            yield emit("HELLO")
            yield from idle()

        tree, _ = boot(
            Supervisor("root", [w("l", logging_waiter, args=(log, "l", "HELLO")), w("h", hello)])
        )
        tree.terminate_child("root/h")
        log.clear()
        tree.restart_child("root/h")
        assert log == [("l", ("HELLO",))]

    def test_worker_gets_its_own_event(self) -> None:
        """A worker that emits an event and then waits for it gets it: it was started before
        the emit and waits when the delivery begins."""
        log: list[tuple[str, Any]] = []

        def echo_self() -> Gen:
            yield waitfor("GO")
            yield emit("SELF", 1)
            log.append(("me", (yield waitfor("SELF"))))
            yield from idle()

        tree, recorder = boot(Supervisor("root", [w("me", echo_self)]))
        assert tree.signal("GO") == 1
        assert log == [("me", ("SELF", 1))]
        assert recorder.lines() == []


class TestRunToCompletion:
    def test_emitted_events_delivered_in_fifo_order_before_return(self) -> None:
        """Emitted events, nested ones included, are delivered first in, first out, before
        signal returns; signal counts only the workers the signal itself reached."""
        log: list[tuple[str, Any]] = []

        def emits(*events: str) -> Gen:
            while True:
                yield waitfor("GO")
                for event in events:
                    yield emit(event)

        def chains() -> Gen:
            while True:
                yield waitfor("E1")
                yield emit("E4")

        tree, _ = boot(
            Supervisor(
                "root",
                [
                    w("a", emits, args=("E1", "E2")),
                    w("b", emits, args=("E3",)),
                    w("c", chains),
                    w("d", logging_waiter, args=(log, "d", "E1", "E2", "E3", "E4")),
                ],
            )
        )
        assert tree.signal("GO") == 2
        assert [got for _, got in log] == [("E1",), ("E2",), ("E3",), ("E4",)]

    def test_emit_continues_at_once(self) -> None:
        """A worker continues right after emit: the yield gives None and the worker keeps going."""
        got: list[object] = []

        def emitter() -> Gen:
            while True:
                yield waitfor("GO")
                got.append((yield emit("OUT")))
                got.append("after")

        tree, _ = boot(Supervisor("root", [w("a", emitter)]))
        tree.signal("GO")
        assert got == [None, "after"]

    def test_crash_handled_after_the_delivery(self) -> None:
        """A worker that crashes during a delivery is restarted after the delivery is over,
        and workers waiting after it still get the event."""
        log: list[tuple[str, Any]] = []
        tree, recorder = boot(
            Supervisor(
                "root",
                [
                    w("a", logging_waiter, args=(log, "a", "CRASH")),
                    w("b"),
                    w("c", logging_waiter, args=(log, "c", "CRASH")),
                ],
            )
        )
        # b waits for ("CRASH", "EXIT") and raises on CRASH.
        assert tree.signal("CRASH") == 3
        assert [name for name, _ in log] == ["a", "c"]
        assert recorder.lines() == ["stop root/b crash", "start root/b"]

    def test_crashed_worker_never_resumed(self) -> None:
        """A worker that crashed is not resumed by events emitted later in the same call."""

        def crash_on_a() -> Gen:
            yield waitfor("A", "B")
            raise RuntimeError("a")

        def emits_b() -> Gen:
            yield waitfor("A")
            yield emit("B")
            yield from idle()

        tree, recorder = boot(
            Supervisor("root", [w("x", crash_on_a, restart="temporary"), w("y", emits_b)])
        )
        assert tree.signal("A") == 2
        assert recorder.lines() == ["stop root/x crash", "dropped 'B'"]


class TestTargets:
    def spec(self, log: list[tuple[str, Any]]) -> Supervisor:
        def lw(name: str) -> Worker:
            return w(name, logging_waiter, args=(log, name, "X"))

        return Supervisor(
            "root",
            [
                lw("a"),
                Supervisor("pool", [lw("b"), Supervisor("sub", [lw("c")])]),
                Supervisor("pool2", [lw("d")]),
                lw("e"),
            ],
        )

    def test_to_a_subtree(self) -> None:
        """to= a supervisor reaches only the waiting workers of its subtree (not 'pool2')."""
        log: list[tuple[str, Any]] = []
        tree, recorder = boot(self.spec(log))
        assert tree.signal("X", to="root/pool") == 2
        assert [name for name, _ in log] == ["b", "c"]
        assert recorder.lines() == []

    def test_to_a_worker(self) -> None:
        """to= a worker's path reaches that worker only."""
        log: list[tuple[str, Any]] = []
        tree, _ = boot(self.spec(log))
        assert tree.signal("X", to="root/pool/sub/c") == 1
        assert tree.signal("X", to="root/a") == 1
        assert [name for name, _ in log] == ["c", "a"]

    def test_to_the_root(self) -> None:
        """to= the root is the whole tree."""
        log: list[tuple[str, Any]] = []
        tree, _ = boot(self.spec(log))
        assert tree.signal("X", to="root") == 5

    def test_others_keep_waiting(self) -> None:
        """Workers outside the target keep waiting and get the next signal to them."""
        log: list[tuple[str, Any]] = []
        tree, _ = boot(self.spec(log))
        tree.signal("X", to="root/pool")
        assert tree.signal("X") == 5
        assert [name for name, _ in log] == ["b", "c", "a", "d", "e", "b", "c"]

    def test_emit_to_a_subtree(self) -> None:
        """A worker's emit(..., to=path) reaches only that subtree."""
        log: list[tuple[str, Any]] = []

        def sender() -> Gen:
            yield waitfor("GO")
            yield emit("X", "hi", to="root/pool2")
            yield from idle()

        def sender_to_worker() -> Gen:
            yield waitfor("GO")
            yield emit("X", "you", to="root/pool/sub/c")
            yield from idle()

        spec = self.spec(log)
        tree, _ = boot(
            Supervisor("root", [*spec.children, w("s", sender), w("t", sender_to_worker)])
        )
        tree.signal("GO")
        assert log == [("d", ("X", "hi")), ("c", ("X", "you"))]

    @pytest.mark.parametrize("path", ["root/nope", "root/a/x", "nope", "root/pool/", "", "root//a"])
    def test_unknown_target(self, path: str) -> None:
        """signal to a path that names no child raises ChildNotFound and delivers nothing."""
        log: list[tuple[str, Any]] = []
        tree, recorder = boot(self.spec(log))
        with pytest.raises(ChildNotFound):
            tree.signal("X", to=path)
        assert log == []
        assert recorder.lines() == []

    def test_stopped_child_with_spec_kept_gets_nothing(self) -> None:
        """A stopped child whose spec is kept is a valid target that receives nothing."""
        log: list[tuple[str, Any]] = []
        tree, recorder = boot(self.spec(log))
        tree.terminate_child("root/a")
        recorder.clear()
        assert tree.signal("X", to="root/a") == 0
        assert recorder.lines() == ["dropped 'X'"]
        assert log == []


class TestDropped:
    def test_signal_nobody_waits_for(self) -> None:
        """A signal that reaches nobody returns 0, is reported Dropped and counted."""
        tree, recorder = boot(Supervisor("root", [w("a")]))
        assert tree.dropped == 0
        assert tree.signal("NOBODY", 1, to="root/a") == 0
        assert tree.signal("NOBODY") == 0
        assert recorder.reports == [Dropped("NOBODY", (1,), "root/a"), Dropped("NOBODY", (), None)]
        assert recorder.lines() == ["dropped 'NOBODY'", "dropped 'NOBODY'"]
        assert tree.dropped == 2

    def test_emitted_event_nobody_waits_for(self) -> None:
        """An emitted event that reaches nobody is reported Dropped with its args and target."""

        def sender() -> Gen:
            yield waitfor("GO")
            yield emit("LOST", 1, 2, to="root/s")
            yield from idle()

        tree, recorder = boot(Supervisor("root", [w("s", sender)]))
        assert tree.signal("GO") == 1
        assert recorder.reports == [Dropped("LOST", (1, 2), "root/s")]
        assert tree.dropped == 1

    def test_emit_to_a_path_gone_by_delivery(self) -> None:
        """An emitted event whose target is gone when its delivery begins is Dropped."""

        def crashes_on_go() -> Gen:
            yield waitfor("GO")
            raise RuntimeError("gone")

        def sends_to_u() -> Gen:
            yield waitfor("GO")
            yield emit("X", to="root/u")
            yield from idle()

        # u gets GO first and crashes; v then emits to root/u.  u's exit, queued first,
        # removes the temporary u before X's delivery begins.
        tree, recorder = boot(
            Supervisor("root", [w("u", crashes_on_go, restart="temporary"), w("v", sends_to_u)])
        )
        assert tree.signal("GO") == 2
        assert recorder.lines() == ["stop root/u crash", "dropped 'X'"]
        assert recorder.dropped() == [Dropped("X", (), "root/u")]
        assert children(tree, "root") == [("v", "running", 1)]

    @pytest.mark.parametrize(
        ("path", "why"),
        [
            ("root/typo", "'root' has no child 'typo' (its children: 's', 'pool', 'late')"),
            ("root/pool/nope", "'root/pool' has no child 'nope' (its children: 'b')"),
            ("root/s/x", "'root/s' is a worker: it has no child 'x'"),
            ("bad", "paths start with the root's id 'root' (got 'bad')"),
            ("bad//path", "'bad//path' has an empty part"),
            ("", "'' has an empty part"),
            ("root/", "'root/' has an empty part"),
        ],
    )
    def test_emit_to_no_child_crashes_the_emitter(self, path: str, why: str) -> None:
        """An emit to a path that names no child of the tree's specs raises ChildNotFound
        at the emitting worker's yield, naming the path and the children there."""
        caught: list[BaseException] = []

        def sender() -> Gen:
            yield waitfor("GO")
            try:
                yield emit("X", to=path)
            except ChildNotFound as exc:
                caught.append(exc)
            yield emit("X", to=path)

        tree, recorder = boot(
            Supervisor("root", [w("s", sender), Supervisor("pool", [w("b")])], intensity=5)
        )
        tree.start_child("root", w("late", idle))
        tree.terminate_child("root/pool")
        recorder.clear()
        assert tree.signal("GO") == 1
        assert len(caught) == 1
        assert str(caught[0]) == (
            f"worker 'root/s' yielded emit('X', to={path!r}): no child at {path!r}: {why}"
            + ("; paths are ids joined by '/', as 'root/pool/a'" if "empty" in why else "")
        )
        assert recorder.lines() == ["stop root/s crash", "start root/s"]
        assert isinstance(recorder.reports[0].exception, ChildNotFound)  # type: ignore[union-attr]
        assert tree.dropped == 0

    @pytest.mark.parametrize("path", ["root/pool/b", "root/gone", "root/late", "root/temp"])
    def test_emit_to_a_child_that_is_not_running_is_dropped(self, path: str) -> None:
        """An emit to a child of the specs that is not running (below a stopped supervisor,
        deleted, added by start_child and stopped, or a temporary that ended) is dropped."""

        def sender() -> Gen:
            while True:
                yield waitfor("GO")
                yield emit("X", to=path)

        tree, recorder = boot(
            Supervisor(
                "root",
                [
                    w("s", sender),
                    Supervisor("pool", [w("b")]),
                    w("gone"),
                    w("temp", restart="temporary"),
                ],
            )
        )
        tree.start_child("root", w("late"))
        tree.terminate_child("root/pool")
        tree.terminate_child("root/gone")
        tree.delete_child("root/gone")
        tree.terminate_child("root/late")
        exit_normally(tree, "root/temp")
        recorder.clear()
        assert tree.signal("GO") == 1
        assert tree.signal("GO") == 1
        assert recorder.reports == [Dropped("X", (), path)] * 2
        assert children(tree, "root")[0] == ("s", "running", 1)

    def test_emit_to_a_child_added_by_start_child(self) -> None:
        """A child added with start_child is a valid emit target, and gets the event."""
        log: list[tuple[str, Any]] = []

        def sender() -> Gen:
            yield waitfor("GO")
            yield emit("X", 1, to="root/late")
            yield from idle()

        tree, _ = boot(Supervisor("root", [w("s", sender)]))
        tree.start_child("root", w("late", logging_waiter, args=(log, "late", "X")))
        assert tree.signal("GO") == 1
        assert log == [("late", ("X", 1))]


class TestWaitforSeveral:
    def test_resumed_once_by_the_first(self) -> None:
        """A worker waiting for several events is resumed once, by whichever comes first, and
        no longer waits for the others."""
        log: list[tuple[str, Any]] = []

        def either() -> Gen:
            got = yield waitfor("A", "B")
            log.append(("w", got))
            got = yield waitfor("C")
            log.append(("w", got))

        tree, recorder = boot(Supervisor("root", [w("w", either, restart="temporary")]))
        assert tree.status() == {"root/w": ("A", "B")}
        assert tree.signal("B", 2) == 1
        assert tree.status() == {"root/w": ("C",)}
        assert tree.signal("A") == 0
        assert tree.signal("B") == 0
        assert log == [("w", ("B", 2))]
        assert recorder.lines() == ["dropped 'A'", "dropped 'B'"]

    def test_both_emitted_in_one_call(self) -> None:
        """When both events come in one call the worker gets only the first; the other is
        dropped."""
        log: list[tuple[str, Any]] = []

        def either() -> Gen:
            while True:
                got = yield waitfor("A", "B")
                log.append(("w", got))
                yield waitfor("C")

        def sender() -> Gen:
            yield waitfor("GO")
            yield emit("B")
            yield emit("A")
            yield from idle()

        tree, recorder = boot(Supervisor("root", [w("w", either), w("s", sender)]))
        tree.signal("GO")
        assert log == [("w", ("B",))]
        assert recorder.lines() == ["dropped 'A'"]

    def test_waits_again_for_the_same_events(self) -> None:
        """A worker that waits for the same several events again gets each of them next time."""
        log: list[tuple[str, Any]] = []
        tree, _ = boot(Supervisor("root", [w("w", logging_waiter, args=(log, "w", "A", "B"))]))
        assert tree.signal("A") == 1
        assert tree.signal("B") == 1
        assert tree.signal("A") == 1
        assert [got for _, got in log] == [("A",), ("B",), ("A",)]
        assert tree.status() == {"root/w": ("A", "B")}


# ---- Workers that misbehave ----


class TestInvalidCommand:
    def test_garbage_after_start_is_a_crash(self) -> None:
        """Yielding something that is not a command crashes the worker with InvalidCommand
        naming what it yielded; no other worker is affected."""
        log: list[tuple[str, Any]] = []

        def garbage() -> Gen:
            yield waitfor("GO")
            yield 42

        tree, recorder = boot(
            Supervisor(
                "root",
                [
                    w("a", logging_waiter, args=(log, "a", "GO")),
                    w("g", garbage, restart="temporary"),
                    w("b", logging_waiter, args=(log, "b", "GO")),
                ],
            )
        )
        assert tree.signal("GO") == 3
        assert recorder.lines() == ["stop root/g crash"]
        error = recorder.reports[0].exception  # type: ignore[union-attr]
        assert isinstance(error, InvalidCommand)
        assert isinstance(error, TypeError)
        assert "42" in str(error)
        assert "root/g" in str(error)
        assert [name for name, _ in log] == ["a", "b"]
        assert children(tree, "root") == [("a", "running", 1), ("b", "running", 1)]
        assert tree.signal("GO") == 2

    @pytest.mark.parametrize("garbage", ["waitfor", ("waitfor", "TICK"), None, waitfor])
    def test_garbage_at_start_is_a_failed_start(self, garbage: object) -> None:
        """A first yield that is not a command (a bare string or tuple included) fails the start."""

        def bad() -> Gen:
            yield garbage

        recorder = Recorder()
        with pytest.raises(StartFailed) as excinfo:
            gensup.start(Supervisor("root", [w("g", bad)]), observer=recorder)
        assert isinstance(excinfo.value.__cause__, InvalidCommand)
        assert repr(garbage) in str(excinfo.value.__cause__)

    def test_bare_yield_is_a_crash(self) -> None:
        """A bare yield (None) is not a command: the worker crashes, naming None."""

        def bare() -> Gen:
            yield waitfor("GO")
            yield
            yield from idle()

        tree, recorder = boot(Supervisor("root", [w("b", bare, restart="temporary"), w("a", idle)]))
        tree.signal("GO")
        assert recorder.lines() == ["stop root/b crash"]
        error = recorder.reports[0].exception  # type: ignore[union-attr]
        assert isinstance(error, InvalidCommand)
        assert "None" in str(error)
        assert tree.status() == {"root/a": ("NEVER",)}

    @pytest.mark.parametrize(
        "make",
        [lambda: WaitFor((["unhashable"],)), lambda: Emit(["unhashable"], (), None)],
        ids=["waitfor", "emit"],
    )
    def test_malformed_command_affects_only_its_worker(self, make: Callable[[], object]) -> None:
        """A command built by hand with an unhashable event crashes its worker only: the call
        returns, the others get the event and the tree keeps track of them."""
        log: list[tuple[str, Any]] = []

        def malformed() -> Gen:
            yield waitfor("GO")
            yield make()
            yield from idle()

        tree, recorder = boot(
            Supervisor(
                "root",
                [
                    w("m", malformed, restart="temporary"),
                    w("g", logging_waiter, args=(log, "g", "GO")),
                ],
            )
        )
        assert tree.signal("GO") == 2
        assert recorder.lines() == ["stop root/m crash"]
        assert isinstance(recorder.reports[0].exception, TypeError)  # type: ignore[union-attr]
        assert tree.status() == {"root/g": ("GO",)}
        assert tree.signal("GO") == 1
        assert [name for name, _ in log] == ["g", "g"]

    def test_worker_may_catch_it(self) -> None:
        """InvalidCommand is thrown in at the yield, so a worker that catches it goes on."""

        def careful() -> Gen:
            with contextlib.suppress(InvalidCommand):
                yield "oops"
            yield from idle()

        tree, recorder = boot(Supervisor("root", [w("c", careful)]))
        assert tree.status() == {"root/c": ("NEVER",)}
        assert recorder.lines() == []


class TestClosing:
    def test_finally_blocks_run_on_restart_and_terminate(self) -> None:
        """Workers stopped by a group restart or terminate_child are closed: finally runs."""
        closed: list[str] = []
        tree, _ = boot(
            Supervisor(
                "root",
                [
                    w("a", closes_into, args=(closed, "a")),
                    w("b"),
                    w("c", closes_into, args=(closed, "c")),
                ],
                strategy="one_for_all",
            )
        )
        crash(tree, "root/b")
        assert closed == ["c", "a"]
        tree.terminate_child("root/a")
        assert closed == ["c", "a", "a"]

    def test_yield_while_closing_is_killed(self) -> None:
        """A worker that yields again while being closed is reported killed, and the stop
        goes on with the others."""
        closed: list[str] = []

        def stubborn() -> Gen:
            while True:
                with contextlib.suppress(GeneratorExit):
                    yield waitfor("NEVER")

        tree, recorder = boot(
            Supervisor(
                "root",
                [
                    w("a", closes_into, args=(closed, "a")),
                    w("s", stubborn),
                    w("b", closes_into, args=(closed, "b")),
                ],
            )
        )
        tree.stop()
        assert recorder.lines() == [
            "stop root/b shutdown",
            "stop root/s killed",
            "stop root/a shutdown",
            "stop root shutdown",
        ]
        assert closed == ["b", "a"]

    def test_yield_in_finally_is_killed(self) -> None:
        """A finally block that yields is killed too, and terminate_child returns."""

        def yields_in_finally() -> Gen:
            try:
                yield waitfor("NEVER")
            finally:
                yield waitfor("MORE")

        tree, recorder = boot(Supervisor("root", [w("a", yields_in_finally)]))
        tree.terminate_child("root/a")
        assert recorder.lines() == ["stop root/a killed"]
        assert children(tree, "root") == [("a", "stopped", 1)]

    def test_killed_generator_is_quiet_at_exit(self) -> None:
        """A generator the tree reported killed prints nothing when the interpreter exits."""
        script = textwrap.dedent(
            """
            import contextlib

            from loguru import logger

            import gensup
            from gensup import Supervisor, Worker, waitfor
            from gensup.testing import Recorder

            logger.remove()

            def stubborn():
                while True:
                    with contextlib.suppress(GeneratorExit):
                        yield waitfor("NEVER")

            recorder = Recorder()
            tree = gensup.start(Supervisor("root", [Worker("s", stubborn)]), observer=recorder)
            tree.stop()
            print(recorder.lines()[2])
            """
        )
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
        )
        assert (done.returncode, done.stdout, done.stderr) == (0, "stop root/s killed\n", "")

    def test_finally_that_raises_does_not_stop_the_stop(self) -> None:
        """A finally block that raises is reported as a crash and the others still stop."""
        closed: list[str] = []

        def raises_on_close() -> Gen:
            try:
                yield waitfor("NEVER")
            finally:
                raise RuntimeError("close failed")

        tree, recorder = boot(
            Supervisor("root", [w("a", closes_into, args=(closed, "a")), w("r", raises_on_close)])
        )
        tree.stop()
        assert recorder.lines() == [
            "stop root/r crash",
            "stop root/a shutdown",
            "stop root shutdown",
        ]
        assert closed == ["a"]
        assert not tree.alive


class TestBaseExceptions:
    @pytest.mark.parametrize("exc_type", [KeyboardInterrupt, SystemExit])
    def test_propagate_after_the_tree_stopped(self, exc_type: type[BaseException]) -> None:
        """A KeyboardInterrupt or SystemExit from a worker stops the tree, then propagates."""
        closed: list[str] = []

        def interrupted() -> Gen:
            yield waitfor("INT")
            raise exc_type()

        tree, recorder = boot(
            Supervisor(
                "root",
                [
                    w("a", closes_into, args=(closed, "a")),
                    w("i", interrupted),
                    w("b", closes_into, args=(closed, "b")),
                ],
            )
        )
        with pytest.raises(exc_type):
            tree.signal("INT")
        assert closed == ["b", "a"]
        assert not tree.alive
        assert recorder.lines() == [
            "stop root/i crash",
            "stop root/b shutdown",
            "stop root/a shutdown",
            "stop root shutdown",
        ]

    def test_raised_while_closing(self) -> None:
        """A KeyboardInterrupt from a finally block during stop propagates after every other
        worker was closed, and the worker that raised it is reported stopped too."""
        closed: list[str] = []

        def interrupts_on_close() -> Gen:
            try:
                yield from idle()
            finally:
                raise KeyboardInterrupt

        tree, recorder = boot(
            Supervisor(
                "root",
                [
                    w("a", closes_into, args=(closed, "a")),
                    w("k", interrupts_on_close),
                    w("b", closes_into, args=(closed, "b")),
                ],
            )
        )
        with pytest.raises(KeyboardInterrupt):
            tree.stop()
        assert closed == ["b", "a"]
        assert not tree.alive
        assert [line.rsplit(" ", 1)[0] for line in recorder.lines()] == [
            "stop root/b",
            "stop root/k",
            "stop root/a",
            "stop root",
        ]

    def test_during_start(self) -> None:
        """A KeyboardInterrupt while starting stops what started, then propagates from start."""
        closed: list[str] = []

        def interrupted() -> Gen:
            raise KeyboardInterrupt
            yield  # pragma: no cover

        recorder = Recorder()
        with pytest.raises(KeyboardInterrupt):
            gensup.start(
                Supervisor(
                    "root", [w("a", closes_into, args=(closed, "a")), w("i", interrupted), w("b")]
                ),
                observer=recorder,
            )
        assert closed == ["a"]
        assert recorder.lines() == [
            "start root",
            "start root/a",
            "start root/i",
            "stop root/i crash",
            "stop root/a shutdown",
            "stop root shutdown",
        ]

    def test_during_emit_handling(self) -> None:
        """A KeyboardInterrupt from a worker resumed by an emitted event stops the tree too."""

        def interrupted() -> Gen:
            yield waitfor("E")
            raise KeyboardInterrupt

        def sender() -> Gen:
            yield waitfor("GO")
            yield emit("E")
            yield from idle()

        tree, _ = boot(Supervisor("root", [w("i", interrupted), w("s", sender)]))
        with pytest.raises(KeyboardInterrupt):
            tree.signal("GO")
        assert not tree.alive
        assert tree.status() == {}


# ---- Endless emit loops: max_deliveries ----


def echo(hear: str, say: str) -> Gen:
    """Wait for `hear`, emit `say`, again and again."""
    while True:
        yield waitfor(hear)
        yield emit(say)


PING_PONG = Supervisor(
    "root", [w("ping", echo, args=("PING", "PONG")), w("pong", echo, args=("PONG", "PING"))]
)


class TestMaxDeliveries:
    def test_endless_emit_loop_raises(self) -> None:
        """Two workers emitting at each other make signal raise TooManyDeliveries, naming
        the events and the emitters, once max_deliveries is passed; the tree runs on."""
        recorder = Recorder()
        tree = gensup.start(PING_PONG, observer=recorder, max_deliveries=100)
        recorder.clear()
        with pytest.raises(TooManyDeliveries) as excinfo:
            tree.signal("PING")
        assert str(excinfo.value) == (
            "more than 100 emitted events were delivered in one call (max_deliveries): an "
            "endless emit loop?  Of the last 100, the most frequent events were 'PONG' (50), "
            "'PING' (50), emitted most by 'root/ping' (50), 'root/pong' (50).  The 1 event "
            "still queued was dropped; exits and restarts were handled, and the tree runs on"
        )
        assert isinstance(excinfo.value, RuntimeError)
        assert recorder.reports == [Dropped("PONG", (), None)]
        assert tree.alive
        assert tree.status() == {"root/ping": ("PING",), "root/pong": ("PONG",)}
        assert tree.signal("NOBODY") == 0

    def test_exits_past_the_bound_still_handled(self) -> None:
        """Past the bound, queued deliveries are dropped but queued exits still restart."""
        log: list[tuple[str, Any]] = []

        def burst() -> Gen:
            yield waitfor("GO")
            yield emit("A")
            yield emit("B")
            raise RuntimeError("after the burst")

        recorder = Recorder()
        tree = gensup.start(
            Supervisor("root", [w("r", logging_waiter, args=(log, "r", "A", "B")), w("s", burst)]),
            observer=recorder,
            max_deliveries=1,
        )
        recorder.clear()
        with pytest.raises(TooManyDeliveries, match=r"'A' \(1\), emitted most by 'root/s' \(1\)"):
            tree.signal("GO")
        assert log == [("r", ("A",))]
        assert recorder.lines() == ["stop root/s crash", "dropped 'B'", "start root/s"]
        assert children(tree, "root") == [("r", "running", 1), ("s", "running", 2)]

    def test_bound_counts_events_not_workers_reached(self) -> None:
        """One emitted event that reaches many workers is one delivery."""
        log: list[tuple[str, Any]] = []

        def sender() -> Gen:
            yield waitfor("GO")
            yield emit("X")
            yield from idle()

        spec = Supervisor(
            "root",
            [w(f"r{i}", logging_waiter, args=(log, f"r{i}", "X")) for i in range(3)]
            + [w("s", sender)],
        )
        tree = gensup.start(spec, max_deliveries=1)
        assert tree.signal("GO") == 1
        assert len(log) == 3

    def test_start_past_the_bound_stops_the_tree(self) -> None:
        """A loop that starts with the tree makes start raise, and stops the tree first."""

        def server() -> Gen:
            yield emit("PING")
            yield from echo("PONG", "PING")

        recorder = Recorder()
        with pytest.raises(TooManyDeliveries):
            gensup.start(
                Supervisor("root", [*PING_PONG.children, w("server", server)]),
                observer=recorder,
                max_deliveries=10,
            )
        assert recorder.lines()[-4:] == [
            "stop root/server shutdown",
            "stop root/pong shutdown",
            "stop root/ping shutdown",
            "stop root shutdown",
        ]

    def test_a_loop_on_timers_due_at_once_is_bounded_too(self) -> None:
        """A worker looping on sleep(0) is stopped by max_deliveries; its timer is kept."""
        clock = VirtualClock()
        woken: list[int] = []

        def spinner() -> Gen:
            while True:
                yield gensup.sleep(0)
                woken.append(1)

        with pytest.raises(TooManyDeliveries, match=r"1 timer due at once was put off") as caught:
            gensup.start(Supervisor("root", [Worker("s", spinner)]), clock=clock, max_deliveries=50)
        assert "TIMEOUT (" in str(caught.value)
        assert "'root/s'" in str(caught.value)
        assert 45 <= len(woken) <= 50

    @pytest.mark.parametrize(
        ("value", "error"),
        [(0, InvalidSpec), (-5, InvalidSpec), (1.5, InvalidSpecType), (True, InvalidSpecType)],
    )
    def test_max_deliveries_checked(self, value: object, error: type[Exception]) -> None:
        """max_deliveries must be an int >= 1."""
        with pytest.raises(error, match="'max_deliveries' must be"):
            gensup.start(Supervisor("root"), max_deliveries=value)  # type: ignore[arg-type]

    def test_default_is_ten_million(self) -> None:
        """The default bound is ten million deliveries."""
        default = inspect.signature(gensup.start).parameters["max_deliveries"].default
        assert default == 10_000_000


# ---- What the tree calls out to: clock, sinks, driver ----


class Breakable:
    """A clock that raises TypeError once told to break."""

    def __init__(self) -> None:
        self.broken = False

    def now(self) -> float:
        if self.broken:
            raise TypeError("the clock broke")
        return 0.0


class TestBrokenCallouts:
    def test_clock_class_rejected_at_start(self) -> None:
        """A clock class passed for an instance is rejected by start, before anything starts."""
        recorder = Recorder()
        with pytest.raises(InvalidSpecType, match=r"pass an instance, such as VirtualClock\(\)"):
            gensup.start(Supervisor("root", [w("a")]), clock=VirtualClock, observer=recorder)  # type: ignore[arg-type]
        assert recorder.lines() == []

    @pytest.mark.parametrize("reading", ["0", None, True, float("nan"), 1j])
    def test_clock_must_read_a_number(self, reading: object) -> None:
        """A clock whose now() returns anything but a real number is rejected by start."""

        class Odd:
            def now(self) -> object:
                return reading

        with pytest.raises(InvalidSpecType, match="must return a number of seconds"):
            gensup.start(Supervisor("root"), clock=Odd())  # type: ignore[arg-type]

    def test_clock_that_raises_at_start_rejected(self) -> None:
        """A clock whose now() raises at start is rejected, chained to what it raised."""
        clock = Breakable()
        clock.broken = True
        with pytest.raises(InvalidSpecType, match="the clock broke") as excinfo:
            gensup.start(Supervisor("root"), clock=clock)
        assert isinstance(excinfo.value.__cause__, TypeError)

    def test_clock_failing_later_stops_the_tree(self) -> None:
        """A clock that raises at a restart stops the tree cleanly, and signal raises its
        error with a note: no crashed worker is left stopped in a tree still alive."""
        closed: list[str] = []
        clock = Breakable()
        tree = gensup.start(
            Supervisor(
                "root",
                [w("a"), w("b"), w("c", closes_into, args=(closed, "c"))],
                strategy="one_for_one",
            ),
            clock=clock,
            observer=(recorder := Recorder()),
        )
        recorder.clear()
        clock.broken = True
        with pytest.raises(TypeError, match="the clock broke") as excinfo:
            tree.signal("CRASH")
        assert "gensup: the tree 'root' stopped" in "\n".join(excinfo.value.__notes__)
        assert not tree.alive
        assert recorder.lines() == [
            "stop root/a crash",
            "stop root/b crash",
            "stop root/c shutdown",
            "stop root shutdown",
        ]
        assert closed == ["c"]
        with pytest.raises(TreeStopped):
            tree.signal("CRASH")

    def test_sink_failing_stops_the_tree(self) -> None:
        """A loguru sink that raises (catch=False) stops the tree; the observer still gets
        every report, and the failures while stopping are counted in a second note."""

        def sink(message: object) -> None:
            raise OSError("disk full")

        tree, recorder = boot(Supervisor("root", [w("a"), w("b")]))
        sink_id = logger.add(sink, level="TRACE", catch=False)
        try:
            with pytest.raises(OSError, match="disk full") as excinfo:
                crash(tree, "root/a")
        finally:
            logger.remove(sink_id)
        notes = excinfo.value.__notes__
        assert notes[0].startswith("gensup: the tree 'root' stopped")
        assert notes[1].startswith("gensup: stopping it raised 2 more exception(s)")
        assert not tree.alive
        assert recorder.lines() == [
            "stop root/a crash",
            "stop root/b shutdown",
            "stop root shutdown",
        ]

    def test_driver_failing_stops_the_tree(self) -> None:
        """A driver callback that raises stops the tree, cancels the call it was given and
        is told once that the tree stopped."""
        told: list[str] = []

        class Broken:
            def call_started(self, pending: PendingCall) -> None:
                told.append("started")
                raise RuntimeError("no event loop")

            def call_cancelled(self, pending: PendingCall) -> None:
                told.append("cancelled")

            def deadline_changed(self, deadline: float) -> None:
                told.append("deadline")

            def tree_stopped(self) -> None:
                told.append("stopped")

        async def fetch() -> None:
            """Never awaited here."""

        def caller() -> Gen:
            yield waitfor("GO")
            yield call(fetch)

        recorder = Recorder()
        tree = gensup.start(
            Supervisor("root", [w("c", caller), w("d", idle)]), driver=Broken(), observer=recorder
        )
        recorder.clear()
        with pytest.raises(RuntimeError, match="no event loop"):
            tree.signal("GO")
        assert told == ["started", "cancelled", "stopped"]
        assert not tree.alive
        assert tree.pending_calls() == ()
        assert recorder.lines() == [
            "stop root/d shutdown",
            "stop root/c shutdown",
            "stop root shutdown",
        ]

    def test_reentrant_call_from_a_driver_stops_the_tree(self) -> None:
        """A driver that calls a mutating method gets ReentrantCall; escaping the engine
        midway, it stops the tree like any error of a callout."""
        holder: list[Tree] = []

        class Meddler:
            def call_started(self, pending: PendingCall) -> None:
                holder[0].signal("X")

            def call_cancelled(self, pending: PendingCall) -> None:
                pass

            def deadline_changed(self, deadline: float) -> None:
                pass

            def tree_stopped(self) -> None:
                pass

        async def fetch() -> None:
            """Never awaited here."""

        def caller() -> Gen:
            yield waitfor("GO")
            yield call(fetch)

        tree = gensup.start(Supervisor("root", [w("c", caller)]), driver=Meddler())
        holder.append(tree)
        with pytest.raises(ReentrantCall):
            tree.signal("GO")
        assert not tree.alive

    def test_keyboard_interrupt_while_stopping_wins(self) -> None:
        """A KeyboardInterrupt from a finally block, while the tree stops after a callout
        failed, is what propagates, chained to that failure."""

        def interrupts_on_close() -> Gen:
            try:
                yield from idle()
            finally:
                raise KeyboardInterrupt

        clock = Breakable()
        tree = gensup.start(Supervisor("root", [w("a"), w("k", interrupts_on_close)]), clock=clock)
        clock.broken = True
        with pytest.raises(KeyboardInterrupt) as excinfo:
            crash(tree, "root/a")
        assert isinstance(excinfo.value.__context__, TypeError)
        assert not tree.alive

    REFUSALS: ClassVar[list[tuple[str, Callable[[Tree], object], type[Exception]]]] = [
        ("signal to nowhere", lambda tree: tree.signal("X", to="root/nope"), ChildNotFound),
        ("unhashable signal", lambda tree: tree.signal(["X"]), TypeError),
        ("start_child spec", lambda tree: tree.start_child("root", "w"), InvalidSpec),  # type: ignore[arg-type]
        ("start_child twice", lambda tree: tree.start_child("root", w("a")), ChildAlreadyStarted),
        ("terminate nowhere", lambda tree: tree.terminate_child("root/nope"), ChildNotFound),
        ("restart running", lambda tree: tree.restart_child("root/a"), ChildRunning),
        ("delete running", lambda tree: tree.delete_child("root/a"), ChildRunning),
    ]

    @pytest.mark.parametrize(
        ("name", "call", "error"), REFUSALS, ids=[name for name, _, _ in REFUSALS]
    )
    def test_refusals_leave_the_tree_running(
        self, name: str, call: Callable[[Tree], object], error: type[Exception]
    ) -> None:
        """An error a call raises on purpose, before changing anything, leaves the tree
        running as it was."""
        tree, recorder = boot(Supervisor("root", [w("a")]))
        with pytest.raises(error):
            call(tree)
        assert tree.alive
        assert recorder.lines() == []
        assert children(tree, "root") == [("a", "running", 1)]
        assert crash(tree, "root/a") == 1


# ---- Reentrancy ----


MUTATING: list[tuple[str, Callable[[Tree], object]]] = [
    ("signal", lambda tree: tree.signal("X")),
    ("start_child", lambda tree: tree.start_child("root", Worker("new", idle))),
    ("terminate_child", lambda tree: tree.terminate_child("root/other")),
    ("restart_child", lambda tree: tree.restart_child("root/other")),
    ("delete_child", lambda tree: tree.delete_child("root/other")),
    ("stop", lambda tree: tree.stop()),
]


class TestReentrantCall:
    @pytest.mark.parametrize(("name", "call"), MUTATING, ids=[name for name, _ in MUTATING])
    def test_from_a_worker(self, name: str, call: Callable[[Tree], object]) -> None:
        """A mutating call from inside a worker raises ReentrantCall pointing to emit, and the
        tree is unchanged."""
        errors: list[BaseException] = []
        holder: list[Tree] = []

        def meddler() -> Gen:
            while True:
                yield waitfor("GO")
                try:
                    call(holder[0])
                except BaseException as exc:
                    errors.append(exc)

        tree, recorder = boot(Supervisor("root", [w("m", meddler), w("other")]))
        holder.append(tree)
        assert tree.signal("GO") == 1
        assert len(errors) == 1
        assert isinstance(errors[0], ReentrantCall)
        assert isinstance(errors[0], RuntimeError)
        assert "emit" in str(errors[0])
        assert name in str(errors[0])
        assert recorder.lines() == []
        assert children(tree, "root") == [("m", "running", 1), ("other", "running", 1)]

    def test_uncaught_crashes_only_the_worker(self) -> None:
        """A worker that does not catch ReentrantCall crashes like with any other exception."""
        holder: list[Tree] = []

        def meddler() -> Gen:
            yield waitfor("GO")
            holder[0].signal("X")

        tree, recorder = boot(Supervisor("root", [w("m", meddler, restart="transient")]))
        holder.append(tree)
        tree.signal("GO")
        assert recorder.lines() == ["stop root/m crash", "start root/m"]
        assert isinstance(recorder.reports[0].exception, ReentrantCall)  # type: ignore[union-attr]

    @pytest.mark.parametrize(("name", "call"), MUTATING, ids=[name for name, _ in MUTATING])
    def test_from_an_observer(self, name: str, call: Callable[[Tree], object]) -> None:
        """A mutating call from inside an observer raises ReentrantCall."""
        errors: list[BaseException] = []
        holder: list[Tree] = []

        def observer(report: object) -> None:
            if holder and isinstance(report, Stopped):
                try:
                    call(holder[0])
                except BaseException as exc:
                    errors.append(exc)

        tree = gensup.start(
            Supervisor("root", [w("a", restart="temporary"), w("other")]), observer=observer
        )
        holder.append(tree)
        crash(tree, "root/a")
        assert len(errors) == 1
        assert isinstance(errors[0], ReentrantCall)
        assert tree.alive
        assert children(tree, "root") == [("other", "running", 1)]

    def test_from_another_thread(self) -> None:
        """A mutating call from a second thread while the first is in a call raises
        ReentrantCall saying so: two threads, and the tree is not thread-safe."""
        inside, done = threading.Event(), threading.Event()
        errors: list[BaseException] = []
        holder: list[Tree] = []

        def blocker() -> Gen:
            yield waitfor("GO")
            inside.set()
            done.wait(30)
            yield from idle()

        def meddle() -> None:
            inside.wait(30)
            try:
                holder[0].signal("X")
            except BaseException as exc:
                errors.append(exc)
            finally:
                done.set()

        tree, recorder = boot(Supervisor("root", [w("b", blocker)]))
        holder.append(tree)
        other = threading.Thread(target=meddle, name="meddler")
        other.start()
        assert tree.signal("GO") == 1
        other.join(30)
        assert len(errors) == 1
        assert isinstance(errors[0], ReentrantCall)
        message = str(errors[0])
        assert message.startswith(
            "Tree.signal() was called from thread 'meddler' while thread "
            f"{threading.current_thread().name!r} was in a call to the tree: "
            "a tree is not thread-safe."
        )
        assert "signal_threadsafe" in message
        assert recorder.lines() == []

    def test_read_only_calls_allowed_inside(self) -> None:
        """status, which_children, count_children and format work from inside a worker."""
        seen: list[object] = []
        holder: list[Tree] = []

        def reader() -> Gen:
            yield waitfor("GO")
            tree = holder[0]
            seen.append(tree.status()["root/b"])
            seen.append(children(tree, "root"))
            seen.append(tree.count_children("root"))
            seen.append("reader" in tree.format())
            yield from idle()

        tree, _ = boot(Supervisor("root", [w("reader", reader), w("b")]))
        holder.append(tree)
        tree.signal("GO")
        assert seen == [
            ("CRASH", "EXIT"),
            [("reader", "running", 1), ("b", "running", 1)],
            ChildCounts(specs=2, active=2, supervisors=0, workers=2),
            True,
        ]

    def test_running_worker_waits_for_nothing(self) -> None:
        """While a worker runs, status shows it waiting for nothing: it is not waiting."""
        seen: list[object] = []
        holder: list[Tree] = []

        def reader() -> Gen:
            yield waitfor("GO")
            seen.append(holder[0].status()["root/reader"])
            yield waitfor("MORE", "EVEN MORE")
            seen.append(holder[0].status()["root/reader"])
            yield from idle()

        tree, _ = boot(Supervisor("root", [w("reader", reader)]))
        holder.append(tree)
        tree.signal("GO")
        tree.signal("EVEN MORE")
        assert seen == [(), ()]


# ---- Observers ----


class TestObserver:
    def test_reports_in_order_with_values(self) -> None:
        """The observer gets Started, Stopped and GaveUp values synchronously, in order."""
        recorder = Recorder()
        tree = gensup.start(Supervisor("root", [w("a")], intensity=0), observer=recorder)
        with pytest.raises(SupervisorGaveUp):
            crash(tree, "root/a")
        assert recorder.reports[:2] == [Started("root"), Started("root/a")]
        assert recorder.reports[2] == Stopped("root/a", Reason.CRASH)
        assert recorder.reports[3:] == [GaveUp("root"), Stopped("root", Reason.SHUTDOWN)]

    def test_observer_exceptions_do_not_break_the_tree(
        self, log_records: list[dict[str, Any]]
    ) -> None:
        """An observer that raises is logged at ERROR and the tree goes on as if it had not."""
        calls: list[object] = []

        def broken(report: object) -> None:
            calls.append(report)
            raise RuntimeError("observer bug")

        tree = gensup.start(
            Supervisor("root", [w("a")], intensity=5), clock=VirtualClock(), observer=broken
        )
        crash(tree, "root/a")
        assert children(tree, "root") == [("a", "running", 2)]
        tree.stop()
        # start root, start a, stop a crash, start a, stop a shutdown, stop root shutdown
        assert len(calls) == 6
        errors = [
            r for r in log_records if r["level"].name == "ERROR" and "observer" in r["message"]
        ]
        assert len(errors) == 6
        assert all(isinstance(r["exception"].value, RuntimeError) for r in errors)

    def test_any_clock_object(self) -> None:
        """Any object with now() serves as the clock of the intensity window."""

        class Manual:
            def __init__(self) -> None:
                self.t = 100.0

            def now(self) -> float:
                return self.t

        clock = Manual()
        tree = gensup.start(Supervisor("root", [w("a")], intensity=1, period=5), clock=clock)
        crash(tree, "root/a")
        clock.t += 6
        crash(tree, "root/a")
        clock.t += 1
        with pytest.raises(SupervisorGaveUp):
            crash(tree, "root/a")

    def test_bad_observer_or_clock_rejected(self) -> None:
        """A non-callable observer or a clock without now() is rejected at start."""
        with pytest.raises(TypeError):
            gensup.start(Supervisor("root"), observer=42)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            gensup.start(Supervisor("root"), clock=object())  # type: ignore[arg-type]


# ---- Views ----


class TestViews:
    def test_status_lists_live_workers_in_tree_order(self) -> None:
        """status maps each live worker's path to what it waits for, in tree order."""
        tree, _ = boot(
            Supervisor(
                "root",
                [
                    w("a", idle),
                    Supervisor("s", [w("b")]),
                    w("c", logging_waiter, args=([], "c", "X", "Y")),
                ],
            )
        )
        tree.terminate_child("root/s")
        assert tree.status() == {"root/a": ("NEVER",), "root/c": ("X", "Y")}
        assert list(tree.status()) == ["root/a", "root/c"]

    def test_format_and_str(self) -> None:
        """format shows each child in tree order with its kind, restart type, state,
        incarnation and waits; str(tree) is the same text."""
        tree, _ = boot(
            Supervisor("root", [w("a", idle), Supervisor("s", [w("b", restart="transient")])])
        )
        crash(tree, "root/s/b")
        text = tree.format()
        assert str(tree) == text
        lines = text.splitlines()
        assert len(lines) == 4
        assert [line.lstrip("├└│─ ").split()[0] for line in lines] == ["root", "a", "s", "b"]
        assert "supervisor" in lines[2]
        assert "one_for_one" in lines[2]
        assert "worker" in lines[1]
        assert "'NEVER'" in lines[1]
        assert "transient" in lines[3]
        assert "running" in lines[3]
        assert "2" in lines[3].split("transient", 1)[1]
        assert "'CRASH', 'EXIT'" in lines[3]

    def test_repr(self) -> None:
        """The repr names the root, says whether the tree is alive and counts the
        children of the whole tree by state."""
        tree, _ = boot(Supervisor("root"))
        assert repr(tree) == "<gensup.Tree 'root' alive, no children>"
        tree.stop()
        assert repr(tree) == "<gensup.Tree 'root' stopped>"
        tree, _ = boot(Supervisor("root", [w("a")]))
        assert repr(tree) == "<gensup.Tree 'root' alive: 1 running>"
        tree, _ = boot(Supervisor("root", [w("a"), Supervisor("s", [w("b"), w("c")])]))
        tree.terminate_child("root/s/b")
        assert repr(tree) == "<gensup.Tree 'root' alive: 3 running, 1 stopped>"
        tree.terminate_child("root/s")
        assert repr(tree) == "<gensup.Tree 'root' alive: 1 running, 1 stopped>"

    def test_walk(self) -> None:
        """walk gives every child in tree order, the root first, with depth, info and spec."""
        pool = Supervisor("s", [w("b", restart="transient")], strategy="one_for_all")
        spec = Supervisor("root", [w("a", idle), pool, Supervisor("t", [w("c")])])
        tree, _ = boot(spec)
        tree.start_child("root/s", w("late", idle))
        tree.terminate_child("root/t")
        crash(tree, "root/s/b")
        walked = tree.walk()
        assert [
            (depth, info.id, info.state.value, info.incarnation) for depth, info, _ in walked
        ] == [
            (0, "root", "running", 1),
            (1, "a", "running", 1),
            (1, "s", "running", 1),
            (2, "b", "running", 2),
            (2, "late", "running", 2),
            (1, "t", "stopped", 1),
        ]
        assert [info for _, info, _ in walked[1:3]] == tree.which_children("root")[:2]
        assert walked[0][2] is spec
        assert walked[2][2] is pool
        assert walked[4][2] == w("late", idle)
        tree.stop()
        assert tree.walk() == []

    def test_which_children_of_a_worker_not_found(self) -> None:
        """which_children of a worker's path raises ChildNotFound."""
        tree, _ = boot(Supervisor("root", [w("a")]))
        with pytest.raises(ChildNotFound):
            tree.which_children("root/a")


# ---- Scale ----


def nested(depth: int, leaf: Worker, **options: Any) -> tuple[Supervisor, str]:
    """A chain of `depth` supervisors below the root with `leaf` at the bottom, and its path."""
    spec: Supervisor | Worker = leaf
    for _ in range(depth):
        spec = Supervisor("s", [spec], **options)
    root = Supervisor("root", [spec], **options)
    return root, "root/" + "s/" * depth + leaf.id


class TestDeepTrees:
    DEPTH = 3000

    def test_start_route_stop(self) -> None:
        """A tree thousands of levels deep starts, routes to its deepest worker and stops."""
        assert sys.getrecursionlimit() < self.DEPTH
        log: list[tuple[str, Any]] = []
        spec, path = nested(self.DEPTH, w("leaf", logging_waiter, args=(log, "leaf", "X")))
        recorder = Recorder()
        tree = gensup.start(spec, observer=recorder)
        assert recorder.starts(path) == 1
        assert len(recorder) == self.DEPTH + 2
        assert tree.signal("X", 1, to=path) == 1
        assert tree.signal("X", 2, to=path.rsplit("/", 2)[0]) == 1
        assert tree.signal("X", 3) == 1
        assert log == [("leaf", ("X", 1)), ("leaf", ("X", 2)), ("leaf", ("X", 3))]
        assert tree.status() == {path: ("X",)}
        assert len(tree.format().splitlines()) == self.DEPTH + 2
        assert children(tree, path.rsplit("/", 1)[0]) == [("leaf", "running", 1)]
        recorder.clear()
        tree.stop()
        assert recorder.lines()[0] == f"stop {path} shutdown"
        assert recorder.lines()[-1] == "stop root shutdown"
        assert len(recorder) == self.DEPTH + 2

    def test_give_up_cascade(self) -> None:
        """A give-up that escalates through thousands of levels reaches the root."""
        spec, path = nested(self.DEPTH, w("leaf"), intensity=0)
        tree, recorder = boot(spec)
        with pytest.raises(SupervisorGaveUp):
            crash(tree, path)
        assert len(recorder.gave_up()) == self.DEPTH + 1
        assert not tree.alive

    def test_start_failure_at_the_bottom(self) -> None:
        """A failed start at the bottom of a deep tree unwinds it and start raises StartFailed."""
        spec, _ = nested(self.DEPTH, w("bad", fails_at_start))
        with pytest.raises(StartFailed):
            gensup.start(spec)


class TestSignalCost:
    @staticmethod
    def spec(bystanders: int, resumes: list[str]) -> Supervisor:
        """A target waiting for X among `bystanders` workers that wait for other events or not
        at all, in nested supervisors on both sides of it."""

        def counted(name: str, event: str) -> Gen:
            while True:
                yield waitfor(event)
                resumes.append(name)

        def group(prefix: str) -> Supervisor:
            return Supervisor(
                prefix,
                [
                    w(f"{prefix}{i}", counted, args=(f"{prefix}{i}", f"OTHER{i % 7}"))
                    for i in range(bystanders)
                ]
                + [Supervisor(f"{prefix}-sub", [w("ret", returns_at_once)])],
            )

        return Supervisor(
            "root",
            [
                group("left"),
                Supervisor("mid", [w("target", counted, args=("target", "X"))]),
                group("right"),
            ],
        )

    @staticmethod
    def traced_lines(call: Callable[[], object]) -> int:
        """How many Python lines run during `call` (gensup's and the workers')."""
        count = 0

        def tracer(frame: Any, event: str, arg: Any) -> Any:
            nonlocal count
            count += 1
            return tracer

        sys.settrace(tracer)
        try:
            call()
        finally:
            sys.settrace(None)
        return count

    def test_bystanders_never_resumed(self) -> None:
        """Workers waiting for other events are not resumed by a signal."""
        resumes: list[str] = []
        tree = gensup.start(self.spec(200, resumes))
        for _ in range(5):
            assert tree.signal("X") == 1
        assert tree.signal("X", to="root/mid") == 1
        assert resumes == ["target"] * 6

    @pytest.mark.parametrize("to", [None, "root/mid", "root/mid/target"])
    def test_cost_independent_of_bystanders(self, to: str | None) -> None:
        """The work a signal does is the same with 10 or 1000 bystanders (lines executed)."""
        costs = []
        for bystanders in (10, 1000):
            resumes: list[str] = []
            tree = gensup.start(self.spec(bystanders, resumes))
            tree.signal("X", to=to)  # warm up: the worker's loop has run once
            costs.append(self.traced_lines(lambda tree=tree: tree.signal("X", to=to)))
            tree.stop()
        assert costs[0] == costs[1]
