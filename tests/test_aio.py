"""gensup.aio: the async driver, under asyncio (debug mode) and trio.

These tests run the real event loop with the real clock, so the delays are
short (hundredths of a second) and every wait is bounded by ``fail_after``.
What a test waits for is a condition (`until`), never a fixed sleep, except
where the point is that something does *not* happen within some time.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Generator
from typing import Any

import anyio
import anyio.to_thread
import pytest

import gensup
import gensup.aio
from gensup import (
    TIMEOUT,
    Backoff,
    StartFailed,
    Supervisor,
    SupervisorGaveUp,
    TreeStopped,
    Worker,
    call,
    emit,
    sleep,
    waitfor,
)

pytestmark = pytest.mark.anyio

WorkerGen = Generator[Any, Any, Any]
Cancelled = anyio.get_cancelled_exc_class


async def until(predicate: Callable[[], object], timeout: float = 5.0) -> None:
    """Wait until ``predicate()`` is true, checking every millisecond."""
    with anyio.fail_after(timeout):
        while not predicate():
            await anyio.sleep(0.001)


def task_count() -> int:
    """How many tasks the running event loop has, whichever backend it is."""
    try:
        import trio

        root = trio.lowlevel.current_root_task()
    except RuntimeError:
        return len(asyncio.all_tasks())
    count, stack = 0, [root]
    while stack:
        task = stack.pop()
        count += 1
        for nursery in task.child_nurseries:
            stack.extend(nursery.child_tasks)
    return count


def root(*children: Worker | Supervisor, **options: Any) -> Supervisor:
    return Supervisor("root", list(children), **options)


def idle() -> WorkerGen:
    yield waitfor("NEVER")


async def forever(record: list[str], name: str = "call") -> None:
    """A call that never ends by itself, and records when it begins and is cancelled."""
    record.append(f"{name} began")
    try:
        await anyio.sleep_forever()
    except Cancelled():
        record.append(f"{name} cancelled")
        raise


def waiting_on_call(record: list[str], name: str) -> WorkerGen:
    """A worker that waits on a call that never ends."""
    try:
        yield call(forever, record, name)
    finally:
        record.append(f"{name} finally")


class TestTimers:
    async def test_waitfor_timeout_fires_on_time(self) -> None:
        """A waitfor with a timeout is resumed with (TIMEOUT,) once that much real time passed."""
        got: list[tuple[object, float]] = []

        def waiter() -> WorkerGen:
            began = time.monotonic()
            event, *_ = yield waitfor("NEVER", timeout=0.03)
            got.append((event, time.monotonic() - began))
            yield waitfor("NEVER")

        async with gensup.aio.start(root(Worker("w", waiter))):
            await until(lambda: got)
        ((event, elapsed),) = got
        assert event is TIMEOUT
        assert 0.03 <= elapsed < 1.0

    async def test_event_before_timeout_cancels_it(self) -> None:
        """An event that comes before the timeout resumes the worker; the timeout never fires."""
        got: list[object] = []

        def waiter() -> WorkerGen:
            event, *_ = yield waitfor("GO", timeout=0.03)
            got.append(event)
            event, *_ = yield waitfor("NEVER")
            got.append(event)

        async with gensup.aio.start(root(Worker("w", waiter))) as tree:
            tree.signal("GO")
            await anyio.sleep(0.06)
        assert got == ["GO"]

    async def test_sleep_resumes_after_the_delay(self) -> None:
        """sleep(s) resumes the worker with (TIMEOUT,) after s seconds of real time."""
        got: list[tuple[object, float]] = []

        def sleeper() -> WorkerGen:
            began = time.monotonic()
            event, *_ = yield sleep(0.02)
            got.append((event, time.monotonic() - began))
            yield waitfor("NEVER")

        async with gensup.aio.start(root(Worker("s", sleeper))):
            await until(lambda: got)
        ((event, elapsed),) = got
        assert event is TIMEOUT
        assert elapsed >= 0.02

    async def test_an_earlier_timer_wakes_the_driver(self) -> None:
        """A timer set while the driver sleeps toward a later one fires on time, not after it."""
        woke: list[float] = []

        def late() -> WorkerGen:
            yield waitfor("NEVER", timeout=30)

        def early() -> WorkerGen:
            yield sleep(0.01)
            woke.append(time.monotonic())
            yield waitfor("NEVER")

        async with gensup.aio.start(root(Worker("late", late))) as tree:
            await anyio.sleep(0.01)  # the driver now sleeps toward t+30 s
            began = time.monotonic()
            tree.start_child("root", Worker("early", early))
            await until(lambda: woke, timeout=10)
        assert woke[0] - began < 5.0

    async def test_backoff_delays_the_restart(self) -> None:
        """A crashed worker with a Backoff is restarted after its delay, by the driver's timer."""
        starts: list[float] = []

        def crasher() -> WorkerGen:
            starts.append(time.monotonic())
            yield waitfor("CRASH")
            raise RuntimeError("crash")

        worker = Worker("c", crasher, backoff=Backoff(0.04, 0.04))
        async with gensup.aio.start(root(worker)) as tree:
            crashed = time.monotonic()
            tree.signal("CRASH")
            assert tree.status() == {}  # not restarted at once
            await until(lambda: len(starts) == 2)
            assert tree.status() == {"root/c": ("CRASH",)}
        assert starts[1] - crashed >= 0.04


