"""Record and replay: gensup.start(record=...), gensup.testing.replay, crash_at."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import gensup
from gensup import (
    Backoff,
    ChildNotFound,
    RecordError,
    Ref,
    ReplayError,
    Supervisor,
    SupervisorGaveUp,
    VirtualClock,
    Worker,
    WorkerGen,
    call,
    emit,
    sleep,
    waitfor,
)
from gensup._record import RecordingTree, decode, encode
from gensup.reports import Dropped, Report, Stopped
from gensup.testing import Recorder, crash, crash_at, finish, replay


class Boom(Exception):
    """An exception class a record can name."""


def idle() -> WorkerGen:
    while True:
        yield waitfor("PING")


def fragile() -> WorkerGen:
    while True:
        _, n = yield waitfor("JOB", timeout=4)
        if n == 0:
            raise ZeroDivisionError("n is 0")
        yield emit("DONE", n)


def brittle() -> WorkerGen:
    while True:
        _, n = yield waitfor("JOB")
        if n == 0:
            raise ZeroDivisionError("n is 0")


def napper() -> WorkerGen:
    while True:
        yield sleep(1.5)


def pooled() -> WorkerGen:
    while True:
        _, job = yield waitfor("WORK")
        yield emit("DONE", job)


async def fetch(n: int) -> int:
    return n


def caller() -> WorkerGen:
    while True:
        yield waitfor("GO")
        value = yield call(fetch, 1)
        yield emit("GOT", value)


async def never() -> None:
    """A call nobody makes: a worker that needs one."""


def relay() -> WorkerGen:
    while True:
        _, job = yield waitfor("JOB")
        yield emit("LOG", job)
        yield emit("DONE", job)


def careful() -> WorkerGen:
    while True:
        yield waitfor("JOB")
        try:
            yield emit("STEP")
        except Boom:
            yield emit("CAUGHT")


def same(reports: list[Report]) -> list[tuple[object, ...]]:
    """Reports as comparable values: an exception by its type and str; a request's
    `Ref`, fresh in every run, by its place."""
    out: list[tuple[object, ...]] = []
    for report in reports:
        if type(report) is Dropped:
            args = tuple("<ref>" if type(arg) is Ref else arg for arg in report.args)
            out.append((report.event, args, report.to))
        elif type(report) is Stopped and report.exception is not None:
            exc = report.exception
            out.append((report, type(exc), str(exc)))
        else:
            out.append((report,))
    return out


def roundtrip(
    spec: Supervisor,
    script: Callable[[gensup.Tree, VirtualClock], None],
    path: Path,
    **options: Any,
) -> tuple[Recorder, Recorder, gensup.Tree]:
    """Run ``script`` on a recorded tree, replay the record; both report lists."""
    first, again = Recorder(), Recorder()
    clock = VirtualClock()
    tree = gensup.start(spec, clock=clock, observer=first, record=path, **options)
    try:
        script(tree, clock)
    finally:
        if tree.alive:
            tree.stop()
    replayed = replay(spec, path, observer=again)
    assert same(again.reports) == same(first.reports)
    return first, again, replayed


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


class TestRoundTrip:
    """A replayed record gives the same reports, in the same order."""

    def test_timers_and_timeouts(self, tmp_path: Path) -> None:
        """Timeouts, sleeps and crashes fired as a VirtualClock advances replay the same."""
        spec = Supervisor("root", [Worker("f", fragile), Worker("n", napper)], intensity=10)

        def script(tree: gensup.Tree, clock: VirtualClock) -> None:
            tree.signal("JOB", 2)
            clock.advance(5)
            tree.signal("JOB", 0)
            clock.advance(3.25)

        first, _, _ = roundtrip(spec, script, tmp_path / "r.jsonl")
        assert first.stops("root/f", "crash") == 2  # its wait timed out, then n was 0
        ops = [line["op"] for line in lines(tmp_path / "r.jsonl") if "op" in line]
        assert ops[:3] == ["start", "signal", "fire_due"]

    def test_backoff_with_jitter(self, tmp_path: Path) -> None:
        """Restarts delayed by a jittered backoff replay the same delays, seeded or not."""
        spec = Supervisor(
            "root",
            [Worker("f", brittle, backoff=Backoff(1, 30, jitter=0.9))],
            intensity=50,
        )

        def script(tree: gensup.Tree, clock: VirtualClock) -> None:
            for _ in range(6):
                tree.signal("JOB", 0)
                clock.advance(0.7)
                clock.advance(40)

        for seed in (None, 7):
            path = tmp_path / f"r{seed}.jsonl"
            first, _, _ = roundtrip(spec, script, path, seed=seed)
            assert first.starts("root/f") == 7
            readings = [line["now"] for line in lines(path) if "now" in line]
            assert len(set(readings)) > 6  # the jittered deadlines themselves

    def test_calls_completed_and_failed(self, tmp_path: Path) -> None:
        """Calls settled by hand, completed or failed, replay the same."""
        spec = Supervisor("root", [Worker("c", caller), Worker("i", idle)], intensity=5)

        def script(tree: gensup.Tree, clock: VirtualClock) -> None:
            tree.signal("GO")
            (pending,) = tree.pending_calls()
            tree.complete_call(pending, 41)
            assert not tree.complete_call(pending, 41)  # stale: refused, recorded all the same
            tree.signal("GO")
            (pending,) = tree.pending_calls()
            tree.fail_call(pending, Boom("remote down"))
            tree.signal("GO")
            tree.fail_call(tree.pending_calls()[0], ValueError("bad"))

        first, again, _ = roundtrip(spec, script, tmp_path / "r.jsonl")
        crashes = [r for r in again.reports if type(r) is Stopped and r.exception is not None]
        assert [(type(r.exception), str(r.exception)) for r in crashes] == [
            (Boom, "remote down"),
            (ValueError, "bad"),
        ]
        assert first.dropped()[0].event == "GOT"

    def test_dynamic_children(self, tmp_path: Path) -> None:
        """start_child (with a nested supervisor), terminate, restart and delete replay the same."""
        spec = Supervisor("root", [Worker("i", idle)])

        def script(tree: gensup.Tree, clock: VirtualClock) -> None:
            tree.start_child("root", Worker("late", napper, restart="transient"))
            tree.start_child(
                "root",
                Supervisor(
                    "pool",
                    [Worker("a", pooled, args=()), Worker("b", fragile, kwargs={})],
                    strategy="one_for_all",
                    backoff=Backoff(0.5, 2),
                ),
            )
            clock.advance(2)
            tree.terminate_child("root/late")
            tree.restart_child("root/late")
            tree.terminate_child("root/late")
            tree.delete_child("root/late")
            with pytest.raises(ChildNotFound):
                tree.delete_child("root/late")
            tree.signal("JOB", 0, to="root/pool")
            clock.advance(1)

        first, _, replayed = roundtrip(spec, script, tmp_path / "r.jsonl")
        assert first.starts("root/pool/a") == 2
        assert not replayed.alive

    def test_one_of_n_and_keys(self, tmp_path: Path) -> None:
        """One-of-N signals, keyed signals and backlogs replay the same."""
        pool = Supervisor("pool", [Worker(f"w{i}", pooled) for i in range(4)], backlog=3)
        spec = Supervisor("root", [pool])

        def script(tree: gensup.Tree, clock: VirtualClock) -> None:
            for job in range(6):
                tree.signal("WORK", job, to="root/pool", one=True)
            for key in ("a", b"b", 3, (1, "x"), None):
                tree.signal("WORK", key, to="root/pool", key=key)
            tree.signal("WORK", [1.5, float("inf")], one=True)

        first, _, _ = roundtrip(spec, script, tmp_path / "r.jsonl")
        assert len(first.dropped()) == 12  # every DONE: nobody listens

    def test_crash_finish_and_listeners(self, tmp_path: Path) -> None:
        """The test kit's crash, finish and crash_at, and listeners, replay the same."""
        spec = Supervisor("root", [Worker("r", relay), Worker("i", idle)], intensity=9)

        def script(tree: gensup.Tree, clock: VirtualClock) -> None:
            listener = tree.listen("DONE", lambda message: None)
            crash(tree, "root/i", Boom("by hand"))
            finish(tree, "root/i")
            crash_at(tree, "root/r", 2, Boom("before DONE"))
            tree.signal("JOB", 1)
            tree.signal("JOB", 2)
            listener.cancel()
            tree.signal("JOB", 3)

        first, _, _ = roundtrip(spec, script, tmp_path / "r.jsonl")
        assert first.stops("root/r", "crash") == 1
        assert [d.event for d in first.dropped()] == ["LOG", "LOG", "LOG", "DONE"]

    def test_requests(self, tmp_path: Path) -> None:
        """Requests, answered or not, replay the same."""

        def doubler() -> WorkerGen:
            while True:
                _, n, reply = yield waitfor("DOUBLE")
                yield emit(reply, 2 * n)

        spec = Supervisor("root", [Worker("d", doubler)])

        def script(tree: gensup.Tree, clock: VirtualClock) -> None:
            assert tree.request("DOUBLE", 21) == 42
            assert tree.send_request("DOUBLE", 1).result() == 2
            with pytest.raises(gensup.RequestFailed):
                tree.request("TRIPLE", 1)

        roundtrip(spec, script, tmp_path / "r.jsonl")

    def test_give_up_and_the_tree_goes_on(self, tmp_path: Path) -> None:
        """A give-up recorded raises the same in the replay, which returns the stopped tree;
        a replay of a running tree goes on with the clock given."""
        spec = Supervisor("root", [Worker("f", fragile)], intensity=1)

        def script(tree: gensup.Tree, clock: VirtualClock) -> None:
            tree.signal("JOB", 0)
            with pytest.raises(SupervisorGaveUp):
                tree.signal("JOB", 0)

        first, _, replayed = roundtrip(spec, script, tmp_path / "r.jsonl")
        assert first.gave_up() == ["root"]
        assert not replayed.alive

        spec = Supervisor("root", [Worker("f", fragile)], intensity=5)
        path = tmp_path / "running.jsonl"
        clock = VirtualClock()
        with gensup.start(spec, clock=clock, record=path) as tree:
            clock.advance(3)
            tree.signal("JOB", 0)
        lines_before = path.read_text(encoding="utf-8").splitlines()
        path.write_text("\n".join(lines_before[:-1]) + "\n", encoding="utf-8")  # no stop
        later = VirtualClock()
        seen = Recorder()
        tree = replay(spec, path, observer=seen, clock=later)
        assert tree.alive
        assert later.now() == 3.0
        later.advance(4)  # the restarted worker's wait times out at 3 + 4
        assert seen.stops("root/f", "crash") == 2
        assert tree.next_deadline() == 11.0
        tree.stop()


