"""Calls: what a worker asks a driver to await, settled through the tree's public calls."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

import gensup
from gensup import (
    Backoff,
    ChildState,
    InvalidSpecType,
    PendingCall,
    ReentrantCall,
    Supervisor,
    SupervisorGaveUp,
    VirtualClock,
    Worker,
    call,
    waitfor,
)
from gensup.testing import Recorder

Gen = Generator[Any, Any, None]


async def fetch(key: str) -> str:
    return key.upper()


class FakeDriver:
    """Records what the tree tells its driver, in order."""

    def __init__(self, log: list[tuple[str, object]] | None = None) -> None:
        self.log: list[tuple[str, object]] = [] if log is None else log

    def call_started(self, call: PendingCall) -> None:
        self.log.append(("started", call.id))

    def call_cancelled(self, call: PendingCall) -> None:
        self.log.append(("cancelled", call.id))

    def deadline_changed(self, deadline: float) -> None:
        self.log.append(("deadline", deadline))

    def tree_stopped(self) -> None:
        self.log.append(("stopped", None))


def client(log: list[tuple[str, object]], timeout: float | None = None) -> Gen:
    """Calls fetch for each REQ; logs the result or the error; its finally is logged too."""
    try:
        while True:
            _, key = yield waitfor("REQ")
            try:
                value = yield call(fetch, key, timeout=timeout)
            except (LookupError, TimeoutError) as exc:
                log.append(("error", type(exc).__name__))
            else:
                log.append(("value", value))
    finally:
        log.append(("finally", None))


class TestPendingCalls:
    def test_a_call_is_pending_until_completed(self) -> None:
        """The call is listed with its worker's path and args; completing it resumes the worker."""
        log: list[tuple[str, object]] = []
        with gensup.start(Supervisor("r", [Worker("c", client, args=(log,))])) as tree:
            tree.signal("REQ", "a")
            (pending,) = tree.pending_calls()
            assert (pending.path, pending.incarnation, pending.fn, pending.args) == (
                "r/c",
                1,
                fetch,
                ("a",),
            )
            assert tree.status() == {"r/c": ()}
            assert tree.complete_call(pending, "A") is True
            assert log == [("value", "A")]
            assert tree.pending_calls() == ()
            assert tree.status() == {"r/c": ("REQ",)}

    def test_a_settled_call_is_refused_the_second_time(self) -> None:
        """complete_call and fail_call of a call no longer pending do nothing and return False."""
        log: list[tuple[str, object]] = []
        with gensup.start(Supervisor("r", [Worker("c", client, args=(log,))])) as tree:
            tree.signal("REQ", "a")
            (pending,) = tree.pending_calls()
            tree.complete_call(pending, "A")
            assert tree.complete_call(pending, "B") is False
            assert tree.fail_call(pending, KeyError("x")) is False
            assert log == [("value", "A")]

    def test_fail_call_raises_at_the_yield(self) -> None:
        """An exception given to fail_call is raised at the worker's yield, where try catches it."""
        log: list[tuple[str, object]] = []
        with gensup.start(Supervisor("r", [Worker("c", client, args=(log,))])) as tree:
            tree.signal("REQ", "a")
            (pending,) = tree.pending_calls()
            assert tree.fail_call(pending, KeyError("a")) is True
            assert log == [("error", "KeyError")]

    def test_an_uncaught_failure_is_a_crash(self) -> None:
        """A failure the worker does not catch crashes it, and its supervisor restarts it."""
        log: list[tuple[str, object]] = []
        recorder = Recorder()
        with gensup.start(
            Supervisor("r", [Worker("c", client, args=(log,))]), observer=recorder
        ) as tree:
            tree.signal("REQ", "a")
            (pending,) = tree.pending_calls()
            tree.fail_call(pending, ValueError("bad"))
            assert recorder.stops("r/c", "crash") == 1
            assert tree.which_children("r")[0].incarnation == 2

    def test_the_worker_waits_for_no_event_during_a_call(self) -> None:
        """Events signalled while a worker's call runs do not reach it."""
        log: list[tuple[str, object]] = []
        with gensup.start(Supervisor("r", [Worker("c", client, args=(log,))])) as tree:
            tree.signal("REQ", "a")
            assert tree.signal("REQ", "b") == 0

    def test_a_stale_call_never_reaches_a_new_incarnation(self) -> None:
        """After a restart, the old call is refused and the new incarnation's call is separate."""
        log: list[tuple[str, object]] = []

        def caller() -> Gen:
            yield waitfor("GO")
            value = yield call(fetch, "x")
            log.append(("value", value))
            yield waitfor("NEVER")

        with gensup.start(Supervisor("r", [Worker("c", caller)], intensity=5)) as tree:
            tree.signal("GO")
            (old,) = tree.pending_calls()
            tree.terminate_child("r/c")
            tree.restart_child("r/c")
            tree.signal("GO")
            (new,) = tree.pending_calls()
            assert new is not old
            assert new.id > old.id
            assert new.incarnation == 2
            assert tree.complete_call(old, "stale") is False
            assert log == []
            assert tree.complete_call(new, "fresh") is True
            assert log == [("value", "fresh")]

    def test_bad_arguments(self) -> None:
        """complete_call wants a PendingCall and fail_call an exception instance."""
        log: list[tuple[str, object]] = []
        with gensup.start(Supervisor("r", [Worker("c", client, args=(log,))])) as tree:
            tree.signal("REQ", "a")
            (pending,) = tree.pending_calls()
            with pytest.raises(TypeError, match="'call' must be a PendingCall"):
                tree.complete_call(pending.id, "x")  # type: ignore[arg-type]
            with pytest.raises(TypeError, match="'error' must be an exception instance"):
                tree.fail_call(pending, "oops")  # type: ignore[arg-type]

    def test_settling_from_inside_a_worker_is_refused(self) -> None:
        """complete_call is a mutating call: from a worker it raises ReentrantCall."""
        trees: list[gensup.Tree] = []
        errors: list[BaseException] = []

        def meddler() -> Gen:
            yield waitfor("GO")
            try:
                trees[0].complete_call(trees[0].pending_calls()[0], 1)
            except ReentrantCall as exc:
                errors.append(exc)
            yield waitfor("NEVER")

        log: list[tuple[str, object]] = []
        spec = Supervisor("r", [Worker("c", client, args=(log,)), Worker("m", meddler)])
        with gensup.start(spec) as tree:
            trees.append(tree)
            tree.signal("REQ", "a")
            tree.signal("GO")
        assert len(errors) == 1

    def test_a_give_up_caused_by_a_completed_call_raises_from_it(self) -> None:
        """A root that gives up while a call's outcome is handled makes complete_call raise."""

        def doomed() -> Gen:
            yield call(fetch, "x")
            raise RuntimeError("after the call")

        tree = gensup.start(Supervisor("r", [Worker("d", doomed)], intensity=0))
        (pending,) = tree.pending_calls()
        with pytest.raises(SupervisorGaveUp):
            tree.complete_call(pending, "X")
        assert not tree.alive
        assert tree.pending_calls() == ()