class TestCalls:
    async def test_result_resumes_the_worker(self) -> None:
        """A call's result is the value of the worker's yield."""
        got: list[object] = []

        async def double(n: int) -> int:
            await anyio.sleep(0)
            return 2 * n

        def worker() -> WorkerGen:
            got.append((yield call(double, 21)))
            yield waitfor("NEVER")

        async with gensup.aio.start(root(Worker("w", worker))):
            await until(lambda: got)
        assert got == [42]

    async def test_exception_is_thrown_in_at_the_yield(self) -> None:
        """A call that raises raises the same exception at the worker's yield, to be caught."""
        got: list[BaseException] = []
        error = LookupError("no such key")

        async def failing() -> None:
            await anyio.sleep(0)
            raise error

        def worker() -> WorkerGen:
            try:
                yield call(failing)
            except LookupError as exc:
                got.append(exc)
            yield waitfor("NEVER")

        async with gensup.aio.start(root(Worker("w", worker))):
            await until(lambda: got)
        assert got == [error]

    async def test_timeout_raises_timeout_error_and_cancels_the_call(self) -> None:
        """A call that outlives its timeout is cancelled; TimeoutError is raised at the yield."""
        record: list[str] = []

        def worker() -> WorkerGen:
            try:
                yield call(forever, record, timeout=0.02)
            except TimeoutError:
                record.append("TimeoutError")
            yield waitfor("NEVER")

        async with gensup.aio.start(root(Worker("w", worker))):
            await until(lambda: len(record) == 3)
        assert sorted(record) == ["TimeoutError", "call began", "call cancelled"]

    async def test_terminate_cancels_the_call_then_runs_finally(self) -> None:
        """Terminating a worker cancels its call and runs its finally; no outcome reaches it."""
        record: list[str] = []
        async with gensup.aio.start(root(Worker("w", waiting_on_call, args=(record, "w")))) as tree:
            await until(lambda: record == ["w began"])
            tree.terminate_child("root/w")
            # Synchronous: the call is cancelled, the worker closed; the call
            # unwinds when its task next runs.
            assert record == ["w began", "w finally"]
            await until(lambda: len(record) == 3)
            assert record == ["w began", "w finally", "w cancelled"]
            assert tree.tree.pending_calls() == ()

    async def test_restart_of_the_group_cancels_the_call(self) -> None:
        """When a sibling's crash restarts the group, the old call is cancelled and the new
        incarnation makes its own."""
        record: list[str] = []

        def crasher() -> WorkerGen:
            yield waitfor("CRASH")
            raise RuntimeError("crash")

        spec = root(
            Worker("w", waiting_on_call, args=(record, "w")),
            Worker("c", crasher),
            strategy="one_for_all",
        )
        async with gensup.aio.start(spec) as tree:
            await until(lambda: record == ["w began"])
            (first,) = tree.tree.pending_calls()
            tree.signal("CRASH")
            await until(lambda: record.count("w began") == 2)
            (second,) = tree.tree.pending_calls()
            assert (first.incarnation, second.incarnation) == (1, 2)
            assert second.id > first.id
        # The old call unwinds and the new one begins in either order (trio
        # shuffles its tasks); the old incarnation's finally comes before both.
        assert record[:2] == ["w began", "w finally"]
        assert sorted(record) == ["w began"] * 2 + ["w cancelled"] * 2 + ["w finally"] * 2

    async def test_a_stale_result_never_reaches_a_new_incarnation(self) -> None:
        """A call that completes after its worker was restarted is dropped; the new
        incarnation gets only its own call's result."""
        got: list[object] = []
        release = anyio.Event()

        async def stubborn(value: str) -> str:
            with anyio.CancelScope(shield=True):  # finishes even though cancelled
                await release.wait()
            return value

        def worker() -> WorkerGen:
            incarnation = len(got)
            got.append(f"started {incarnation}")
            got.append((yield call(stubborn, "old" if incarnation == 0 else "new")))
            yield waitfor("NEVER")

        async with gensup.aio.start(root(Worker("w", worker))) as tree:
            tree.terminate_child("root/w")
            tree.restart_child("root/w")
            release.set()  # both calls return now: the old one, then the new one
            await until(lambda: "new" in got)
            await anyio.sleep(0.01)
        assert got == ["started 0", "started 1", "new"]

    async def test_blocking_work_runs_in_a_thread(self) -> None:
        """call(anyio.to_thread.run_sync, fn, arg) runs fn in another thread; its result returns."""
        got: list[object] = []
        loop_thread = threading.get_ident()

        def blocking(n: int) -> tuple[int, bool]:
            time.sleep(0.01)
            return n + 1, threading.get_ident() != loop_thread

        def worker() -> WorkerGen:
            got.append((yield call(anyio.to_thread.run_sync, blocking, 41)))
            yield waitfor("NEVER")

        async with gensup.aio.start(root(Worker("w", worker))):
            await until(lambda: got)
        assert got == [(42, True)]

    async def test_a_call_made_while_starting_runs(self) -> None:
        """A worker may call before its first wait: the driver is attached before it starts."""
        got: list[object] = []

        async def hello() -> str:
            return "hello"

        def worker() -> WorkerGen:
            got.append((yield call(hello)))
            yield waitfor("NEVER")

        async with gensup.aio.start(root(Worker("w", worker))):
            await until(lambda: got)
        assert got == ["hello"]

    async def test_calls_that_never_suspend_do_not_starve_the_loop(self) -> None:
        """A worker whose calls complete without suspending still lets other tasks run."""
        done = [0]

        async def immediate() -> None:
            pass

        def busy() -> WorkerGen:
            for _ in range(1_000):
                yield call(immediate)
                done[0] += 1
            yield waitfor("NEVER")

        async with gensup.aio.start(root(Worker("w", busy))):
            await anyio.sleep(0)
            await anyio.sleep(0)
            seen = done[0]
            await until(lambda: done[0] == 1_000)
        assert seen < 1_000

    @pytest.mark.parametrize("anyio_backend", [("asyncio", {"debug": True})], ids=["asyncio"])
    async def test_a_foreign_cancellation_is_a_failure(self) -> None:
        """An asyncio CancelledError that no cancel scope asked for is thrown in as RuntimeError."""
        got: list[BaseException] = []

        async def cancelled_elsewhere() -> None:
            future = asyncio.get_running_loop().create_future()
            future.cancel()
            await future

        def worker() -> WorkerGen:
            try:
                yield call(cancelled_elsewhere)
            except RuntimeError as exc:
                got.append(exc)
            yield waitfor("NEVER")

        async with gensup.aio.start(root(Worker("w", worker))):
            await until(lambda: got)
        assert "was cancelled from outside" in str(got[0])
        assert isinstance(got[0].__cause__, asyncio.CancelledError)