class TestRecordErrors:
    """What a record cannot hold is refused by the call that was given it."""

    def test_unwritable_argument(self, tmp_path: Path) -> None:
        """An argument JSON cannot hold names the call, the field and the value."""
        with gensup.start(Supervisor("root", [Worker("i", idle)]), record=tmp_path / "r") as tree:
            with pytest.raises(
                RecordError, match=r"Tree.signal\(\): cannot record args\[1\]\[0\] = \{1, 2\}"
            ):
                tree.signal("PING", 1, [{1, 2}])
            with pytest.raises(RecordError, match=r"Tree.signal\(\): cannot record key = "):
                tree.signal("PING", key=frozenset())
            with pytest.raises(RecordError, match=r"cannot record event = <object"):
                tree.signal(object())
            assert tree.statistics().delivered == 0  # refused before any change
        recorded = [line.get("op") for line in lines(tmp_path / "r")]
        assert "signal" not in recorded

    def test_unwritable_exception_and_spec(self, tmp_path: Path) -> None:
        """An exception class or a worker function that cannot be imported back is refused."""

        class Local(Exception):
            pass

        with gensup.start(Supervisor("root", [Worker("i", idle)]), record=tmp_path / "r") as tree:
            with pytest.raises(RecordError, match=r"crash\(\): cannot record exc = Local"):
                crash(tree, "root/i", Local("x"))
            with pytest.raises(RecordError, match=r"start_child\(\): cannot record spec.func"):
                tree.start_child("root", Worker("l", lambda: idle()))
            with pytest.raises(
                RecordError, match=r"cannot record spec.children\[0\].args\[0\] = <object"
            ):
                tree.start_child("root", Supervisor("s", [Worker("w", pooled, args=(object(),))]))
            with pytest.raises(RecordError, match=r"fail_call\(\)"):
                tree.fail_call(_pending(tree), Local())
            assert tree.status() == {"root/i": ("PING",), "root/c": ()}

    def test_values_round_trip(self) -> None:
        """Tuples, bytes, dicts and non-finite floats come back as they were."""
        value = (1, 2.5, b"\x00", [None, True], {"a": (1,), 2: float("-inf")}, "é")
        assert decode(json.loads(json.dumps(encode(value, "call", "f")))) == value
        nan = decode(encode(float("nan"), "call", "f"))
        assert nan != nan

    def test_not_recording_is_a_plain_tree(self, tmp_path: Path) -> None:
        """Without record= the tree is a plain Tree; with it, each line is on disk at once."""
        spec = Supervisor("root", [Worker("i", idle)])
        with gensup.start(spec) as tree:
            assert type(tree) is gensup.Tree
        path = tmp_path / "r"
        with gensup.start(spec, record=path) as tree:
            assert isinstance(tree, RecordingTree)
            tree.signal("PING", 1)
            assert lines(path)[-1] == {"op": "signal", "event": "PING", "args": [1]}
        with pytest.raises(gensup.InvalidSpecType, match="'record' must be a path"):
            gensup.start(spec, record=3)  # type: ignore[arg-type]


