"""Routing beyond broadcast: one of N, backlogs, keys, request and reply, listeners."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

import gensup
from gensup import (
    TIMEOUT,
    Backoff,
    ChildState,
    ReplyNotReady,
    RequestFailed,
    Supervisor,
    VirtualClock,
    Worker,
    emit,
    ref,
    waitfor,
    whoami,
)
from gensup.reports import Dropped
from gensup.testing import Recorder

Gen = Generator[Any, Any, None]


def fetcher(log: list[tuple[str, object]], name: str) -> Gen:
    """Takes jobs one at a time; a job 'crash' crashes it."""
    while True:
        _, job = yield waitfor("JOB")
        log.append((name, job))
        if job == "crash":
            raise RuntimeError("bad job")


def busy_fetcher(log: list[tuple[str, object]], name: str) -> Gen:
    """Takes a job, then waits for DONE before taking the next."""
    while True:
        _, job = yield waitfor("JOB")
        log.append((name, job))
        yield waitfor("DONE")


def pool(log: list[tuple[str, object]], n: int = 3, backlog: int = 0, func: Any = fetcher) -> Any:
    return Supervisor(
        "root",
        [
            Supervisor(
                "pool",
                [Worker(f"f{i}", func, args=(log, f"f{i}")) for i in range(1, n + 1)],
                backlog=backlog,
                intensity=10,
            )
        ],
    )


class TestOneOfN:
    def test_each_event_reaches_one_worker_in_turn(self) -> None:
        """one=True gives each job to one fetcher: the one that waited longest, in turn."""
        log: list[tuple[str, object]] = []
        with gensup.start(pool(log)) as tree:
            counts = [tree.signal("JOB", j, to="root/pool", one=True) for j in range(6)]
        assert counts == [1] * 6
        assert log == [
            ("f1", 0),
            ("f2", 1),
            ("f3", 2),
            ("f1", 3),
            ("f2", 4),
            ("f3", 5),
        ]

    def test_busy_workers_are_skipped(self) -> None:
        """A worker waiting for something else does not get the event."""
        log: list[tuple[str, object]] = []
        with gensup.start(pool(log, func=busy_fetcher)) as tree:
            for job in range(3):
                tree.signal("JOB", job, to="root/pool", one=True)
            assert tree.signal("JOB", 3, to="root/pool", one=True) == 0
            tree.signal("DONE", to="root/pool/f2")
            assert tree.signal("JOB", 4, to="root/pool", one=True) == 1
        assert log[-1] == ("f2", 4)

    def test_no_waiter_and_no_backlog_is_dropped(self) -> None:
        """With no backlog, an event no worker waits for is reported Dropped."""
        log: list[tuple[str, object]] = []
        recorder = Recorder()
        with gensup.start(pool(log, n=0), observer=recorder) as tree:
            assert tree.signal("JOB", 1, to="root/pool", one=True) == 0
        assert recorder.dropped() == [Dropped("JOB", (1,), "root/pool")]

    def test_whole_tree_by_default(self) -> None:
        """one=True without a path picks among every waiting worker of the tree."""
        log: list[tuple[str, object]] = []
        with gensup.start(pool(log)) as tree:
            assert tree.signal("JOB", "x", one=True) == 1
        assert log == [("f1", "x")]

    def test_emit_one(self) -> None:
        """A worker's emit(..., one=True) reaches one worker of the pool."""
        log: list[tuple[str, object]] = []

        def dispatcher() -> Gen:
            while True:
                _, n = yield waitfor("BATCH")
                for job in range(n):
                    yield emit("JOB", job, to="root/pool", one=True)

        spec = pool(log)
        spec = Supervisor("root", [*spec.children, Worker("d", dispatcher)])
        with gensup.start(spec) as tree:
            tree.signal("BATCH", 4)
        assert log == [("f1", 0), ("f2", 1), ("f3", 2), ("f1", 3)]