class TestLeaving:
    async def test_leaving_stops_the_tree_in_reverse_start_order(self) -> None:
        """Leaving the block closes every worker, last started first, and the tree is stopped."""
        record: list[str] = []

        def worker(name: str) -> WorkerGen:
            try:
                yield waitfor("NEVER")
            finally:
                record.append(name)

        spec = root(Worker("a", worker, args=("a",)), Worker("b", worker, args=("b",)))
        async with gensup.aio.start(spec) as tree:
            tree.start_child("root", Worker("c", worker, args=("c",)))
        assert record == ["c", "b", "a"]
        assert not tree.alive

    async def test_leaving_cancels_every_call_and_timer_and_leaves_no_task(self) -> None:
        """Leaving the block cancels the calls and timers, and every task of the driver is gone."""
        record: list[str] = []
        before = task_count()

        def sleeper() -> WorkerGen:
            try:
                yield sleep(30)
            finally:
                record.append("sleeper finally")

        spec = root(
            Worker("a", waiting_on_call, args=(record, "a")),
            Worker("b", waiting_on_call, args=(record, "b")),
            Worker("s", sleeper),
        )
        async with gensup.aio.start(spec) as tree:
            await until(lambda: len(record) == 2)  # both calls began
            assert task_count() > before
            assert tree.tree.next_deadline() is not None
        assert task_count() == before
        assert tree.tree.next_deadline() is None
        assert sorted(record) == [
            "a began",
            "a cancelled",
            "a finally",
            "b began",
            "b cancelled",
            "b finally",
            "sleeper finally",
        ]

    async def test_cancelling_the_enclosing_scope_stops_everything(self) -> None:
        """A cancellation of a scope around the block stops the tree and cancels its calls,
        and is absorbed by that scope."""
        record: list[str] = []
        before = task_count()
        with anyio.CancelScope() as scope:
            async with gensup.aio.start(root(Worker("w", waiting_on_call, args=(record, "w")))):
                await until(lambda: record == ["w began"])
                scope.cancel()
                await anyio.sleep_forever()
        assert scope.cancelled_caught
        assert sorted(record) == ["w began", "w cancelled", "w finally"]
        assert task_count() == before

    async def test_an_exception_of_the_body_propagates_unchanged(self) -> None:
        """An exception raised in the block comes out as itself, not in an ExceptionGroup."""
        record: list[str] = []

        async def run() -> None:
            async with gensup.aio.start(root(Worker("w", waiting_on_call, args=(record, "w")))):
                await until(lambda: record == ["w began"])
                raise KeyError("body")

        with pytest.raises(KeyError) as caught:
            await run()
        assert caught.value.args == ("body",)
        assert sorted(record) == ["w began", "w cancelled", "w finally"]

    async def test_a_base_exception_in_a_call_stops_everything(self) -> None:
        """A BaseException such as Ctrl-C raised by a call stops the tree, cancels the body
        and comes out of the block."""

        class Interrupt(BaseException):
            pass

        record: list[str] = []

        async def interrupted() -> None:
            await anyio.sleep(0.01)
            raise Interrupt

        def worker() -> WorkerGen:
            try:
                yield call(interrupted)
            finally:
                record.append("finally")

        before = task_count()
        with pytest.raises(Interrupt):
            async with gensup.aio.start(root(Worker("w", worker))):
                await anyio.sleep_forever()
        assert record == ["finally"]
        assert task_count() == before

    async def test_a_base_exception_in_a_timer_stops_everything(self) -> None:
        """A BaseException such as Ctrl-C raised by a worker resumed by a timer stops the
        tree, cancels the body and comes out of the block."""

        class Interrupt(BaseException):
            pass

        record: list[str] = []

        def sleeper() -> WorkerGen:
            yield sleep(0.01)
            raise Interrupt

        def bystander() -> WorkerGen:
            try:
                yield waitfor("NEVER")
            finally:
                record.append("bystander finally")

        before = task_count()
        with pytest.raises(Interrupt):
            async with gensup.aio.start(root(Worker("b", bystander), Worker("s", sleeper))):
                await anyio.sleep_forever()
        assert record == ["bystander finally"]
        assert task_count() == before

    async def test_stop_inside_the_block_ends_wait_stopped(self) -> None:
        """tree.stop() stops the tree at once, and wait_stopped() returns."""
        async with gensup.aio.start(root(Worker("w", idle))) as tree:
            tree.stop()
            with anyio.fail_after(1):
                await tree.wait_stopped()
            assert not tree.alive

    async def test_a_start_failure_comes_out_of_the_block(self) -> None:
        """A child failing to start makes entering the block raise StartFailed; no task is left."""
        record: list[str] = []

        def broken() -> WorkerGen:
            raise ConnectionError("no database")
            yield

        before = task_count()
        spec = root(Worker("w", waiting_on_call, args=(record, "w")), Worker("b", broken))
        with pytest.raises(StartFailed):
            async with gensup.aio.start(spec):
                pytest.fail("the body ran")
        assert task_count() == before
        assert sorted(record) == ["w finally"]  # its call never began

    async def test_the_tree_calls_are_there(self) -> None:
        """The AsyncTree mirrors the Tree's calls: dynamic children and the read-only views."""
        async with gensup.aio.start(root(Supervisor("pool"))) as tree:
            tree.start_child("root/pool", Worker("w", idle))
            assert tree.status() == {"root/pool/w": ("NEVER",)}
            assert tree.count_children("root/pool").active == 1
            assert tree.get_childspec("root/pool/w").id == "w"
            tree.terminate_child("root/pool/w")
            tree.restart_child("root/pool/w")
            assert tree.which_children("root/pool")[0].incarnation == 2
            tree.terminate_child("root/pool/w")
            tree.delete_child("root/pool/w")
            assert tree.signal("NEVER") == 0
            assert tree.dropped == 1
            assert tree.spec.id == "root"
            assert "pool" in str(tree)
            assert repr(tree) == "<gensup.aio.AsyncTree 'root' alive>"
            assert tree.signal == tree.tree.signal  # the core's own bound method


