"""Behaviours that follow from the rules but that no other test pinned, through the public API.

Each test drives a small tree and asserts what a user sees: `status`, the
reports (`Recorder`), tracebacks, what a call raises.  One looks at
``tree._waiting``, the wait table, as the documented check of its invariant.
"""

from __future__ import annotations

import traceback
from collections.abc import Generator
from typing import Any

import pytest

import gensup
from gensup import StartFailed, Supervisor, SupervisorGaveUp, VirtualClock, Worker, emit, waitfor
from gensup.reports import Dropped, Started, Stopped
from gensup.testing import Recorder

Gen = Generator[Any, Any, None]


def never() -> Gen:
    """Wait forever for an event nobody signals."""
    while True:
        yield waitfor("NEVER")


def interrupts_when_closed() -> Gen:
    """Wait forever; raise KeyboardInterrupt from its finally block when closed."""
    try:
        yield from never()
    finally:
        raise KeyboardInterrupt


class TestWaits:
    def test_narrowed_wait_shows_in_status(self) -> None:
        """A worker that waited for ("A", "B"), got "A" and waits for "A" alone shows ("A",)."""

        def narrows() -> Gen:
            yield waitfor("A", "B")
            yield waitfor("A")

        with gensup.start(Supervisor("root", [Worker("w", narrows)])) as tree:
            assert tree.status() == {"root/w": ("A", "B")}
            assert tree.signal("A") == 1
            assert tree.status() == {"root/w": ("A",)}
            assert tree.signal("B") == 0

    def test_targeted_signal_leaves_no_empty_entry(self) -> None:
        """A targeted signal that takes an event's last waiter leaves no empty entry behind."""

        def once() -> Gen:
            yield waitfor("E")
            yield from never()

        spec = Supervisor(
            "root", [Worker("a", once), Supervisor("s", [Worker("b", once), Worker("c", once)])]
        )
        with gensup.start(spec) as tree:
            assert tree.signal("E", to="root/a") == 1
            assert set(tree._waiting) == {"E", "NEVER"}
            assert tree.signal("E", to="root/s") == 2
            # The invariant of the wait table: an event with no waiter has no entry.
            assert set(tree._waiting) == {"NEVER"}
            assert all(tree._waiting.values())


class TestTracebacks:
    def test_crash_during_delivery_starts_in_the_worker(self) -> None:
        """A worker that crashes during a delivery has a traceback that starts in its own frame."""

        def breaks() -> Gen:
            yield waitfor("GO")
            raise RuntimeError("broke on GO")

        recorder = Recorder()
        tree = gensup.start(
            Supervisor("root", [Worker("w", breaks)], intensity=5), observer=recorder
        )
        tree.signal("GO")
        (crash,) = [r for r in recorder if isinstance(r, Stopped) and r.exception is not None]
        assert crash.exception is not None
        frames = traceback.extract_tb(crash.exception.__traceback__)
        assert [frame.name for frame in frames] == ["breaks"]
        assert frames[0].line == 'raise RuntimeError("broke on GO")'
        tree.stop()

    def test_crash_at_start_starts_in_the_worker(self) -> None:
        """A worker that crashes at start has a traceback that starts in its own frame too."""

        def breaks() -> Gen:
            raise RuntimeError("broke at start")
            yield  # pragma: no cover

        with pytest.raises(StartFailed) as excinfo:
            gensup.start(Supervisor("root", [Worker("w", breaks)]))
        cause = excinfo.value.__cause__
        assert cause is not None
        assert [frame.name for frame in traceback.extract_tb(cause.__traceback__)] == ["breaks"]


class TestStartFailure:
    def test_event_emitted_before_a_failed_start_is_dropped(self) -> None:
        """An event emitted while starting, before a later sibling fails, is reported Dropped."""

        def announces() -> Gen:
            yield emit("X")
            yield from never()

        def fails() -> Gen:
            raise RuntimeError("cannot start")
            yield  # pragma: no cover

        recorder = Recorder()
        spec = Supervisor("root", [Worker("first", announces), Worker("second", fails)])
        with pytest.raises(StartFailed):
            gensup.start(spec, observer=recorder)
        assert recorder.dropped() == [Dropped("X", (), None)]
        assert recorder.lines()[-1] == "dropped 'X'"