class TestBacklog:
    def test_held_events_go_out_in_order_as_workers_wait(self) -> None:
        """Events no worker waits for are kept, then handed out in order, before anything else."""
        log: list[tuple[str, object]] = []
        with gensup.start(pool(log, n=2, backlog=5, func=busy_fetcher)) as tree:
            for job in range(5):
                tree.signal("JOB", job, to="root/pool", one=True)
            assert tree.count_children("root/pool").backlog == 3
            tree.signal("DONE", to="root/pool")  # both take the next held job at once
            assert tree.count_children("root/pool").backlog == 1
            tree.signal("DONE", to="root/pool/f1")
            assert tree.count_children("root/pool").backlog == 0
        assert log == [("f1", 0), ("f2", 1), ("f1", 2), ("f2", 3), ("f1", 4)]

    def test_over_the_bound_is_dropped_and_counted(self) -> None:
        """Past its bound the backlog keeps nothing more: the event is Dropped."""
        log: list[tuple[str, object]] = []
        recorder = Recorder()
        with gensup.start(pool(log, n=0, backlog=2), observer=recorder) as tree:
            for job in range(4):
                tree.signal("JOB", job, to="root/pool", one=True)
            assert tree.count_children("root/pool").backlog == 2
            assert tree.dropped == 2
        assert [d.args for d in recorder.dropped()][:2] == [(2,), (3,)]

    def test_a_job_for_a_crashed_worker_waits_for_its_restart(self) -> None:
        """A job sent while the only fetcher is restarting (backoff) is kept and done after."""
        log: list[tuple[str, object]] = []
        clock = VirtualClock()
        spec = Supervisor(
            "root",
            [
                Supervisor(
                    "pool",
                    [Worker("f", fetcher, args=(log, "f"), backoff=Backoff(1, 1))],
                    backlog=10,
                )
            ],
        )
        with gensup.start(spec, clock=clock) as tree:
            tree.signal("JOB", "crash", to="root/pool", one=True)
            assert tree.which_children("root/pool")[0].state is ChildState.RESTARTING
            assert tree.signal("JOB", "next", to="root/pool", one=True) == 0
            clock.advance(1)
        assert log == [("f", "crash"), ("f", "next")]

    def test_the_backlog_dies_with_its_supervisor(self) -> None:
        """What a supervisor held is reported Dropped when it stops; its next one starts empty."""
        log: list[tuple[str, object]] = []
        recorder = Recorder()
        with gensup.start(pool(log, n=0, backlog=5), observer=recorder) as tree:
            tree.signal("JOB", 1, to="root/pool", one=True)
            tree.signal("JOB", 2, to="root/pool", one=True)
            tree.terminate_child("root/pool")
            assert [d.args for d in recorder.dropped()] == [(1,), (2,)]
            tree.restart_child("root/pool")
            assert tree.count_children("root/pool").backlog == 0
            tree.start_child("root/pool", Worker("late", fetcher, args=(log, "late")))
        assert log == []

    def test_broadcast_events_are_never_held(self) -> None:
        """Only events sent to one worker are kept; a plain signal nobody waits for is dropped."""
        log: list[tuple[str, object]] = []
        with gensup.start(pool(log, n=0, backlog=5)) as tree:
            assert tree.signal("JOB", 1, to="root/pool") == 0
            assert tree.count_children("root/pool").backlog == 0
            assert tree.dropped == 1