class TestThreads:
    async def test_signal_threadsafe_from_a_thread(self) -> None:
        """Signals from another thread reach the workers in order; each future gets its count."""
        got: list[int] = []

        def counter() -> WorkerGen:
            while True:
                _, n = yield waitfor("ADD")
                got.append(n)

        async with gensup.aio.start(root(Worker("c", counter))) as tree:

            def send() -> list[int]:
                futures = [tree.signal_threadsafe("ADD", n) for n in range(100)]
                return [future.result(timeout=5) for future in futures]

            counts = await anyio.to_thread.run_sync(send)
        assert counts == [1] * 100
        assert got == list(range(100))

    async def test_signal_threadsafe_from_the_loop_thread(self) -> None:
        """signal_threadsafe works from the loop's own thread too, without running the worker
        before it returns."""
        got: list[str] = []

        def worker() -> WorkerGen:
            while True:
                yield waitfor("PING")
                got.append("ping")

        async with gensup.aio.start(root(Worker("w", worker))) as tree:
            future = tree.signal_threadsafe("PING")
            assert got == []
            await until(future.done)
            assert future.result() == 1
            assert got == ["ping"]

    async def test_signal_threadsafe_after_the_block_fails(self) -> None:
        """A thread that signals a tree whose block was left gets TreeStopped in its future."""
        async with gensup.aio.start(root(Worker("w", idle))) as tree:
            pass
        future = await anyio.to_thread.run_sync(tree.signal_threadsafe, "PING")
        with pytest.raises(TreeStopped):
            future.result(timeout=1)

    async def test_errors_of_the_signal_go_to_the_future(self) -> None:
        """A signal that fails (no child at ``to``) fails its future with the same error."""
        async with gensup.aio.start(root(Worker("w", idle))) as tree:
            future = tree.signal_threadsafe("PING", to="root/nobody")
            await until(future.done)
        with pytest.raises(gensup.ChildNotFound):
            future.result()