class TestRestForOne:
    def test_failed_restarts_of_both_start_the_later_one_three_times(self) -> None:
        """rest_for_one [a, b]: one event crashes b then a, each one's second start fails;
        b is started exactly 3 times."""
        starts = {"a": 0, "b": 0}

        def a() -> Gen:
            starts["a"] += 1
            if starts["a"] == 2:
                raise RuntimeError("a: second start fails")
            yield waitfor("PREPARE")  # so that a begins waiting for GO after b
            yield waitfor("GO")
            raise RuntimeError("a crashed")

        def b() -> Gen:
            starts["b"] += 1
            if starts["b"] == 2:
                raise RuntimeError("b: second start fails")
            yield waitfor("GO")
            raise RuntimeError("b crashed")

        recorder = Recorder()
        spec = Supervisor(
            "root", [Worker("a", a), Worker("b", b)], strategy="rest_for_one", intensity=10
        )
        with gensup.start(spec, clock=VirtualClock(), observer=recorder) as tree:
            tree.signal("PREPARE")
            assert tree.status() == {"root/a": ("GO",), "root/b": ("GO",)}
            recorder.clear()
            assert tree.signal("GO") == 2
            assert recorder.lines()[:2] == ["stop root/b crash", "stop root/a crash"]
            assert starts == {"a": 3, "b": 3}
            assert recorder.starts("root/b") == 2  # its second and third starts
            assert tree.status() == {"root/a": ("PREPARE",), "root/b": ("GO",)}


class TestInterrupts:
    def test_interrupt_while_a_restart_closes_a_sibling(self) -> None:
        """A KeyboardInterrupt raised in a finally while a one_for_all restart closes the
        worker comes out of signal(), with the tree stopped."""

        def crashes() -> Gen:
            yield waitfor("CRASH")
            raise RuntimeError("crash")

        recorder = Recorder()
        spec = Supervisor(
            "root",
            [Worker("k", interrupts_when_closed), Worker("c", crashes)],
            strategy="one_for_all",
            intensity=10,
        )
        tree = gensup.start(spec, observer=recorder)
        with pytest.raises(KeyboardInterrupt):
            tree.signal("CRASH")
        assert not tree.alive
        assert tree.status() == {}
        assert recorder.lines()[-1] == "stop root shutdown"


class TestGiveUpWithQueuedEvents:
    @staticmethod
    def spec(*first: Worker) -> Supervisor:
        """A root that gives up at its first restart; c crashes on GO before e emits twice."""

        def crashes() -> Gen:
            yield waitfor("GO")
            raise RuntimeError("crash")

        def emits() -> Gen:
            yield waitfor("GO")
            yield emit("E1")
            yield emit("E2")
            yield from never()

        return Supervisor("root", [*first, Worker("c", crashes), Worker("e", emits)], intensity=0)

    def test_queued_events_are_dropped(self) -> None:
        """When the root gives up while events are queued, each is reported Dropped."""
        recorder = Recorder()
        tree = gensup.start(self.spec(), observer=recorder)
        with pytest.raises(SupervisorGaveUp):
            tree.signal("GO")
        assert recorder.gave_up() == ["root"]
        assert recorder.dropped() == [Dropped("E1", (), None), Dropped("E2", (), None)]
        assert tree.dropped == 2
        assert not tree.alive

    def test_queued_events_are_dropped_when_a_finally_interrupts(self) -> None:
        """The queued events are reported Dropped also when a worker's finally raises
        KeyboardInterrupt while the give-up stops it."""
        recorder = Recorder()
        tree = gensup.start(self.spec(Worker("k", interrupts_when_closed)), observer=recorder)
        with pytest.raises(KeyboardInterrupt):
            tree.signal("GO")
        assert recorder.gave_up() == ["root"]
        assert recorder.dropped() == [Dropped("E1", (), None), Dropped("E2", (), None)]
        assert not tree.alive


class TestEscalationOrder:
    def test_exit_of_a_supervisor_that_gave_up_is_handled_in_fifo_order(self) -> None:
        """root [s (intensity 0) [s1], w]: one event crashes s1, then w; Started comes in
        the order root/w, root/s, root/s/s1."""

        def crashes() -> Gen:
            yield waitfor("BOOM")
            raise RuntimeError("boom")

        recorder = Recorder()
        spec = Supervisor(
            "root",
            [Supervisor("s", [Worker("s1", crashes)], intensity=0), Worker("w", crashes)],
            intensity=10,
        )
        with gensup.start(spec, clock=VirtualClock(), observer=recorder) as tree:
            recorder.clear()
            assert tree.signal("BOOM") == 2
            started = [r.path for r in recorder if isinstance(r, Started)]
            assert started == ["root/w", "root/s", "root/s/s1"]
            assert recorder.gave_up() == ["root/s"]