class TestKeys:
    def test_same_key_same_child(self) -> None:
        """Every event with the same key goes to the same child."""
        seen: dict[str, set[str]] = {}

        def session(name: str) -> Gen:
            while True:
                _, user = yield waitfor("MSG")
                seen.setdefault(user, set()).add(name)

        spec = Supervisor(
            "root",
            [Supervisor("sessions", [Worker(f"s{i}", session, args=(f"s{i}",)) for i in range(4)])],
        )
        users = [f"user{i}" for i in range(20)]
        with gensup.start(spec) as tree:
            for _ in range(3):
                for user in users:
                    tree.signal("MSG", user, to="root/sessions", key=user)
        assert all(len(names) == 1 for names in seen.values())
        assert len({name for names in seen.values() for name in names}) > 1

    def test_a_restarted_child_keeps_its_keys(self) -> None:
        """After a crash and restart, a key still goes to the child at the same position."""
        got: list[tuple[str, int, object]] = []

        def session(name: str) -> Gen:
            _, incarnation = yield whoami()
            while True:
                _, _user, what = yield waitfor("MSG")
                got.append((name, incarnation, what))
                if what == "crash":
                    raise RuntimeError("crash")

        spec = Supervisor(
            "root",
            [
                Supervisor(
                    "sessions",
                    [Worker(f"s{i}", session, args=(f"s{i}",)) for i in range(3)],
                    intensity=5,
                )
            ],
        )
        with gensup.start(spec) as tree:
            tree.signal("MSG", "ann", "hello", to="root/sessions", key="ann")
            tree.signal("MSG", "ann", "crash", to="root/sessions", key="ann")
            tree.signal("MSG", "ann", "again", to="root/sessions", key="ann")
        assert [name for name, _, _ in got] == [got[0][0]] * 3
        assert [incarnation for _, incarnation, _ in got] == [1, 1, 2]

    def test_a_key_whose_child_is_busy_waits_in_its_share(self) -> None:
        """The event waits for the child its key chose, not for any free sibling."""
        log: list[tuple[str, object]] = []
        spec = pool(log, n=3, backlog=5, func=busy_fetcher)
        with gensup.start(spec) as tree:
            tree.signal("JOB", "a", to="root/pool", key="k")
            chosen = log[-1][0]
            tree.signal("JOB", "b", to="root/pool", key="k")
            assert tree.count_children("root/pool").backlog == 1
            others = [f"f{i}" for i in (1, 2, 3) if f"f{i}" != chosen]
            for other in others:
                tree.signal("DONE", to=f"root/pool/{other}")
            assert log[-1] == (chosen, "a")
            tree.signal("DONE", to=f"root/pool/{chosen}")
            assert log[-1] == (chosen, "b")

    def test_a_key_needs_a_supervisor(self) -> None:
        """key= routes among a supervisor's children: a worker's path is refused."""
        log: list[tuple[str, object]] = []
        with gensup.start(pool(log)) as tree, pytest.raises(ValueError, match="is a worker"):
            tree.signal("JOB", 1, to="root/pool/f1", key="k")

    def test_a_key_of_another_type_is_refused(self) -> None:
        """Keys must hash the same in every process: an object is refused."""
        log: list[tuple[str, object]] = []
        with gensup.start(pool(log)) as tree, pytest.raises(TypeError, match="routing key"):
            tree.signal("JOB", 1, to="root/pool", key=object())


class TestWhoami:
    def test_path_and_incarnation(self) -> None:
        """whoami() resumes the worker at once with its path and incarnation."""
        seen: list[object] = []

        def worker() -> Gen:
            seen.append((yield whoami()))
            yield waitfor("CRASH")
            raise RuntimeError("crash")

        with gensup.start(Supervisor("root", [Worker("w", worker)])) as tree:
            tree.signal("CRASH")
        assert seen == [("root/w", 1), ("root/w", 2)]


def replier() -> Gen:
    """Answers GET key -> key*2; 'boom' crashes it; 'late' never answers."""
    while True:
        _, key, reply = yield waitfor("GET")
        if key == "boom":
            raise KeyError(key)
        if key != "late":
            yield emit(reply, key * 2)