class TestCallTimeouts:
    def test_timeout_raises_timeout_error_at_the_yield(self) -> None:
        """Past its timeout, the tree cancels the call and raises TimeoutError at the yield."""
        clock = VirtualClock()
        log: list[tuple[str, object]] = []
        driver = FakeDriver()
        spec = Supervisor("r", [Worker("c", client, args=(log, 3))])
        with gensup.start(spec, clock=clock, driver=driver) as tree:
            tree.signal("REQ", "a")
            (pending,) = tree.pending_calls()
            clock.advance(3)
            assert log == [("error", "TimeoutError")]
            assert tree.pending_calls() == ()
            assert tree.complete_call(pending, "late") is False
        assert driver.log[:3] == [("started", 1), ("deadline", 3.0), ("cancelled", 1)]

    def test_a_call_completed_in_time_cancels_its_timeout(self) -> None:
        """A result that comes before the timeout leaves no timer behind."""
        clock = VirtualClock()
        log: list[tuple[str, object]] = []
        with gensup.start(
            Supervisor("r", [Worker("c", client, args=(log, 3))]), clock=clock
        ) as tree:
            tree.signal("REQ", "a")
            clock.advance(1)
            tree.complete_call(tree.pending_calls()[0], "A")
            assert tree.next_deadline() is None
            clock.advance(10)
            assert log == [("value", "A")]

    def test_call_rejects_bad_timeouts_and_non_callables(self) -> None:
        """call() checks its arguments when it is built."""
        with pytest.raises(ValueError, match="'timeout' must be >= 0"):
            call(fetch, "a", timeout=-1)
        with pytest.raises(TypeError, match="'fn' must be a callable"):
            call(42)  # type: ignore[arg-type]

    def test_a_coroutine_object_is_refused_and_closed(self) -> None:
        """call(fn(x)) is refused with a hint, and the coroutine is closed (no 'never awaited')."""
        coroutine = fetch("a")
        with pytest.raises(TypeError, match=r"not a coroutine object \(call\(fn, \*args\)"):
            call(coroutine)  # type: ignore[arg-type]
        assert coroutine.cr_frame is None  # closed