async def numbers(n: int, record: list[str]) -> AsyncIterator[int]:
    try:
        for i in range(n):
            await anyio.sleep(0)
            yield i
    finally:
        record.append("source closed")


class TestFeed:
    def collector(self, got: list[object]) -> Callable[[], WorkerGen]:
        def collect() -> WorkerGen:
            while True:
                got.append((yield waitfor("N", "M")))

        return collect

    async def test_feed_with_an_event(self) -> None:
        """feed(source, event=E) signals (E, item) for each item in order, then closes it."""
        got: list[object] = []
        record: list[str] = []
        async with gensup.aio.start(root(Worker("c", self.collector(got)))) as tree:
            tree.feed(numbers(3, record), event="N")
            await until(lambda: record)
        assert got == [("N", 0), ("N", 1), ("N", 2)]
        assert record == ["source closed"]

    async def test_feed_of_tuples(self) -> None:
        """feed(source) signals each tuple item as (event, *args), to the subtree ``to``."""
        got: list[object] = []

        async def pairs() -> AsyncIterator[tuple[object, ...]]:
            yield ("N", 1, 2)
            yield ("M",)

        async with gensup.aio.start(root(Worker("c", self.collector(got)))) as tree:
            tree.feed(pairs(), to="root/c")
            await until(lambda: len(got) == 2)
        assert got == [("N", 1, 2), ("M",)]

    async def test_a_failing_source_is_raised_by_wait_stopped(
        self, log_records: list[dict[str, Any]]
    ) -> None:
        """A source that raises stops the tree; wait_stopped raises its error, and it is
        logged at ERROR."""
        error = OSError("the socket broke")

        async def broken() -> AsyncIterator[int]:
            yield 1
            await anyio.sleep(0)
            raise error

        async with gensup.aio.start(root(Worker("w", idle))) as tree:
            tree.feed(broken(), event="N")
            with anyio.fail_after(5), pytest.raises(OSError) as caught:
                await tree.wait_stopped()
            assert caught.value is error
            assert not tree.alive
        errors = [r for r in log_records if r["level"].name == "ERROR"]
        assert [r["exception"].value for r in errors] == [error]
        assert "feed into root failed" in errors[0]["message"]

    async def test_a_failing_source_is_raised_when_leaving(self) -> None:
        """Without wait_stopped, the failure of a source is raised on leaving the block."""

        async def broken() -> AsyncIterator[tuple[object, ...]]:
            yield "not a tuple"  # type: ignore[misc]

        async def run() -> None:
            async with gensup.aio.start(root(Worker("w", idle))) as tree:
                tree.feed(broken())
                await until(lambda: not tree.alive)

        with pytest.raises(TypeError, match="must be a non-empty tuple"):
            await run()

    async def test_feeds_end_with_the_tree(self) -> None:
        """An endless feed is cancelled and its source closed when the tree stops."""
        got: list[object] = []
        record: list[str] = []
        async with gensup.aio.start(root(Worker("c", self.collector(got)))) as tree:
            tree.feed(numbers(10**9, record), event="N")
            await until(lambda: got)
            tree.stop()
            await until(lambda: record)
            assert record == ["source closed"]
            with pytest.raises(TreeStopped):
                tree.feed(numbers(1, record), event="N")