class TestRequestReply:
    def test_worker_to_worker(self) -> None:
        """A worker sends its ref with the request and gets the reply emitted to it."""
        got: list[object] = []

        def client() -> Gen:
            yield waitfor("GO")
            reply = ref()
            yield emit("GET", 21, reply, to="root/service", one=True)
            got.append((yield waitfor(reply, timeout=5)))
            yield waitfor("NEVER")

        spec = Supervisor(
            "root", [Supervisor("service", [Worker("r", replier)]), Worker("c", client)]
        )
        with gensup.start(spec, clock=VirtualClock()) as tree:
            tree.signal("GO")
        assert got[0][1] == 42

    def test_a_reply_to_a_requester_that_gave_up_is_dropped(self) -> None:
        """A requester that timed out never gets the late reply: it is reported Dropped."""
        got: list[object] = []
        recorder = Recorder()
        clock = VirtualClock()
        replies: list[Any] = []

        def slow() -> Gen:
            _, _key, reply = yield waitfor("GET")
            replies.append(reply)
            yield waitfor("ANSWER")
            yield emit(reply, "late")
            yield waitfor("NEVER")

        def client() -> Gen:
            reply = ref()
            yield emit("GET", 1, reply, one=True)
            got.append((yield waitfor(reply, timeout=1))[0])
            yield waitfor("NEVER")

        spec = Supervisor("root", [Worker("s", slow), Worker("c", client)])
        with gensup.start(spec, clock=clock, observer=recorder) as tree:
            clock.advance(1)
            tree.signal("ANSWER")
        assert got == [TIMEOUT]
        assert [d.event for d in recorder.dropped()] == replies

    def test_request_from_outside_returns_the_reply(self) -> None:
        """tree.request delivers (event, *args, ref) and returns what is emitted to the ref."""
        spec = Supervisor("root", [Supervisor("svc", [Worker("a", replier), Worker("b", replier)])])
        with gensup.start(spec) as tree:
            assert tree.request("GET", 5, to="root/svc") == 10
            assert tree.request("GET", "ab", to="root/svc") == "abab"
            assert tree.dropped == 0

    def test_a_crash_while_handling_makes_the_request_raise(self) -> None:
        """The request raises RequestFailed naming the worker and its exception."""
        spec = Supervisor("root", [Supervisor("svc", [Worker("a", replier)], intensity=5)])
        with gensup.start(spec) as tree:
            with pytest.raises(RequestFailed, match=r"root/svc/a crashed .*KeyError") as caught:
                tree.request("GET", "boom", to="root/svc")
            assert isinstance(caught.value.__cause__, KeyError)

    def test_a_reply_that_needs_time_is_a_clear_error(self) -> None:
        """Without a reply within the call, the plain core says the async driver is needed."""
        spec = Supervisor("root", [Supervisor("svc", [Worker("a", replier)])])
        with gensup.start(spec) as tree, pytest.raises(ReplyNotReady, match=r"gensup\.aio"):
            tree.request("GET", "late", to="root/svc")

    def test_nobody_to_take_it(self) -> None:
        """A request no worker takes (and no backlog keeps) fails at once."""
        with (
            gensup.start(Supervisor("root")) as tree,
            pytest.raises(RequestFailed, match="no worker"),
        ):
            tree.request("GET", 1)


class TestListeners:
    def test_a_listener_hears_emitted_results_after_the_workers(self) -> None:
        """The callback gets (event, *args) after the workers that waited for it; not Dropped."""
        order: list[object] = []

        def producer() -> Gen:
            while True:
                _, n = yield waitfor("WORK")
                yield emit("RESULT", n * n)

        def consumer() -> Gen:
            while True:
                _, n = yield waitfor("RESULT")
                order.append(("worker", n))

        spec = Supervisor("root", [Worker("p", producer), Worker("c", consumer)])
        recorder = Recorder()
        with gensup.start(spec, observer=recorder) as tree:
            handle = tree.listen("RESULT", lambda message: order.append(("listener", message)))
            tree.signal("WORK", 3)
            handle.cancel()
            tree.signal("WORK", 4)
        assert order == [("worker", 9), ("listener", ("RESULT", 9)), ("worker", 16)]
        assert recorder.dropped() == []

    def test_an_event_heard_only_by_a_listener_is_not_dropped(self) -> None:
        """An event that no worker waits for but a listener hears is not reported Dropped."""
        heard: list[object] = []
        recorder = Recorder()
        with gensup.start(Supervisor("root"), observer=recorder) as tree:
            tree.listen("DONE", heard.append)
            assert tree.signal("DONE", 1) == 0
        assert heard == [("DONE", 1)]
        assert recorder.dropped() == []

    def test_a_failing_listener_is_logged_and_the_tree_goes_on(self) -> None:
        """An exception in a listener does not reach the caller or stop the tree."""

        def bad(message: object) -> None:
            raise ValueError("listener bug")

        with gensup.start(Supervisor("root")) as tree:
            tree.listen("X", bad)
            tree.signal("X")
            assert tree.alive


