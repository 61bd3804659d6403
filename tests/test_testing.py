"""gensup.testing: the helpers that drive a tree, the strategies, check_supervision."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gensup
import gensup._core
from gensup import (
    ChildNotFound,
    Supervisor,
    SupervisorGaveUp,
    VirtualClock,
    Worker,
    WorkerGen,
    call,
    sleep,
    waitfor,
)
from gensup._restart import IntensityWindow, restart_group
from gensup.reports import Reason, Started, Stopped
from gensup.testing import (
    Advance,
    Crash,
    Finish,
    Recorder,
    Signal,
    check_supervision,
    complete,
    crash,
    fail,
    finish,
)
from gensup.testing import strategies as gst
from gensup.testing._check import _run, _Watch

ROOT = Path(__file__).resolve().parent.parent


def idle() -> WorkerGen:
    while True:
        yield waitfor("PING")


def timed() -> WorkerGen:
    while True:
        yield waitfor("PING", timeout=3)


def napper() -> WorkerGen:
    while True:
        yield sleep(2)


def quitter() -> WorkerGen:
    yield waitfor("PING")


def stubborn() -> WorkerGen:
    while True:
        try:
            yield waitfor("PING")
        except GeneratorExit:
            yield waitfor("PING")


async def lookup(key: int) -> int:
    return key * 2


def started(spec: Supervisor, **options: Any) -> tuple[gensup.Tree, Recorder]:
    recorder = Recorder()
    return gensup.start(spec, observer=recorder, **options), recorder


class TestCrash:
    def test_restarts_a_permanent_worker(self) -> None:
        """A crashed permanent worker is reported crashed with the exception and restarted."""
        error = ValueError("bad")
        tree, recorder = started(Supervisor("root", [Worker("w", idle)]))
        with tree:
            crash(tree, "root/w", error)
            assert tree.which_children("root")[0].incarnation == 2
        stops = [r for r in recorder if isinstance(r, Stopped) and r.reason is Reason.CRASH]
        assert [(r.path, r.exception) for r in stops] == [("root/w", error)]

    def test_raised_at_the_yield(self) -> None:
        """The exception is raised where the worker waits, so its own try can catch it."""
        caught: list[BaseException] = []

        def careful() -> WorkerGen:
            while True:
                try:
                    yield waitfor("PING")
                except ValueError as exc:
                    caught.append(exc)

        with gensup.start(Supervisor("root", [Worker("w", careful)])) as tree:
            crash(tree, "root/w", ValueError("caught"))
            assert [str(e) for e in caught] == ["caught"]
            assert tree.which_children("root")[0].incarnation == 1
            assert tree.status() == {"root/w": ("PING",)}

    def test_voids_the_timer(self) -> None:
        """What the crashed worker waited on is void: its old timeout never fires."""
        clock = VirtualClock()
        woke: list[int] = []
        starts = [0]

        def sleeper() -> WorkerGen:
            starts[0] += 1
            me = starts[0]
            while True:
                yield sleep(5)
                woke.append(me)

        with gensup.start(Supervisor("root", [Worker("w", sleeper)]), clock=clock) as tree:
            clock.advance(3)
            crash(tree, "root/w", RuntimeError("x"))
            clock.advance(3)
            assert woke == []
            clock.advance(2)
            assert woke == [2]

    def test_voids_the_pending_call(self) -> None:
        """A crashed worker's call is no longer pending; its restart makes a new one."""

        def client() -> WorkerGen:
            yield call(lookup, 1)
            yield waitfor("NEVER")

        with gensup.start(Supervisor("root", [Worker("c", client)])) as tree:
            (first,) = tree.pending_calls()
            crash(tree, "root/c", RuntimeError("x"))
            (second,) = tree.pending_calls()
            assert second is not first
            assert second.incarnation == 2
            assert not tree.complete_call(first, 2)

    def test_root_gives_up(self) -> None:
        """A crash past the root's intensity raises SupervisorGaveUp and stops the tree."""
        tree = gensup.start(Supervisor("root", [Worker("w", idle)], intensity=0))
        with pytest.raises(SupervisorGaveUp):
            crash(tree, "root/w", RuntimeError("x"))
        assert not tree.alive

    def test_refuses_what_is_not_a_running_worker(self) -> None:
        """A missing child, a supervisor or a stopped worker is refused with its path named."""
        spec = Supervisor("root", [Worker("w", idle, restart="transient"), Supervisor("s")])
        with gensup.start(spec) as tree:
            with pytest.raises(ChildNotFound, match="'root/x'"):
                crash(tree, "root/x", RuntimeError())
            with pytest.raises(ChildNotFound, match="'root/s' is a supervisor"):
                crash(tree, "root/s", RuntimeError())
            tree.terminate_child("root/w")
            with pytest.raises(ChildNotFound, match="'root/w' is stopped"):
                finish(tree, "root/w")

    def test_refuses_a_non_exception(self) -> None:
        """Crash takes an exception instance, as fail_call does."""
        with (
            gensup.start(Supervisor("root", [Worker("w", idle)])) as tree,
            pytest.raises(TypeError, match="'exc' must be an exception instance"),
        ):
            crash(tree, "root/w", ValueError)  # type: ignore[arg-type]