def _pending(tree: gensup.Tree) -> gensup.PendingCall:
    tree.start_child("root", Worker("c", caller))
    tree.signal("GO")
    return tree.pending_calls()[0]


class TestReplayErrors:
    """A record that does not fit is refused with the line that is wrong."""

    @pytest.fixture
    def record(self, tmp_path: Path) -> Path:
        path = tmp_path / "r.jsonl"
        with gensup.start(Supervisor("root", [Worker("i", idle)]), record=path) as tree:
            tree.signal("PING")
        return path

    def test_other_spec(self, record: Path) -> None:
        """A spec of another shape is refused, with where the two differ."""
        other = Supervisor("root", [Worker("i", idle), Worker("j", idle)])
        with pytest.raises(ReplayError, match="line 1: the record was made with another spec"):
            replay(other, record)

    def test_unknown_version(self, record: Path) -> None:
        """A format version this gensup does not know is refused."""
        text = record.read_text(encoding="utf-8").replace('"version": 1', '"version": 99')
        record.write_text(text, encoding="utf-8")
        with pytest.raises(ReplayError, match="line 1: record format version 99"):
            replay(Supervisor("root", [Worker("i", idle)]), record)

    @pytest.mark.parametrize(
        ("bad", "message"),
        [
            ("{nope", "line 4: malformed"),
            ("[1]", "line 4: malformed: not a JSON object"),
            ('{"op": "dance"}', "line 4: malformed: unknown input 'dance'"),
            ('{"now": "soon"}', "line 4: malformed: a clock reading is a number"),
            ('{"op": "signal", "args": []}', "line 4: malformed 'signal' input: no field 'event'"),
        ],
    )
    def test_malformed_line(self, record: Path, bad: str, message: str) -> None:
        """A malformed line is named by its number."""
        text = record.read_text(encoding="utf-8").splitlines()
        text.insert(3, bad)
        record.write_text("\n".join(text) + "\n", encoding="utf-8")
        with pytest.raises(ReplayError, match=message):
            replay(Supervisor("root", [Worker("i", idle)]), record)

    def test_diverging_run(self, record: Path) -> None:
        """A run that goes another way than the recorded one is caught at its line."""
        text = record.read_text(encoding="utf-8").replace('"PING"', '"PONG"')
        text = text.replace(
            '{"op": "stop"}',
            '{"op": "signal", "event": "PING", "args": []}\n{"raised": "builtins:KeyError"}',
        )
        record.write_text(text, encoding="utf-8")
        with pytest.raises(ReplayError, match=r"line 3: the replayed 'signal' read the clock more"):
            replay(Supervisor("root", [Worker("i", idle)]), record)