class TestGaveUp:
    @staticmethod
    def spec() -> Supervisor:
        def crasher() -> WorkerGen:
            yield sleep(0.01)
            raise RuntimeError("crash")

        return root(Worker("c", crasher), intensity=1, period=60)

    async def test_a_timer_give_up_is_raised_by_wait_stopped(self) -> None:
        """A give-up of the root while a timer fired is raised by wait_stopped, and not again
        when leaving the block."""
        async with gensup.aio.start(self.spec()) as tree:
            with anyio.fail_after(5), pytest.raises(SupervisorGaveUp):
                await tree.wait_stopped()
            assert not tree.alive

    async def test_a_timer_give_up_is_raised_when_leaving(self) -> None:
        """Without wait_stopped, a give-up no call could raise is raised on leaving the block."""
        with pytest.raises(SupervisorGaveUp):
            async with gensup.aio.start(self.spec()) as tree:
                await until(lambda: not tree.alive)

    async def test_a_give_up_from_a_completed_call(self) -> None:
        """A give-up caused by a call's completion is raised by wait_stopped."""

        async def nothing() -> None:
            await anyio.sleep(0)

        def crasher() -> WorkerGen:
            yield call(nothing)
            raise RuntimeError("crash")

        async with gensup.aio.start(root(Worker("c", crasher), intensity=2)) as tree:
            with anyio.fail_after(5), pytest.raises(SupervisorGaveUp):
                await tree.wait_stopped()