class TestFinish:
    @pytest.mark.parametrize(
        ("restart", "incarnation", "kept"),
        [("permanent", 2, True), ("transient", 1, True), ("temporary", None, False)],
    )
    def test_as_a_return(self, restart: str, incarnation: int | None, kept: bool) -> None:
        """A normal exit: permanent restarted, transient kept stopped, temporary removed."""
        tree, recorder = started(Supervisor("root", [Worker("w", idle, restart=restart)]))
        with tree:
            finish(tree, "root/w")
            children = tree.which_children("root")
            assert bool(children) is kept
            if kept:
                assert children[0].incarnation == incarnation
        assert recorder.stops("root/w", "normal") == 1

    def test_runs_finally_blocks(self) -> None:
        """The worker's generator is closed, so its finally blocks run."""
        closed: list[str] = []

        def tidy() -> WorkerGen:
            try:
                yield waitfor("PING")
            finally:
                closed.append("closed")

        with gensup.start(Supervisor("root", [Worker("w", tidy, restart="transient")])) as tree:
            finish(tree, "root/w")
            assert closed == ["closed"]

    def test_a_worker_that_yields_again_crashed(self) -> None:
        """A worker that yields while being closed ends as a crash, and is restarted as one."""
        spec = Supervisor("root", [Worker("w", stubborn, restart="transient")])
        tree, recorder = started(spec)
        with tree:
            finish(tree, "root/w")
            assert tree.which_children("root")[0].incarnation == 2
        assert recorder.stops("root/w", "crash") == 1


class TestCalls:
    def client(self, got: list[object]) -> Any:
        def client() -> WorkerGen:
            try:
                got.append((yield call(lookup, 21)))
            except LookupError as exc:
                got.append(exc)
            yield waitfor("NEVER")

        return client

    def test_complete(self) -> None:
        """complete settles the call of the worker at the path with the value."""
        got: list[object] = []
        with gensup.start(Supervisor("root", [Worker("c", self.client(got))])) as tree:
            complete(tree, "root/c", 42)
            assert got == [42]
            assert tree.pending_calls() == ()

    def test_fail(self) -> None:
        """fail raises the exception at the worker's yield."""
        got: list[object] = []
        error = LookupError("gone")
        with gensup.start(Supervisor("root", [Worker("c", self.client(got))])) as tree:
            fail(tree, "root/c", error)
            assert got == [error]

    def test_no_pending_call(self) -> None:
        """Without a pending call at the path, the error names it and the pending ones."""
        got: list[object] = []
        spec = Supervisor("root", [Worker("c", self.client(got)), Worker("i", idle)])
        with (
            gensup.start(spec) as tree,
            pytest.raises(LookupError, match=r"'root/i'.*pending calls: 'root/c'"),
        ):
            complete(tree, "root/i", 1)


class TestSteps:
    def test_readable(self) -> None:
        """Each step reads as one short line."""
        steps = [Crash("root/a"), Finish("root/b"), Advance(2.5), Signal("JOB", (1,))]
        assert [str(s) for s in steps] == [
            "crash root/a",
            "finish root/b",
            "advance 2.5 s",
            "signal 'JOB', 1",
        ]

    def test_skip_what_does_not_run(self) -> None:
        """A step on a worker that does not run does nothing and says so."""
        clock = VirtualClock()
        with gensup.start(Supervisor("root", [Worker("w", idle)]), clock=clock) as tree:
            assert not Crash("root/nope").apply(tree, clock)
            assert Crash("root/w").apply(tree, clock)