class TestCrashAt:
    """crash_at: raise at the n-th yield from now."""

    def test_crash_between_two_emits(self) -> None:
        """The exception is thrown at the n-th yield, and the supervisor restarts the worker."""
        seen = Recorder()
        with gensup.start(Supervisor("root", [Worker("r", relay)]), observer=seen) as tree:
            crash_at(tree, "root/r", 2, Boom("at DONE"))
            tree.signal("JOB", 1)
            assert [d.event for d in seen.dropped()] == ["LOG"]
            assert seen.stops("root/r", "crash") == 1
            tree.signal("JOB", 2)
            assert [d.event for d in seen.dropped()] == ["LOG", "LOG", "DONE"]
        crashed = [r for r in seen.reports if type(r) is Stopped and r.exception is not None]
        assert str(crashed[0].exception) == "at DONE"

    def test_worker_may_catch_it(self) -> None:
        """A try around the yield catches it, and the worker goes on unwrapped."""
        seen = Recorder()
        with gensup.start(Supervisor("root", [Worker("c", careful)]), observer=seen) as tree:
            crash_at(tree, "root/c", 1, Boom())
            tree.signal("JOB")
            tree.signal("JOB")
            node = tree._find("root/c")[0]
            assert type(node.gen).__name__ == "generator"  # type: ignore[union-attr]
        assert [d.event for d in seen.dropped()] == ["CAUGHT", "STEP"]
        assert seen.stops("root/c", "crash") == 0

    def test_wrapper_gone_with_incarnation(self) -> None:
        """A worker that ends before its n-th yield takes the wrapper with it."""
        with gensup.start(Supervisor("root", [Worker("r", relay)], intensity=5)) as tree:
            crash_at(tree, "root/r", 50, Boom())
            crash(tree, "root/r", ValueError())
            for job in range(30):
                tree.signal("JOB", job)
            assert tree.statistics()["root/r"].restarts == 1
            tree.stop()

    def test_closing_a_wrapped_worker(self) -> None:
        """A wrapped worker is closed by stop as any other: its finally blocks run."""
        closed = []

        def holder() -> WorkerGen:
            try:
                while True:
                    yield waitfor("X")
            finally:
                closed.append(True)

        with gensup.start(Supervisor("root", [Worker("h", holder)])) as tree:
            crash_at(tree, "root/h", 3, Boom())
        assert closed == [True]

    def test_refusals(self) -> None:
        """Bad arguments and paths are refused before anything changes."""
        with gensup.start(Supervisor("root", [Worker("r", relay)])) as tree:
            with pytest.raises(ValueError, match="'nth_yield' must be >= 1"):
                crash_at(tree, "root/r", 0, Boom())
            with pytest.raises(TypeError, match="'exc' must be an exception instance"):
                crash_at(tree, "root/r", 1, "boom")  # type: ignore[arg-type]
            with pytest.raises(ChildNotFound, match="is a supervisor"):
                crash_at(tree, "root", 1, Boom())
            with pytest.raises(ChildNotFound, match="no child"):
                crash_at(tree, "root/x", 1, Boom())