class TestRunaway:
    async def test_too_many_deliveries_from_a_timer_is_logged_and_the_tree_runs_on(
        self, log_records: list[dict[str, Any]]
    ) -> None:
        """Workers emitting at each other without end, set off by a timer, are cut off at
        max_deliveries: logged at ERROR, and the tree runs on."""

        def echo(hear: str, say: str) -> WorkerGen:
            while True:
                yield waitfor(hear)
                yield emit(say)

        def starter() -> WorkerGen:
            yield sleep(0.01)
            yield emit("PING")
            yield waitfor("NEVER")

        spec = root(
            Worker("ping", echo, args=("PING", "PONG")),
            Worker("pong", echo, args=("PONG", "PING")),
            Worker("starter", starter),
        )
        async with gensup.aio.start(spec, max_deliveries=100) as tree:
            await until(lambda: any(r["level"].name == "ERROR" for r in log_records))
            assert tree.alive
            assert tree.signal("NEVER") == 1
        (error,) = [r for r in log_records if r["level"].name == "ERROR"]
        assert isinstance(error["exception"].value, gensup.TooManyDeliveries)
        assert "the tree runs on" in error["message"]


class TestDriverContract:
    """What the driver relies on from the core, checked with a recording driver."""

    def test_cancel_comes_before_the_workers_finally(self) -> None:
        """The core tells the driver a call is cancelled before the worker's finally runs."""
        record: list[str] = []

        class Recorder:
            def call_started(self, pending: gensup.PendingCall) -> None:
                record.append("started")

            def call_cancelled(self, pending: gensup.PendingCall) -> None:
                record.append("cancelled")

            def deadline_changed(self, deadline: float) -> None:
                pass

            def tree_stopped(self) -> None:
                record.append("stopped")

        def worker() -> WorkerGen:
            try:
                yield call(anyio.sleep, 1)
            finally:
                record.append("finally")

        with gensup.start(root(Worker("w", worker)), driver=Recorder()) as tree:
            tree.terminate_child("root/w")
        assert record == ["started", "cancelled", "finally", "stopped"]


async def slow_upper(key: str) -> str:
    # "late" takes long enough that a loaded machine cannot reply before the
    # caller's own 1 ms timeout is handled.
    await anyio.sleep(0.2 if key == "late" else 0.005)
    return key.upper()


def service() -> WorkerGen:
    """Replies to GET with the upper-cased key, after a real call; 'boom' crashes it."""
    while True:
        _, key, reply = yield waitfor("GET")
        if key == "boom":
            raise KeyError(key)
        if key == "never":
            continue
        value = yield call(slow_upper, key)
        yield emit(reply, value)