class TestMore:
    def test_a_listener_that_calls_the_tree_gets_reentrant_call(self) -> None:
        """A listener may not call a mutating method: it gets ReentrantCall, the tree goes on."""
        errors: list[BaseException] = []

        with gensup.start(Supervisor("root")) as tree:

            def meddler(message: object) -> None:
                try:
                    tree.signal("OTHER")
                except gensup.ReentrantCall as error:
                    errors.append(error)

            tree.listen("X", meddler)
            tree.signal("X")
            assert tree.alive
        assert len(errors) == 1

    def test_emit_with_a_key(self) -> None:
        """A worker's emit(..., key=k) reaches the child the key chooses, every time."""
        seen: list[tuple[str, str]] = []

        def session(name: str) -> Gen:
            while True:
                _, user = yield waitfor("MSG")
                seen.append((user, name))

        def front() -> Gen:
            while True:
                _, user = yield waitfor("IN")
                yield emit("MSG", user, to="root/s", key=user)

        spec = Supervisor(
            "root",
            [
                Supervisor("s", [Worker(f"s{i}", session, args=(f"s{i}",)) for i in range(3)]),
                Worker("front", front),
            ],
        )
        with gensup.start(spec) as tree:
            for user in ["ann", "cy", "dee", "ann", "cy", "dee"]:
                tree.signal("IN", user)
        by_user: dict[str, set[str]] = {}
        for user, name in seen:
            by_user.setdefault(user, set()).add(name)
        assert len(seen) == 6
        assert all(len(names) == 1 for names in by_user.values())

    def test_a_held_event_goes_out_before_a_later_one(self) -> None:
        """A worker that waits again gets the held event, not the next one sent."""
        log: list[tuple[str, object]] = []
        with gensup.start(pool(log, n=1, backlog=5, func=busy_fetcher)) as tree:
            tree.signal("JOB", 1, to="root/pool", one=True)
            tree.signal("JOB", 2, to="root/pool", one=True)
            tree.signal("DONE", to="root/pool")
            tree.signal("JOB", 3, to="root/pool", one=True)
        assert log == [("f1", 1), ("f1", 2)]

    def test_send_request_settles_later(self) -> None:
        """A PendingRequest settles when the reply comes, later, and runs its callbacks."""
        clock = VirtualClock()

        def slow() -> Gen:
            while True:
                _, n, reply = yield waitfor("GET")
                yield gensup.sleep(1)
                yield emit(reply, n, n + 1)

        done: list[object] = []
        with gensup.start(Supervisor("root", [Worker("s", slow)]), clock=clock) as tree:
            pending = tree.send_request("GET", 1)
            pending.add_done_callback(lambda p: done.append(p.result()))
            assert not pending.done
            with pytest.raises(ReplyNotReady):
                pending.result()
            clock.advance(1)
            assert pending.done
            assert pending.result() == (1, 2)
            assert pending.handler == "root/s"
        assert done == [(1, 2)]

    def test_a_request_times_out(self) -> None:
        """send_request(timeout=) fails with TimeoutError when its timer fires first."""
        clock = VirtualClock()
        spec = Supervisor("root", [Supervisor("svc", [Worker("a", replier)])])
        with gensup.start(spec, clock=clock) as tree:
            pending = tree.send_request("GET", "late", to="root/svc", timeout=2)
            clock.advance(2)
            assert pending.done
            with pytest.raises(TimeoutError):
                pending.result()

    def test_a_cancelled_request_drops_its_late_reply(self) -> None:
        """After cancel(), the reply reaches nobody and is reported Dropped."""
        recorder = Recorder()
        clock = VirtualClock()

        def slow() -> Gen:
            _, reply = yield waitfor("GET")
            yield gensup.sleep(1)
            yield emit(reply, "late")
            yield waitfor("NEVER")

        spec = Supervisor("root", [Worker("s", slow)])
        with gensup.start(spec, clock=clock, observer=recorder) as tree:
            pending = tree.send_request("GET")
            assert pending.cancel()
            assert not pending.cancel()
            with pytest.raises(RequestFailed, match="cancelled"):
                pending.result()
            clock.advance(1)
        assert [d.event for d in recorder.dropped()] == [pending.ref]

    def test_stopping_the_tree_fails_pending_requests(self) -> None:
        """A request still pending when the tree stops fails: nobody can answer it now."""
        spec = Supervisor("root", [Supervisor("svc", [Worker("a", replier)])])
        tree = gensup.start(spec)
        pending = tree.send_request("GET", "late", to="root/svc")
        tree.stop()
        with pytest.raises(RequestFailed, match="stopped"):
            pending.result()

    def test_a_held_request_is_taken_later(self) -> None:
        """A request held in a backlog is handled when a worker waits, and replied to then."""
        got: list[object] = []

        def gated() -> Gen:
            yield waitfor("OPEN")
            while True:
                _, n, reply = yield waitfor("GET")
                yield emit(reply, n * 10)

        spec = Supervisor("root", [Supervisor("svc", [Worker("g", gated)], backlog=1)])
        with gensup.start(spec) as tree:
            pending = tree.send_request("GET", 4, to="root/svc")
            pending.add_done_callback(lambda p: got.append(p.result()))
            assert tree.count_children("root/svc").backlog == 1
            tree.signal("OPEN")
        assert got == [40]

    def test_one_to_a_worker_path(self) -> None:
        """one=True with a worker's path reaches that worker only if it waits."""
        log: list[tuple[str, object]] = []
        with gensup.start(pool(log, func=busy_fetcher)) as tree:
            assert tree.signal("JOB", 1, to="root/pool/f2", one=True) == 1
            assert tree.signal("JOB", 2, to="root/pool/f2", one=True) == 0
        assert log == [("f2", 1)]

    def test_backlog_repr_and_equality(self) -> None:
        """backlog is part of a Supervisor spec's value: repr, equality and hash."""
        a = Supervisor("pool", backlog=3)
        assert "backlog=3" in repr(a)
        assert a == Supervisor("pool", backlog=3)
        assert hash(a) == hash(Supervisor("pool", backlog=3))
        assert a != Supervisor("pool")
        with pytest.raises(gensup.InvalidSpec, match="backlog"):
            Supervisor("pool", backlog=-1)

    def test_a_failing_done_callback_is_logged(self, log_records: list[dict[str, Any]]) -> None:
        """A done callback that raises, added once the reply came, is logged, not raised."""

        def bad(pending: object) -> None:
            raise ValueError("callback bug")

        with gensup.start(Supervisor("root", [Worker("r", replier)])) as tree:
            pending = tree.send_request("GET", 2)
            pending.add_done_callback(bad)
            assert tree.alive
        assert sum("callback bug" in repr(r["exception"]) for r in log_records) == 1

    def test_an_endless_loop_of_one_of_n_emits_is_stopped(self) -> None:
        """One-of-N emits count toward max_deliveries, as broadcast emits do."""

        def echo(hear: str, say: str) -> Gen:
            while True:
                yield waitfor(hear)
                yield emit(say, one=True)

        spec = Supervisor(
            "root",
            [
                Worker("ping", echo, args=("PING", "PONG")),
                Worker("pong", echo, args=("PONG", "PING")),
            ],
        )
        with gensup.start(spec, max_deliveries=1000) as tree:
            with pytest.raises(gensup.TooManyDeliveries):
                tree.signal("PING")
            assert tree.alive