# ---- Random scripts, recorded then replayed ----

_PATHS = ["root/f", "root/n", "root/pool/a", "root/pool/b"]

_actions = st.one_of(
    st.tuples(st.just("signal"), st.sampled_from(["JOB", "WORK", "PING"]), st.integers(0, 3)),
    st.tuples(st.just("one"), st.sampled_from(["WORK", "JOB"]), st.integers(0, 3)),
    st.tuples(st.just("key"), st.sampled_from(["WORK", "JOB"]), st.integers(0, 5)),
    st.tuples(st.just("advance"), st.sampled_from([0.5, 1.5, 4.0, 10.0]), st.just(0)),
    st.tuples(st.just("crash"), st.sampled_from(_PATHS), st.just(0)),
    st.tuples(st.just("finish"), st.sampled_from(_PATHS), st.just(0)),
    st.tuples(st.just("crash_at"), st.sampled_from(_PATHS), st.integers(1, 3)),
    st.tuples(st.just("terminate"), st.sampled_from(_PATHS), st.just(0)),
    st.tuples(st.just("restart"), st.sampled_from(_PATHS), st.just(0)),
)


def _apply(tree: gensup.Tree, clock: VirtualClock, action: tuple[str, Any, Any]) -> None:
    kind, a, b = action
    try:
        if kind == "signal":
            tree.signal(a, b)
        elif kind == "one":
            tree.signal(a, b, to="root/pool", one=True)
        elif kind == "key":
            tree.signal(a, b, to="root/pool", key=b)
        elif kind == "advance":
            clock.advance(a)
        elif kind == "crash":
            crash(tree, a, Boom(a))
        elif kind == "finish":
            finish(tree, a)
        elif kind == "crash_at":
            crash_at(tree, a, b, Boom(a))
        elif kind == "terminate":
            tree.terminate_child(a)
        else:
            tree.restart_child(a)
    except (ChildNotFound, gensup.ChildRunning, gensup.ChildRestarting, gensup.StartFailed):
        pass