class TestStrategies:
    @given(gst.specs(workers=[idle, quitter], max_depth=2, max_width=3))
    def test_specs_are_valid_and_bounded(self, spec: Supervisor) -> None:
        """Drawn specs start, stay within depth and width, and run only the given workers."""

        def check(node: Supervisor, depth: int) -> None:
            assert len(node.children) <= 3
            for child in node.children:
                if isinstance(child, Supervisor):
                    assert depth + 1 <= 2
                    check(child, depth + 1)
                else:
                    assert child.func in (idle, quitter)

        check(spec, 0)
        assert spec.children
        gensup.start(spec).stop()

    @given(gst.specs(workers=st.just(timed), max_depth=1))
    def test_specs_take_a_strategy_of_workers(self, spec: Supervisor) -> None:
        """Workers may come as a strategy."""
        assert {child.func for child in spec.children} == {timed}

    def test_specs_need_a_worker(self) -> None:
        """An empty list of workers is refused."""
        with pytest.raises(ValueError, match="at least one worker"):
            gst.specs(workers=[])

    @given(st.data())
    def test_schedules_use_the_spec(self, data: st.DataObject) -> None:
        """Schedules crash or finish the spec's workers and signal only the given events."""
        spec = data.draw(gst.specs(workers=[idle]))
        schedule = data.draw(gst.crash_schedules(spec, events=["PING", ("JOB", 1)]))
        paths = set(gst.worker_paths(spec))
        for step in schedule:
            if isinstance(step, (Crash, Finish)):
                assert step.path in paths
            elif isinstance(step, Signal):
                assert (step.event, step.args) in {("PING", ()), ("JOB", (1,))}

    def test_hypothesis_is_optional(self) -> None:
        """Without hypothesis, gensup and gensup.testing import; the strategies name the extra."""
        code = (
            "import sys; sys.modules['hypothesis'] = None\n"
            "import gensup, gensup.testing\n"
            "try:\n"
            "    import gensup.testing.strategies\n"
            "except ImportError as exc:\n"
            "    print(exc)\n"
            "try:\n"
            "    gensup.testing.check_supervision(gensup.Supervisor('root'))\n"
            "except ImportError as exc:\n"
            "    print(exc)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        assert out.count("pip install 'gensup[testing]'") == 2
        assert "gensup.testing.check_supervision needs hypothesis" in out


def demo_spec() -> Supervisor:
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import restarts
    finally:
        sys.path.pop(0)
    return restarts.SPEC


DEMO_EVENTS = [("JOB", 1), ("QUERY", "stock"), ("QUERY", "poison")]
ONE_FOR_ALL = Supervisor(
    "root",
    [Worker("a", idle), Worker("b", idle), Worker("c", idle)],
    strategy="one_for_all",
    intensity=2,
)


class TestCheckSupervision:
    def test_demo_tree_passes(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The demo tree keeps every invariant."""
        check_supervision(demo_spec(), events=DEMO_EVENTS, max_examples=100, seed=1)

    @settings(suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def test_random_trees_pass(self, data: st.DataObject) -> None:
        """Random trees of several kinds of workers keep every invariant under random schedules."""
        spec = data.draw(gst.specs(workers=[idle, timed, napper, quitter, stubborn]))
        _run(spec, data.draw(gst.crash_schedules(spec, events=["PING"])))

    def failure(self, spec: Supervisor = ONE_FOR_ALL) -> str:
        with pytest.raises(AssertionError) as info:
            check_supervision(spec, max_examples=200, seed=1)
        return str(info.value)

    def test_incomplete_group_restart(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A one_for_all restart that skips siblings fails, with a one-step schedule."""
        monkeypatch.setattr(gensup._core, "restart_group", lambda strategy, kids, failed: [failed])
        message = self.failure()
        assert "(one_for_all) restarted" in message
        assert "did not stop its sibling" in message
        assert "schedule (1 step):\n    1. crash root/" in message

    def test_intensity_ignored(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A supervisor that never gives up fails after intensity + 1 crashes, the shortest way."""
        monkeypatch.setattr(IntensityWindow, "add", lambda self, now: True)
        message = self.failure()
        assert "restarted children 3 times within 5 s (intensity 2) without giving up" in message
        assert "schedule (3 steps):" in message

    def test_stops_in_start_order(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Siblings stopped first started first fail the check."""
        monkeypatch.setattr(gensup._core, "reversed", lambda group: list(group), raising=False)
        message = self.failure()
        assert "siblings must stop last started first" in message

    def test_transient_give_up_restarted(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A transient supervisor that gave up and is restarted anyway fails the check."""
        real = gensup._core.after_exit

        def after_exit(restart: Any, reason: Reason) -> Any:
            return real(gensup.Restart.PERMANENT if reason is Reason.SHUTDOWN else restart, reason)

        monkeypatch.setattr(gensup._core, "after_exit", after_exit)
        inner = Supervisor("s", [Worker("w", idle)], intensity=0, restart="transient")
        message = self.failure(Supervisor("root", [inner], intensity=5))
        assert "root/s (transient) gave up and its parent restarted it" in message
        assert "schedule (1 step):\n    1. crash root/s/w" in message

    def test_resumed_after_stop(self) -> None:
        """A worker generator resumed after its stop report is caught by its wrapper."""
        watch = _Watch(Supervisor("root", [Worker("w", idle)]), VirtualClock())
        (worker,) = watch.wrapped.children
        watch(Started("root"))
        watch(Started("root/w"))
        gen = worker.func()  # type: ignore[union-attr]
        next(gen)
        watch(Stopped("root/w", Reason.CRASH))
        gen.send(("PING",))
        assert watch.broken == "root/w (start 1) was resumed after it stopped"

    def test_restart_group_unpatched(self) -> None:
        """The patched names are those the engine uses (so the tests above test something)."""
        assert gensup._core.restart_group is restart_group
