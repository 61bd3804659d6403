"""Time in the core: timeouts, sleeps, timers under VirtualClock, and restart backoff."""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import pytest

import gensup
from gensup import (
    TIMEOUT,
    Backoff,
    ChildRestarting,
    ChildState,
    InvalidSpec,
    ReentrantCall,
    Supervisor,
    SupervisorGaveUp,
    VirtualClock,
    Worker,
    emit,
    sleep,
    waitfor,
)
from gensup.reports import Report, Started, Stopped
from gensup.testing import Recorder

Gen = Generator[Any, Any, None]


class Log:
    """Records what workers saw, with the virtual time."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.entries: list[tuple[float, str, object]] = []

    def __call__(self, who: str, what: object) -> None:
        self.entries.append((self.clock.now(), who, what))


def timed(log: Log, name: str, timeout: float, *events: str) -> Gen:
    """Wait for events with a timeout, forever, logging what comes; CRASH raises."""
    while True:
        event, *_ = yield waitfor(*(events or ("E",)), "CRASH", timeout=timeout)
        log(name, event)
        if event == "CRASH":
            raise RuntimeError("crash")


def idle() -> Gen:
    while True:
        yield waitfor("NEVER")


def started_at(clock: VirtualClock, reports: list[tuple[float, Report]], path: str) -> list[float]:
    return [t for t, r in reports if isinstance(r, Started) and r.path == path]


def timed_observer(clock: VirtualClock) -> tuple[list[tuple[float, Report]], Any]:
    reports: list[tuple[float, Report]] = []
    return reports, lambda report: reports.append((clock.now(), report))


# ---- Timeouts ----


class TestWaitforTimeout:
    def test_times_out_at_its_deadline_and_not_before(self) -> None:
        """A wait with timeout 5 is resumed with (TIMEOUT,) when the clock reaches 5."""
        clock = VirtualClock()
        log = Log(clock)
        with gensup.start(Supervisor("r", [Worker("w", timed, args=(log, "w", 5))]), clock=clock):
            clock.advance(4.999)
            assert log.entries == []
            clock.advance(0.001)
            assert log.entries == [(5.0, "w", TIMEOUT)]

    def test_an_event_that_comes_first_cancels_the_timer(self) -> None:
        """The event resumes the worker; its old deadline passes without a timeout."""
        clock = VirtualClock()
        log = Log(clock)
        with gensup.start(
            Supervisor("r", [Worker("w", timed, args=(log, "w", 5))]), clock=clock
        ) as tree:
            clock.advance(3)
            assert tree.signal("E") == 1
            clock.advance(4)  # t=7: the old deadline (5) passed, the new one is 8
            assert log.entries == [(3.0, "w", "E")]
            clock.advance(1)
            assert log.entries == [(3.0, "w", "E"), (8.0, "w", TIMEOUT)]

    def test_a_later_untimed_wait_is_not_timed_out(self) -> None:
        """A worker that got its event and now waits without a timeout keeps waiting."""
        clock = VirtualClock()
        seen = []

        def worker() -> Gen:
            seen.append((yield waitfor("A", timeout=5)))
            seen.append((yield waitfor("A")))

        with gensup.start(Supervisor("r", [Worker("w", worker)]), clock=clock) as tree:
            tree.signal("A", 1)
            clock.advance(100)
            assert seen == [("A", 1)]
            assert tree.status() == {"r/w": ("A",)}
            assert tree.next_deadline() is None

    def test_waits_on_several_events(self) -> None:
        """A timed wait on several events times out once, and leaves none of them registered."""
        clock = VirtualClock()
        seen = []

        def worker() -> Gen:
            seen.append((yield waitfor("A", "B", timeout=2)))
            yield waitfor("C")

        with gensup.start(Supervisor("r", [Worker("w", worker)]), clock=clock) as tree:
            clock.advance(2)
            assert seen == [(TIMEOUT,)]
            assert tree.status() == {"r/w": ("C",)}
            assert tree.signal("A") == 0
            assert tree._waiting.keys() == {"C"}

    def test_timeout_zero_times_out_within_the_same_call_after_queued_events(self) -> None:
        """timeout=0 is queued like an emit: it times out before the call returns, in FIFO order."""
        order = []

        def emitter() -> Gen:
            yield waitfor("GO")
            yield emit("X")
            yield waitfor("NEVER")

        def zero() -> Gen:
            yield waitfor("GO")
            event, *_ = yield waitfor("Y", timeout=0)
            order.append(("zero", event))
            yield waitfor("NEVER")

        def x_waiter() -> Gen:
            yield waitfor("X")
            order.append(("x", "X"))
            yield waitfor("NEVER")

        spec = Supervisor("r", [Worker("e", emitter), Worker("z", zero), Worker("x", x_waiter)])
        with gensup.start(spec) as tree:
            tree.signal("GO")
            assert order == [("x", "X"), ("zero", TIMEOUT)]

    def test_infinite_timeout_is_no_timeout(self) -> None:
        """timeout=math.inf is the same command as no timeout."""
        assert waitfor("A", timeout=math.inf) is waitfor("A")

    @pytest.mark.parametrize(
        ("timeout", "error", "message"),
        [
            (-1, ValueError, r"'timeout' must be >= 0 seconds \(got -1\)"),
            (math.nan, ValueError, "'timeout' must be >= 0 seconds"),
            ("5", TypeError, "'timeout' must be a number of seconds"),
            (True, TypeError, "'timeout' must be a number of seconds"),
        ],
    )
    def test_bad_timeouts_fail_when_the_command_is_built(
        self, timeout: object, error: type[Exception], message: str
    ) -> None:
        """A negative, NaN or non-number timeout is a clear error from waitfor itself."""
        with pytest.raises(error, match=message):
            waitfor("A", timeout=timeout)  # type: ignore[arg-type]

    def test_timed_commands_are_cached_and_show_their_timeout(self) -> None:
        """The same timed wait is the same object, and its repr shows the timeout."""
        assert waitfor("A", timeout=2) is waitfor("A", timeout=2)
        assert repr(waitfor("A", "B", timeout=2)) == "waitfor('A', 'B', timeout=2.0)"
        assert waitfor("A", timeout=2).timeout == 2.0
        assert waitfor("A").timeout is None

    def test_unhashable_event_with_timeout(self) -> None:
        """An unhashable event is a clear TypeError, timeout or not."""
        with pytest.raises(TypeError, match="every event must be hashable"):
            waitfor(["A"], timeout=1)  # type: ignore[arg-type]


class TestSleep:
    def test_resumes_after_the_delay_and_misses_events(self) -> None:
        """A sleeping worker gets (TIMEOUT,) after the delay; events meanwhile reach nobody."""
        clock = VirtualClock()
        log = Log(clock)
        recorder = Recorder()

        def sleeper() -> Gen:
            while True:
                log("s", (yield sleep(2))[0])
                event, *_ = yield waitfor("E")
                log("s", event)

        with gensup.start(
            Supervisor("r", [Worker("s", sleeper)]), clock=clock, observer=recorder
        ) as tree:
            assert tree.status() == {"r/s": ()}
            assert tree.signal("E") == 0
            clock.advance(2)
            assert tree.signal("E") == 1
            clock.advance(1)
            assert log.entries == [(2.0, "s", TIMEOUT), (2.0, "s", "E")]
            assert [d.event for d in recorder.dropped()] == ["E"]

    def test_sleep_zero_resumes_within_the_call(self) -> None:
        """sleep(0) resumes the worker before start returns."""
        seen = []

        def worker() -> Gen:
            seen.append((yield sleep(0)))
            yield waitfor("NEVER")

        with gensup.start(Supervisor("r", [Worker("w", worker)])):
            assert seen == [(TIMEOUT,)]

    @pytest.mark.parametrize("seconds", [-0.5, math.nan, "1", None])
    def test_bad_delays(self, seconds: object) -> None:
        """sleep() rejects negative, NaN and non-number delays when it is called."""
        with pytest.raises((TypeError, ValueError), match="sleep"):
            sleep(seconds)  # type: ignore[arg-type]


class TestTimersAndIncarnations:
    def test_a_restarted_worker_never_gets_its_old_timer(self) -> None:
        """After a crash and restart, the old incarnation's deadline passes silently."""
        clock = VirtualClock()
        log = Log(clock)
        spec = Supervisor("r", [Worker("w", timed, args=(log, "w", 5))], intensity=5)
        with gensup.start(spec, clock=clock) as tree:
            clock.advance(1)
            tree.signal("CRASH")  # restarted at 1: its new deadline is 6
            clock.advance(4.5)
            assert log.entries == [(1.0, "w", "CRASH")]
            clock.advance(0.5)
            assert log.entries == [(1.0, "w", "CRASH"), (6.0, "w", TIMEOUT)]

    def test_terminate_cancels_and_restart_child_starts_afresh(self) -> None:
        """terminate_child leaves nothing scheduled; restart_child sets a new timer."""
        clock = VirtualClock()
        log = Log(clock)
        with gensup.start(
            Supervisor("r", [Worker("w", timed, args=(log, "w", 5))]), clock=clock
        ) as tree:
            tree.terminate_child("r/w")
            assert tree.next_deadline() is None
            clock.advance(10)
            tree.restart_child("r/w")
            assert tree.next_deadline() == 15
            clock.advance(10)
            assert log.entries == [(15.0, "w", TIMEOUT), (20.0, "w", TIMEOUT)]

    def test_a_stopped_tree_holds_no_timers(self) -> None:
        """After stop, nothing is scheduled and fire_due does nothing."""
        clock = VirtualClock()
        log = Log(clock)
        tree = gensup.start(Supervisor("r", [Worker("w", timed, args=(log, "w", 5))]), clock=clock)
        tree.stop()
        assert tree.next_deadline() is None
        assert len(tree._timers) == 0
        clock.advance(10)
        assert tree.fire_due() == 0
        assert log.entries == []

    def test_a_stale_wait_timer_is_not_the_next_deadline(self) -> None:
        """next_deadline skips a timeout left behind by a worker that got its event."""
        clock = VirtualClock()

        def worker() -> Gen:
            yield waitfor("A", timeout=5)
            yield waitfor("B", timeout=10)

        with gensup.start(Supervisor("r", [Worker("w", worker)]), clock=clock) as tree:
            assert tree.next_deadline() == 5
            tree.signal("A")
            assert tree.next_deadline() == 10