class TestRequest:
    async def test_a_reply_that_takes_time(self) -> None:
        """await tree.request returns the reply a worker emits after a real call."""
        spec = root(Supervisor("svc", [Worker("a", service), Worker("b", service)]))
        async with gensup.aio.start(spec) as tree:
            with anyio.fail_after(5):
                assert await tree.request("GET", "ab", to="root/svc") == "AB"
                assert await tree.request("GET", "cd", to="root/svc") == "CD"
            assert tree.dropped == 0

    async def test_a_crash_while_handling_raises(self) -> None:
        """A handler that crashes makes the awaited request raise RequestFailed."""
        spec = root(Supervisor("svc", [Worker("a", service)], intensity=5))
        async with gensup.aio.start(spec) as tree:
            with anyio.fail_after(5), pytest.raises(gensup.RequestFailed, match="KeyError"):
                await tree.request("GET", "boom", to="root/svc")

    async def test_timeout(self) -> None:
        """A request with no reply by its timeout raises TimeoutError."""
        spec = root(Supervisor("svc", [Worker("a", service)]))
        async with gensup.aio.start(spec) as tree:
            with anyio.fail_after(5), pytest.raises(TimeoutError):
                await tree.request("GET", "never", to="root/svc", timeout=0.02)

    async def test_a_cancelled_caller_cancels_the_request(self) -> None:
        """When the awaiting task is cancelled, the late reply is dropped, not kept."""
        spec = root(Supervisor("svc", [Worker("a", service)]))
        async with gensup.aio.start(spec) as tree:
            with anyio.move_on_after(0.001):
                await tree.request("GET", "late", to="root/svc")
            await until(lambda: tree.dropped == 1)


class TestEvents:
    async def test_results_in_order(self) -> None:
        """tree.events yields the args of each emitted event, in order, after the workers."""

        def squarer() -> WorkerGen:
            while True:
                _, n = yield waitfor("WORK")
                yield emit("RESULT", n * n)

        async with gensup.aio.start(root(Worker("s", squarer))) as tree:
            async with tree.events("RESULT") as results:
                for n in range(5):
                    tree.signal("WORK", n)
                got = []
                with anyio.fail_after(5):
                    async for (square,) in results:
                        got.append(square)
                        if len(got) == 5:
                            break
            assert got == [0, 1, 4, 9, 16]
            assert tree.dropped == 0
            tree.signal("WORK", 9)
            assert tree.dropped == 1  # nobody listens any more

    async def test_overflow_is_counted(self) -> None:
        """Past its buffer, an item is dropped and counted."""
        async with (
            gensup.aio.start(root(Worker("w", idle))) as tree,
            tree.events("X", buffer=2) as heard,
        ):
            for i in range(5):
                tree.signal("X", i)
            assert heard.overflowed == 3
            assert await heard.__anext__() == (0,)
            assert await heard.__anext__() == (1,)

    async def test_bad_buffer(self) -> None:
        """A buffer below 1 is refused."""
        async with gensup.aio.start(root(Worker("w", idle))) as tree:
            with pytest.raises(ValueError, match="'buffer' must be an int >= 1"):
                tree.events("X", buffer=0)


async def short_work(job: int) -> None:
    await anyio.sleep(0.001)


def pooled_fetcher(done: list[int]) -> WorkerGen:
    """Takes a job, works on it in a real call, records it."""
    while True:
        _, job = yield waitfor("JOB")
        yield call(short_work, job)
        done.append(job)


class TestPut:
    async def test_back_pressure_loses_nothing(self) -> None:
        """put waits while the backlog is full: every job is done, none dropped."""
        done: list[int] = []
        pool = Supervisor(
            "pool", [Worker(f"f{i}", pooled_fetcher, args=(done,)) for i in range(2)], backlog=2
        )
        async with gensup.aio.start(root(pool)) as tree:
            with anyio.fail_after(10):
                for job in range(40):
                    await tree.put("JOB", job, to="root/pool")
                    assert tree.count_children("root/pool").backlog <= 2
                await until(lambda: len(done) == 40)
            assert sorted(done) == list(range(40))
            assert tree.dropped == 0

    async def test_the_same_flood_through_signal_drops(self) -> None:
        """Without put, a full backlog drops: the contrast that put exists for."""
        done: list[int] = []
        pool = Supervisor("pool", [Worker("f", pooled_fetcher, args=(done,))], backlog=2)
        async with gensup.aio.start(root(pool)) as tree:
            for job in range(10):
                tree.signal("JOB", job, to="root/pool", one=True)
            assert tree.dropped == 7  # one taken, two held