@given(st.lists(_actions, max_size=25), st.integers(0, 3))
def test_random_scripts_replay_the_same(
    tmp_path_factory: pytest.TempPathFactory, script: list[tuple[str, Any, Any]], seed: int
) -> None:
    """Any script of signals, time, crashes and dynamic calls replays to the same reports."""
    pool = Supervisor(
        "pool",
        [Worker("a", pooled), Worker("b", fragile, backoff=Backoff(1, 8, jitter=0.5))],
        strategy="rest_for_one",
        backlog=2,
        intensity=4,
    )
    spec = Supervisor("root", [Worker("f", fragile), Worker("n", napper), pool], intensity=6)
    path = tmp_path_factory.mktemp("replay") / "r.jsonl"

    def script_run(tree: gensup.Tree, clock: VirtualClock) -> None:
        for action in script:
            if not tree.alive:
                break
            try:
                _apply(tree, clock, action)
            except SupervisorGaveUp:
                break

    roundtrip(spec, script_run, path, seed=seed)


class TestReplayOptions:
    """replay against changed code, and records made under the async driver."""

    def test_not_strict_runs_fixed_code(self, tmp_path: Path) -> None:
        """With strict=False the recorded inputs reach code that now goes another way."""
        path = tmp_path / "r.jsonl"
        spec = Supervisor("root", [Worker("f", brittle)], intensity=5)
        with gensup.start(spec, clock=VirtualClock(), record=path) as tree:
            tree.signal("JOB", 0)
            tree.signal("JOB", 1)
        other = Supervisor("root", [Worker("f", brittle)], intensity=5)
        text = path.read_text(encoding="utf-8").replace('"args": [0]', '"args": [2]')
        path.write_text(text, encoding="utf-8")  # as if the code no longer crashed
        with pytest.raises(ReplayError, match="read the clock fewer times"):
            replay(other, path)
        seen = Recorder()
        replay(other, path, observer=seen, strict=False)
        assert seen.stops("root/f", "crash") == 0

    def test_async_driver(self, tmp_path: Path) -> None:
        """A tree run by gensup.aio replays without an event loop."""
        import anyio

        import gensup.aio

        def sleeper() -> WorkerGen:
            while True:
                _, n = yield waitfor("GO")
                value = yield call(fetch, n)
                yield sleep(0.001)
                yield emit("OUT", value)

        spec = Supervisor("root", [Worker("s", sleeper)])
        path = tmp_path / "aio.jsonl"
        first, again = Recorder(), Recorder()

        async def main() -> None:
            async with gensup.aio.start(spec, record=path, observer=first) as tree:
                tree.signal("GO", 1)
                await anyio.sleep(0.05)

        anyio.run(main)
        replay(spec, path, observer=again)
        assert same(again.reports) == same(first.reports)
        assert [d.event for d in again.dropped()] == ["OUT"]
        ops = [line["op"] for line in lines(path) if "op" in line]
        assert "complete_call" in ops
        assert "fire_due" in ops

    def test_record_survives_a_dead_program(self, tmp_path: Path) -> None:
        """A program that dies without stopping its tree leaves a record that replays."""
        import subprocess
        import sys

        path = tmp_path / "r.jsonl"
        program = (
            "import os, sys; sys.path.insert(0, sys.argv[1]); import gensup, test_record as t\n"
            "tree = gensup.start(t.Supervisor('root', [t.Worker('f', t.brittle)]), "
            "record=sys.argv[2])\n"
            "tree.signal('JOB', 1); tree.signal('JOB', 0)\n"
            "os._exit(3)\n"
        )
        tests = str(Path(__file__).resolve().parent)
        done = subprocess.run(
            [sys.executable, "-c", program, tests, str(path)], capture_output=True, check=False
        )
        assert done.returncode == 3
        seen = Recorder()
        tree = replay(Supervisor("root", [Worker("f", brittle)]), path, observer=seen)
        assert tree.alive
        assert seen.lines() == ["start root", "start root/f", "stop root/f crash", "start root/f"]
        tree.stop()