class TestFiring:
    def test_deadline_order_ties_in_the_order_set(self) -> None:
        """Timers fire by deadline; those with the same deadline in the order they were set."""
        clock = VirtualClock()
        log = Log(clock)
        spec = Supervisor(
            "r",
            [
                Worker("a", timed, args=(log, "a", 3)),
                Worker("b", timed, args=(log, "b", 2)),
                Worker("c", timed, args=(log, "c", 3)),
            ],
        )
        with gensup.start(spec, clock=clock):
            clock.advance(3)
        assert log.entries == [(2.0, "b", TIMEOUT), (3.0, "a", TIMEOUT), (3.0, "c", TIMEOUT)]

    def test_each_timer_runs_to_completion_before_the_next(self) -> None:
        """What a timer causes (an emitted event) is delivered before the next timer fires."""
        clock = VirtualClock()
        order = []

        def first() -> Gen:
            yield sleep(1)
            order.append("first fired")
            yield emit("PING")
            yield waitfor("NEVER")

        def pinged() -> Gen:
            yield waitfor("PING")
            order.append("ping delivered")
            yield waitfor("NEVER")

        def second() -> Gen:
            yield sleep(1)
            order.append("second fired")
            yield waitfor("NEVER")

        spec = Supervisor("r", [Worker("a", first), Worker("p", pinged), Worker("b", second)])
        with gensup.start(spec, clock=clock) as tree:
            clock.advance(0.5)
            assert tree.fire_due() == 0
            clock._now = 1.0  # move the clock without firing: fire_due by hand
            assert tree.fire_due() == 2
        assert order == ["first fired", "ping delivered", "second fired"]

    def test_two_trees_on_one_clock_fire_in_deadline_order(self) -> None:
        """VirtualClock.advance interleaves the timers of all trees started on it."""
        clock = VirtualClock()
        log = Log(clock)
        one = gensup.start(
            Supervisor("one", [Worker("w", timed, args=(log, "one", 2))]), clock=clock
        )
        two = gensup.start(
            Supervisor("two", [Worker("w", timed, args=(log, "two", 3))]), clock=clock
        )
        clock.advance(6)
        assert [(t, who) for t, who, _ in log.entries] == [
            (2.0, "one"),
            (3.0, "two"),
            (4.0, "one"),
            (6.0, "one"),
            (6.0, "two"),
        ]
        one.stop()
        two.stop()

    def test_give_up_from_a_timer_raises_from_advance(self) -> None:
        """A root that gives up while a timer fires makes advance raise; the clock stays there."""
        clock = VirtualClock()

        def doomed() -> Gen:
            yield sleep(2)
            raise RuntimeError("late failure")

        tree = gensup.start(Supervisor("r", [Worker("w", doomed)], intensity=0), clock=clock)
        with pytest.raises(SupervisorGaveUp):
            clock.advance(10)
        assert clock.now() == 2
        assert not tree.alive

    def test_fire_due_from_inside_a_worker_is_refused(self) -> None:
        """A worker calling fire_due gets ReentrantCall, a crash like any other."""
        trees: list[gensup.Tree] = []
        errors: list[BaseException] = []

        def meddler() -> Gen:
            yield waitfor("GO")
            try:
                trees[0].fire_due()
            except ReentrantCall as exc:
                errors.append(exc)
            yield waitfor("NEVER")

        with gensup.start(Supervisor("r", [Worker("m", meddler)])) as tree:
            trees.append(tree)
            tree.signal("GO")
        assert len(errors) == 1

    @pytest.mark.parametrize("step", [math.nan, math.inf, -1])
    def test_advance_rejects_nan_infinity_and_negatives(self, step: float) -> None:
        """VirtualClock.advance refuses steps that would corrupt the reading."""
        clock = VirtualClock(start=1)
        with pytest.raises(ValueError, match="must be >= 0 and finite"):
            clock.advance(step)
        assert clock.now() == 1