class TestDriver:
    def test_the_driver_hears_of_calls_deadlines_and_the_stop(self) -> None:
        """call_started, deadline_changed (a new earliest only), call_cancelled, tree_stopped."""
        clock = VirtualClock()
        log: list[tuple[str, object]] = []
        driver = FakeDriver()

        def napper(seconds: float) -> Gen:
            while True:
                yield gensup.sleep(seconds)

        spec = Supervisor(
            "r",
            [
                Worker("late", napper, args=(10,)),
                Worker("early", napper, args=(5,)),
                Worker("later", napper, args=(20,)),
                Worker("c", client, args=(log,)),
            ],
        )
        tree = gensup.start(spec, clock=clock, driver=driver)
        tree.signal("REQ", "a")
        tree.stop()
        assert driver.log == [
            ("deadline", 10.0),
            ("deadline", 5.0),
            ("started", 1),
            ("cancelled", 1),
            ("stopped", None),
        ]

    def test_stopping_a_worker_cancels_its_call_before_its_finally_runs(self) -> None:
        """On terminate, the driver hears call_cancelled before the worker's finally runs."""
        order: list[tuple[str, object]] = []
        driver = FakeDriver(order)
        with gensup.start(
            Supervisor("r", [Worker("c", client, args=(order,))]), driver=driver
        ) as tree:
            tree.signal("REQ", "a")
            tree.terminate_child("r/c")
        assert order[:3] == [("started", 1), ("cancelled", 1), ("finally", None)]

    def test_a_group_restart_cancels_calls(self) -> None:
        """A one_for_all restart cancels the running sibling's call; the old call is refused."""
        log: list[tuple[str, object]] = []
        driver = FakeDriver()

        def crasher() -> Gen:
            yield waitfor("CRASH")
            raise RuntimeError("crash")

        spec = Supervisor(
            "r", [Worker("c", client, args=(log,)), Worker("x", crasher)], strategy="one_for_all"
        )
        with gensup.start(spec, driver=driver) as tree:
            tree.signal("REQ", "a")
            (pending,) = tree.pending_calls()
            tree.signal("CRASH")
            assert ("cancelled", pending.id) in driver.log
            assert tree.complete_call(pending, "A") is False
            assert tree.which_children("r")[0].state is ChildState.RUNNING

    def test_the_driver_hears_of_a_delayed_restart(self) -> None:
        """A backoff restart is a timer like the others: the driver is told its deadline."""
        clock = VirtualClock()
        driver = FakeDriver()

        def crasher() -> Gen:
            yield waitfor("CRASH")
            raise RuntimeError("crash")

        spec = Supervisor("r", [Worker("x", crasher, backoff=Backoff(2, 2))])
        with gensup.start(spec, clock=clock, driver=driver) as tree:
            tree.signal("CRASH")
            assert driver.log == [("deadline", 2.0)]

    def test_the_driver_hears_that_the_root_gave_up(self) -> None:
        """tree_stopped is called when the tree ends by a give-up, not only by stop."""
        driver = FakeDriver()

        def crasher() -> Gen:
            yield waitfor("CRASH")
            raise RuntimeError("crash")

        tree = gensup.start(Supervisor("r", [Worker("x", crasher)], intensity=0), driver=driver)
        with pytest.raises(SupervisorGaveUp):
            tree.signal("CRASH")
        assert driver.log == [("stopped", None)]

    def test_start_checks_the_driver_and_the_seed(self) -> None:
        """A driver without the Driver methods, or a seed of another type, is refused at start."""
        with pytest.raises(InvalidSpecType, match="missing: call_started, call_cancelled"):
            gensup.start(Supervisor("r"), driver=object())  # type: ignore[arg-type]
        with pytest.raises(InvalidSpecType, match="'seed' must be an int, str or bytes"):
            gensup.start(Supervisor("r"), seed=1.5)  # type: ignore[arg-type]