# ---- Restart backoff ----


def crasher() -> Gen:
    """Waits for CRASH, then raises."""
    yield waitfor("CRASH")
    raise RuntimeError("crash")


class TestBackoff:
    def test_delays_grow_by_factor_up_to_maximum(self) -> None:
        """Consecutive restarts wait initial, initial*factor, ... capped at maximum."""
        clock = VirtualClock()
        reports, observer = timed_observer(clock)
        spec = Supervisor(
            "r",
            [Worker("w", crasher, backoff=Backoff(1, 4, reset_after=100))],
            intensity=100,
            period=1000,
        )
        with gensup.start(spec, clock=clock, observer=observer) as tree:
            for _ in range(5):
                tree.signal("CRASH")
                clock.advance(10)
        # crashes at 0, 10, 20, 30, 40; delays 1, 2, 4, 4, 4
        assert started_at(clock, reports, "r/w") == [0, 1, 12, 24, 34, 44]

    def test_restarting_meanwhile_and_events_are_dropped(self) -> None:
        """While the delay runs the child is restarting, not active, and gets no events."""
        clock = VirtualClock()
        recorder = Recorder()
        spec = Supervisor("r", [Worker("w", crasher, backoff=Backoff(5, 5))])
        with gensup.start(spec, clock=clock, observer=recorder) as tree:
            tree.signal("CRASH")
            (info,) = tree.which_children("r")
            assert info.state is ChildState.RESTARTING
            assert tree.count_children("r").active == 0
            assert tree.status() == {}
            assert tree.signal("CRASH") == 0
            assert len(recorder.dropped()) == 1
            assert tree.next_deadline() == 5
            clock.advance(5)
            assert tree.which_children("r")[0].state is ChildState.RUNNING
            assert tree.which_children("r")[0].incarnation == 2

    def test_a_child_that_ran_long_enough_starts_again_from_initial(self) -> None:
        """reset_after: a child that ran that long without ending goes back to the first delay."""
        clock = VirtualClock()
        reports, observer = timed_observer(clock)
        spec = Supervisor(
            "r",
            [Worker("w", crasher, backoff=Backoff(1, 8, reset_after=10))],
            intensity=100,
            period=1000,
        )
        with gensup.start(spec, clock=clock, observer=observer) as tree:
            tree.signal("CRASH")  # t=0: delay 1
            clock.advance(2)
            tree.signal("CRASH")  # t=2, ran 1 s: delay 2
            clock.advance(5)
            tree.signal("CRASH")  # t=7, ran 3 s: delay 4
            clock.advance(20)
            tree.signal("CRASH")  # t=27, ran 16 s >= 10: delay 1 again
            clock.advance(5)
        assert started_at(clock, reports, "r/w") == [0, 1, 4, 11, 28]

    def test_reset_after_defaults_to_maximum(self) -> None:
        """Without reset_after, running `maximum` seconds resets the delay."""
        clock = VirtualClock()
        reports, observer = timed_observer(clock)
        spec = Supervisor(
            "r", [Worker("w", crasher, backoff=Backoff(1, 3))], intensity=100, period=1000
        )
        with gensup.start(spec, clock=clock, observer=observer) as tree:
            tree.signal("CRASH")  # t=0, delay 1 -> started at 1
            clock.advance(3)
            tree.signal("CRASH")  # t=3, ran 2 < 3: delay 2 -> 5
            clock.advance(5)
            tree.signal("CRASH")  # t=8, ran 3 >= 3: delay 1 -> 9
            clock.advance(5)
        assert started_at(clock, reports, "r/w") == [0, 1, 5, 9]

    def test_intensity_counts_at_the_attempt_so_spread_restarts_never_give_up(self) -> None:
        """With backoff the same crash loop that gives up at once in OTP keeps going."""
        clock = VirtualClock()

        def run(backoff: Backoff | None) -> bool:
            spec = Supervisor("r", [Worker("w", crasher, backoff=backoff)], intensity=1, period=5)
            tree = gensup.start(spec, clock=clock)
            try:
                for _ in range(30):
                    tree.signal("CRASH")  # dropped while a delayed restart is pending
                    clock.advance(1)
            except SupervisorGaveUp:
                return False
            tree.stop()
            return True

        assert run(Backoff(6, 6)) is True  # attempts 6 s apart: never 2 within 5 s
        assert run(None) is False  # restarts 1 s apart: the second within 5 s gives up

    def test_intensity_exceeded_at_the_attempt_gives_up_then(self) -> None:
        """The restart that exceeds intensity gives up when its delay ends, not at the crash."""
        clock = VirtualClock()
        recorder = Recorder()
        spec = Supervisor(
            "r",
            [Supervisor("s", [Worker("w", crasher, backoff=Backoff(1, 1))], intensity=0)],
            intensity=0,
        )
        tree = gensup.start(spec, clock=clock, observer=recorder)
        tree.signal("CRASH")
        assert recorder.gave_up() == []
        with pytest.raises(SupervisorGaveUp):
            clock.advance(1)
        assert recorder.gave_up() == ["r/s", "r"]
        assert clock.now() == 1

    @pytest.mark.parametrize("strategy", ["one_for_all", "rest_for_one"])
    def test_group_stopped_at_once_and_started_together_after_the_delay(
        self, strategy: str
    ) -> None:
        """one_for_all/rest_for_one: siblings stop at the crash, all start when the delay ends."""
        clock = VirtualClock()
        reports, observer = timed_observer(clock)
        spec = Supervisor(
            "r",
            [
                Worker("a", idle),
                Worker("b", crasher, backoff=Backoff(3, 3)),
                Worker("c", idle),
            ],
            strategy=strategy,
        )
        with gensup.start(spec, clock=clock, observer=observer) as tree:
            clock.advance(1)
            tree.signal("CRASH")
            states = {i.id: i.state.value for i in tree.which_children("r")}
            clock.advance(3)
            lines = [(t, type(r).__name__, r.path) for t, r in reports if t > 0]
        if strategy == "one_for_all":
            assert states == {"a": "restarting", "b": "restarting", "c": "restarting"}
            assert lines == [
                (1, "Stopped", "r/b"),
                (1, "Stopped", "r/c"),
                (1, "Stopped", "r/a"),
                (4, "Started", "r/a"),
                (4, "Started", "r/b"),
                (4, "Started", "r/c"),
            ]
        else:
            assert states == {"a": "running", "b": "restarting", "c": "restarting"}
            assert lines == [
                (1, "Stopped", "r/b"),
                (1, "Stopped", "r/c"),
                (4, "Started", "r/b"),
                (4, "Started", "r/c"),
            ]

    def test_terminate_child_cancels_the_pending_restart(self) -> None:
        """A child terminated during its delay stays stopped when the delay ends."""
        clock = VirtualClock()
        spec = Supervisor("r", [Worker("w", crasher, backoff=Backoff(2, 2))])
        with gensup.start(spec, clock=clock) as tree:
            tree.signal("CRASH")
            tree.terminate_child("r/w")
            clock.advance(5)
            assert tree.which_children("r")[0].state is ChildState.STOPPED
            assert tree.which_children("r")[0].incarnation == 1

    def test_a_cancelled_restart_is_no_longer_a_deadline(self) -> None:
        """After terminate_child during the delay, next_deadline no longer names it."""
        clock = VirtualClock()
        spec = Supervisor("r", [Worker("w", crasher, backoff=Backoff(30, 60))])
        with gensup.start(spec, clock=clock) as tree:
            tree.signal("CRASH")
            assert tree.next_deadline() == 30
            tree.terminate_child("r/w")
            assert tree.next_deadline() is None
            assert len(tree._timers) == 0

    def test_a_cancelled_delay_is_not_a_consecutive_restart(self) -> None:
        """A delay cut short by terminate_child does not make the next one longer."""
        clock = VirtualClock()
        reports, observer = timed_observer(clock)
        spec = Supervisor("r", [Worker("w", crasher, backoff=Backoff(30, 60))])
        with gensup.start(spec, clock=clock, observer=observer) as tree:
            tree.signal("CRASH")
            tree.terminate_child("r/w")
            tree.restart_child("r/w")
            tree.signal("CRASH")
            assert tree.next_deadline() == 30
            clock.advance(30)
        assert started_at(clock, reports, "r/w") == [0, 0, 30]

    def test_a_group_restart_takes_over_a_pending_delay(self) -> None:
        """rest_for_one: a crash before a delayed child restarts it now; its timer is void."""
        clock = VirtualClock()
        reports, observer = timed_observer(clock)
        spec = Supervisor(
            "r",
            [Worker("a", crasher), Worker("b", crasher, backoff=Backoff(10, 10))],
            strategy="rest_for_one",
            intensity=5,
        )
        with gensup.start(spec, clock=clock, observer=observer) as tree:
            tree.signal("CRASH", to="r/b")  # b waits 10 s
            clock.advance(1)
            tree.signal("CRASH", to="r/a")  # a's group is [a, b]: both start now
            assert tree.next_deadline() is None
            clock.advance(20)
            lines = [(t, type(r).__name__, r.path) for t, r in reports if t > 0]
        assert lines == [(1, "Stopped", "r/a"), (1, "Started", "r/a"), (1, "Started", "r/b")]

    def test_delete_child_cancels_and_forgets(self) -> None:
        """delete_child during the delay forgets the child; nothing starts later."""
        clock = VirtualClock()
        recorder = Recorder()
        spec = Supervisor("r", [Worker("w", crasher, backoff=Backoff(2, 2))])
        with gensup.start(spec, clock=clock, observer=recorder) as tree:
            tree.signal("CRASH")
            tree.delete_child("r/w")
            clock.advance(5)
            assert tree.which_children("r") == []
        assert recorder.starts("r/w") == 1

    def test_restart_child_during_the_delay_is_refused(self) -> None:
        """restart_child of a child waiting for its delayed restart raises ChildRestarting."""
        clock = VirtualClock()
        spec = Supervisor("r", [Worker("w", crasher, backoff=Backoff(2, 2))])
        with gensup.start(spec, clock=clock) as tree:
            tree.signal("CRASH")
            with pytest.raises(ChildRestarting):
                tree.restart_child("r/w")

    def test_stop_of_its_supervisor_cancels_the_pending_restart(self) -> None:
        """A supervisor restarted during a child's delay starts that child afresh, once."""
        clock = VirtualClock()
        recorder = Recorder()
        spec = Supervisor("r", [Supervisor("s", [Worker("w", crasher, backoff=Backoff(2, 2))])])
        with gensup.start(spec, clock=clock, observer=recorder) as tree:
            tree.signal("CRASH")
            tree.terminate_child("r/s")
            tree.restart_child("r/s")
            assert recorder.starts("r/s/w") == 2
            clock.advance(5)
            assert recorder.starts("r/s/w") == 2
            assert tree.which_children("r/s")[0].incarnation == 1

    def test_a_failed_restart_is_delayed_with_the_next_delay(self) -> None:
        """A start attempt that raises is retried after the next, longer, delay."""
        clock = VirtualClock()
        _, observer = timed_observer(clock)
        attempts = []

        def fragile() -> Gen:
            attempts.append(clock.now())
            if 1 < len(attempts) < 4:
                raise ConnectionError("service down")
            yield waitfor("CRASH")
            raise RuntimeError("crash")

        spec = Supervisor(
            "r", [Worker("w", fragile, backoff=Backoff(1, 10))], intensity=10, period=100
        )
        with gensup.start(spec, clock=clock, observer=observer) as tree:
            tree.signal("CRASH")
            clock.advance(20)
            assert tree.which_children("r")[0].state is ChildState.RUNNING
        # crash at 0; attempts at 1 (fails), 3 (fails), 7 (runs)
        assert attempts == [0, 1, 3, 7]

    def test_a_supervisor_child_with_backoff(self) -> None:
        """A child supervisor that gives up is restarted by its parent after its backoff."""
        clock = VirtualClock()
        reports, observer = timed_observer(clock)
        spec = Supervisor(
            "r",
            [Supervisor("s", [Worker("w", crasher)], intensity=0, backoff=Backoff(4, 4))],
        )
        with gensup.start(spec, clock=clock, observer=observer) as tree:
            tree.signal("CRASH")
            assert tree.which_children("r")[0].state is ChildState.RESTARTING
            clock.advance(4)
        assert started_at(clock, reports, "r/s") == [0, 4]
        assert started_at(clock, reports, "r/s/w") == [0, 4]

    def test_jitter_is_repeatable_with_a_seed(self) -> None:
        """The same seed gives the same jittered restart times; another seed other ones."""

        def restart_times(seed: int) -> list[float]:
            clock = VirtualClock()
            reports, observer = timed_observer(clock)
            spec = Supervisor(
                "r",
                [Worker("w", crasher, backoff=Backoff(1, 100, jitter=0.5, reset_after=1000))],
                intensity=100,
                period=1000,
            )
            with gensup.start(spec, clock=clock, observer=observer, seed=seed) as tree:
                for _ in range(4):
                    tree.signal("CRASH")
                    clock.advance(50)
            return started_at(clock, reports, "r/w")

        assert restart_times(1) == restart_times(1)
        assert restart_times(1) != restart_times(2)
        for crash_at, started in zip([0, 50, 100, 150], restart_times(1)[1:], strict=True):
            assert crash_at < started

    def test_the_root_may_not_have_a_backoff(self) -> None:
        """gensup.start refuses a root with a backoff: nothing would restart it."""
        with pytest.raises(InvalidSpec, match="root Supervisor 'r' has a 'backoff'"):
            gensup.start(Supervisor("r", backoff=Backoff(1, 2)))

    def test_stopped_reports_say_crash_before_the_delay(self) -> None:
        """The crash is reported when it happens, the start when the delay ends."""
        clock = VirtualClock()
        reports, observer = timed_observer(clock)
        spec = Supervisor("r", [Worker("w", crasher, backoff=Backoff(2, 2))])
        with gensup.start(spec, clock=clock, observer=observer) as tree:
            tree.signal("CRASH")
            clock.advance(2)
        crash = [(t, r.reason.value) for t, r in reports if isinstance(r, Stopped)]
        assert crash[0] == (0, "crash")
