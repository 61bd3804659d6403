"""The async driver: a tree that runs inside an asyncio or trio event loop.

Example:
    >>> import anyio
    >>> import gensup
    >>> import gensup.aio
    >>> from gensup import Supervisor, Worker, call, sleep
    >>> async def double(n):
    ...     await anyio.sleep(0)
    ...     return 2 * n
    >>> def worker():
    ...     result = yield call(double, 21)
    ...     print("call returned", result)
    ...     yield sleep(0.01)
    ...     print("slept 10 ms")
    >>> async def main():
    ...     spec = Supervisor(
    ...         "root",
    ...         [Worker("w", worker, restart="transient", significant=True)],
    ...         auto_shutdown="any_significant",
    ...     )
    ...     async with gensup.aio.start(spec) as tree:
    ...         await tree.wait_stopped()  # the worker ended, and so did the tree
    >>> anyio.run(main)
    call returned 42
    slept 10 ms

The tree's core stays what it is everywhere: synchronous, run to completion,
driven by method calls.  This module only carries out what the core asks of
the outside world, with anyio, so that the same code runs under asyncio and
under trio:

* **Timers** (``waitfor(..., timeout=)``, ``sleep``, call timeouts, restarts
  delayed by backoff): one task sleeps until `Tree.next_deadline`, or until
  the core says an earlier timer was set, then calls `Tree.fire_due`.
* **Calls** (``yield call(fn, *args)``): a task per call (or the task that
  settled the worker's previous call), in a cancel scope of its own, awaits
  ``fn(*args)`` and hands the result or the exception back with
  `Tree.complete_call` or `Tree.fail_call`.  When the core cancels the
  call (its worker is stopped, or its timeout fired), the scope is
  cancelled and nothing of the call ever reaches the worker again.
* **Input**: `AsyncTree.signal` is the core's own ``signal``, a plain fast
  synchronous call usable from any coroutine or callback in the loop's
  thread; `AsyncTree.signal_threadsafe` from other threads;
  `AsyncTree.feed` from an async iterable.

Leaving the ``async with`` block, by the end of its body, an exception, a
cancellation or Ctrl-C, stops the tree (every worker's ``finally`` runs, last
started first) and cancels every timer, call and feed, and waits for their
tasks to end: nothing outlives the block.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
from collections.abc import AsyncIterable, AsyncIterator, Callable, Hashable
from types import TracebackType
from typing import Any, Protocol

import anyio
import anyio.abc
import anyio.lowlevel

from . import _log
from ._aio_driver import AioDriver
from ._core import MAX_DELIVERIES, Observer
from ._records import ChildCounts, ChildInfo
from ._requests import Listener
from ._spec import ChildSpec, Supervisor
from ._tree import Tree
from ._tree import start as _start_tree

__all__ = ["AsyncTree", "Events", "start"]


def start(
    spec: Supervisor,
    *,
    observer: Observer | None = None,
    seed: int | str | bytes | None = None,
    max_deliveries: int = MAX_DELIVERIES,
    record: str | os.PathLike[str] | None = None,
) -> contextlib.AbstractAsyncContextManager[AsyncTree]:
    """Run a tree inside the running event loop, for the duration of an ``async with`` block.

    Example:
        >>> import anyio
        >>> import gensup.aio
        >>> from gensup import Supervisor, Worker, waitfor
        >>> def greeter():
        ...     while True:
        ...         event, name = yield waitfor("HELLO")
        ...         print("hello,", name)
        >>> async def main():
        ...     async with gensup.aio.start(Supervisor("root", [Worker("g", greeter)])) as tree:
        ...         tree.signal("HELLO", "asyncio")
        >>> anyio.run(main)
        hello, asyncio

    Entering the block starts the tree (`gensup.start`, with the real
    monotonic clock) and the driver's tasks; it returns an `AsyncTree`.
    Leaving it stops the tree, cancels every timer, call and feed, and waits
    for their tasks to end.  If the root gave up where no call could raise it
    (a timer fired, a call completed, a feed signalled), leaving the block
    raises `SupervisorGaveUp`, unless `AsyncTree.wait_stopped` already did;
    so does a failed feed with its own exception.  An exception of the block's
    body propagates unchanged.

    Args:
        spec: The root supervisor's spec.
        observer: Called with every lifecycle report, synchronously.
        seed: Seeds the random generator of backoff jitter.
        max_deliveries: How many emitted events one call may deliver, as for
            `gensup.start`.  Where a driver task made the call (a timer, a
            completed call, a feed), `TooManyDeliveries` is logged at ERROR
            and the tree runs on.
        record: A file to record the tree's inputs to, as for
            `gensup.start`: the driver's timer firings, settled calls and
            feeds' signals are inputs too, and `gensup.testing.replay` runs
            them again without an event loop.

    Raises:
        StartFailed: a child failed to start (on entering the block).
        SupervisorGaveUp: the root gave up while starting, or later where no
            call could raise it (on leaving the block).
    """
    return _Running(spec, observer, seed, max_deliveries, record)


class _Signal(Protocol):
    """The signature of `Tree.signal`."""

    def __call__(
        self,
        event: Hashable,
        /,
        *args: object,
        to: str | None = None,
        one: bool = False,
        key: object = ...,
    ) -> int: ...


class AsyncTree:
    """A tree run by the async driver, as `gensup.aio.start` returns it.

    Example:
        >>> import anyio
        >>> import gensup.aio
        >>> from gensup import Supervisor, Worker, waitfor
        >>> def idle():
        ...     yield waitfor("NEVER")
        >>> async def main():
        ...     async with gensup.aio.start(Supervisor("root", [Worker("w", idle)])) as tree:
        ...         print(tree.alive, tree.status())
        ...         tree.stop()
        ...         await tree.wait_stopped()
        ...         print(tree.alive)
        >>> anyio.run(main)
        True {'root/w': ('NEVER',)}
        False

    The calls of `gensup.Tree` are here, synchronous as they are there:
    call them from coroutines and callbacks in the event loop's thread (from
    another thread, use `signal_threadsafe`).  The running `gensup.Tree`
    itself is `tree`, for everything else (``gensup.render.text(tree.tree)``).
    """

    signal: _Signal
    """Deliver ``(event, *args)`` to the workers waiting for it: `gensup.Tree.signal` itself.

    ``signal(event, *args, to=None, one=False, key=NO_KEY) -> int``.  It is
    the core's bound method,
    not a wrapper, so that it costs from a coroutine what it costs anywhere.
    Synchronous: what the event causes, emitted events and restarts included,
    is done when it returns.  Not thread-safe; see `signal_threadsafe`.
    """

    def __init__(self, tree: Tree, driver: AioDriver) -> None:
        """Made by `gensup.aio.start`; not meant to be built by hand."""
        self.signal = tree.signal
        self._tree = tree
        self._driver = driver

    @property
    def tree(self) -> Tree:
        """The running `gensup.Tree`.

        Do not call its driver-facing calls (`Tree.fire_due`,
        `Tree.complete_call`, `Tree.fail_call`): the driver makes those.
        """
        return self._tree

    # ---- The driver's own calls ----

    async def deliver(self, event: Hashable, /, *args: object, to: str | None = None) -> int:
        """`signal`, counting the workers reached in placed subtrees too.

        Example:
            >>> import anyio
            >>> import gensup.aio
            >>> from gensup import Supervisor, Worker, waitfor
            >>> def idle():
            ...     while True:
            ...         yield waitfor("GO")
            >>> async def main():
            ...     spec = Supervisor("root", [Worker("a", idle), Worker("b", idle)])
            ...     async with gensup.aio.start(spec) as tree:
            ...         print(await tree.deliver("GO"))
            >>> anyio.run(main)
            2

        `signal` counts the workers it reached in this process: a subtree
        placed elsewhere (``placement=``) gets the event after `signal`
        returns, and counts its own.  This waits for their counts and returns
        the sum: the workers reached here, and in every placed subtree the
        event was routed into (one level down: a subtree placed inside a
        placed subtree is not counted).  A placed subtree that goes away
        before it answers counts 0.  Without placed subtrees it is `signal`.

        Raises:
            Exception: what `signal` raises (`signal` is what it calls).
        """
        return await self._driver.deliver(self._tree, event, args, to)

    def signal_threadsafe(
        self, event: Hashable, /, *args: object, to: str | None = None
    ) -> concurrent.futures.Future[int]:
        """Signal from any thread; returns at once with a future of the count.

        Example:
            >>> import threading
            >>> import anyio
            >>> import gensup.aio
            >>> from gensup import Supervisor, Worker, waitfor
            >>> def counter():
            ...     while True:
            ...         event, n = yield waitfor("ADD")
            ...         print("got", n)
            >>> async def main():
            ...     async with gensup.aio.start(Supervisor("root", [Worker("c", counter)])) as tree:
            ...         thread = threading.Thread(target=lambda: print(
            ...             "reached", tree.signal_threadsafe("ADD", 1).result()))
            ...         thread.start()
            ...         await anyio.to_thread.run_sync(thread.join)
            >>> anyio.run(main)
            got 1
            reached 1

        The signal is handed to the event loop's thread and delivered there
        soon, in the order such signals were made; this call never waits for
        the loop.  The future resolves to what `gensup.Tree.signal` returned,
        or to the exception it raised (`TreeStopped` once the tree stopped or
        the block was left).  Do not wait on the future from the loop's own
        thread: that would block the loop that resolves it.
        """
        return self._driver.signal_threadsafe(event, args, to)

    def feed(
        self,
        source: AsyncIterable[object],
        *,
        event: Hashable | None = None,
        to: str | None = None,
    ) -> None:
        """Signal every item of an async iterable, in a task of the driver's, until it ends.

        Example:
            >>> import anyio
            >>> import gensup.aio
            >>> from gensup import Supervisor, Worker, waitfor
            >>> def printer():
            ...     while True:
            ...         event, *args = yield waitfor("LINE", "EOF")
            ...         print(event, *args)
            >>> async def lines():
            ...     for line in ["one", "two"]:
            ...         yield line
            >>> async def main():
            ...     async with gensup.aio.start(Supervisor("root", [Worker("p", printer)])) as tree:
            ...         tree.feed(lines(), event="LINE")
            ...         await anyio.sleep(0.01)
            ...         tree.signal("EOF")
            >>> anyio.run(main)
            LINE one
            LINE two
            EOF

        With ``event=None`` each item is a tuple ``(event, *args)``, signalled
        as ``signal(event, *args, to=to)``; otherwise each item is signalled as
        ``signal(event, item, to=to)``.  The feed ends with the iterable, or
        when the tree stops; the iterable is then closed (``aclose()``) if it
        can be.  If the iterable raises (or an item is not a tuple when
        ``event`` is None, or ``to`` names no child), the failure is logged
        at ERROR, the tree is stopped, and `wait_stopped` raises it (or,
        failing that, leaving the block does): a dead source is never lost
        silently.

        Raises:
            TreeStopped: the tree is no longer running.
        """
        self._driver.feed(source, event, to)

    async def wait_stopped(self) -> None:
        """Wait until the tree stops.

        Example:
            >>> import anyio
            >>> import gensup.aio
            >>> from gensup import Supervisor, Worker, sleep
            >>> def short_lived():
            ...     yield sleep(0.01)
            >>> async def main():
            ...     spec = Supervisor(
            ...         "root",
            ...         [Worker("w", short_lived, restart="transient", significant=True)],
            ...         auto_shutdown="any_significant",
            ...     )
            ...     async with gensup.aio.start(spec) as tree:
            ...         await tree.wait_stopped()
            ...         print("stopped:", not tree.alive)
            >>> anyio.run(main)
            stopped: True

        Returns when the tree stopped: by `stop`, by an auto-shutdown of the
        root, or by a give-up of the root.  Returns at once if it stopped
        already.

        Raises:
            SupervisorGaveUp: the root gave up where no call could raise it:
                while a timer fired, a call completed or a feed signalled.
            Exception: a feed's source failed (its own exception), which
                stopped the tree.
        """
        await self._driver.stopped.wait()
        self._driver.raise_error()

    async def request(
        self,
        event: Hashable,
        *args: object,
        to: str | None = None,
        one: bool = True,
        timeout: float | None = None,
    ) -> object:
        """Send ``(event, *args, ref)`` into the tree and wait for the reply.

        Example:
            >>> import anyio
            >>> import gensup.aio
            >>> from gensup import Supervisor, Worker, call, emit, waitfor
            >>> async def lookup(key):
            ...     await anyio.sleep(0.001)
            ...     return key.upper()
            >>> def service():
            ...     while True:
            ...         _, key, reply = yield waitfor("GET")
            ...         value = yield call(lookup, key)
            ...         yield emit(reply, value)
            >>> async def main():
            ...     spec = Supervisor("root", [Supervisor("svc", [Worker("a", service)])])
            ...     async with gensup.aio.start(spec) as tree:
            ...         print(await tree.request("GET", "key", to="root/svc", timeout=5))
            >>> anyio.run(main)
            KEY

        As `gensup.Tree.request`, but the reply may take time: a call, a
        timer, a later signal.  With ``timeout`` (seconds of the tree's
        clock), a request with no reply by then raises ``TimeoutError``.  A
        cancelled caller cancels the request: a reply that comes later is
        reported `Dropped`.

        Raises:
            RequestFailed: no worker took it, or the one that did crashed or
                was stopped before replying (chained to its exception).
            TimeoutError: no reply within ``timeout``.
            ChildNotFound: ``to`` names no child of the running tree.
        """
        pending = self._tree.send_request(event, *args, to=to, one=one, timeout=timeout)
        if not pending.done:
            settled = anyio.Event()
            pending.add_done_callback(lambda _: settled.set())
            try:
                await settled.wait()
            finally:
                pending.cancel()  # a no-op once settled
        return pending.result()

    async def put(self, event: Hashable, *args: object, to: str | None = None) -> None:
        """Send ``(event, *args)`` to one worker of the pool at ``to``, waiting
        while its backlog is full instead of dropping the event.

        Example:
            >>> import anyio
            >>> import gensup.aio
            >>> from gensup import Supervisor, Worker, call, waitfor
            >>> async def work(job):
            ...     await anyio.sleep(0.001)
            >>> def fetcher():
            ...     while True:
            ...         _, job = yield waitfor("JOB")
            ...         yield call(work, job)
            >>> async def main():
            ...     pool = Supervisor("pool", [Worker("f", fetcher)], backlog=2)
            ...     async with gensup.aio.start(Supervisor("root", [pool])) as tree:
            ...         for job in range(10):
            ...             await tree.put("JOB", job, to="root/pool")
            ...         print("dropped:", tree.dropped)
            >>> anyio.run(main)
            dropped: 0

        The back-pressured form of ``signal(event, *args, to=to, one=True)``:
        the event goes to the worker that has waited longest, or into the
        backlog of the supervisor at ``to``; while that backlog is full, the
        caller waits (checking again every millisecond or so) until a worker
        takes an event from it.  A supervisor without a backlog has no room:
        ``put`` to it waits until one of its workers waits for the event.

        Raises:
            ChildNotFound: ``to`` names no running supervisor.
            TreeStopped: the tree stopped while ``put`` waited.
        """
        path = self._tree.spec.id if to is None else to
        delay = 0.0
        while True:
            if self._has_room(event, path):
                self.signal(event, *args, to=to, one=True)
                return
            await anyio.sleep(delay)
            delay = min(0.001, delay + 0.0002)

    def _has_room(self, event: Hashable, path: str) -> bool:
        """Whether a one-of-N send to the supervisor at ``path`` is delivered or held."""
        bound = self._tree.get_childspec(path)
        held = self._tree.count_children(path).backlog
        room = isinstance(bound, Supervisor) and held < bound.backlog
        return room or any(event in waits for waits in self._waits_under(path))

    def _waits_under(self, path: str) -> list[tuple[Hashable, ...]]:
        prefix = path + "/"
        return [waits for where, waits in self._tree.status().items() if where.startswith(prefix)]

    def events(self, event: Hashable, *, buffer: int = 1000) -> Events:
        """The events emitted (or signalled) into the tree, as an async iterator.

        Example:
            >>> import anyio
            >>> import gensup.aio
            >>> from gensup import Supervisor, Worker, emit, waitfor
            >>> def squarer():
            ...     while True:
            ...         _, n = yield waitfor("WORK")
            ...         yield emit("RESULT", n * n)
            >>> async def main():
            ...     async with gensup.aio.start(Supervisor("root", [Worker("s", squarer)])) as tree:
            ...         async with tree.events("RESULT") as results:
            ...             for n in (2, 3):
            ...                 tree.signal("WORK", n)
            ...             async for (square,) in results:
            ...                 print(square)
            ...                 if square == 9:
            ...                     break
            >>> anyio.run(main)
            4
            9

        Each item is the event's args (a tuple), for every occurrence from
        now on, after the workers that waited for it got it (a listener, as
        `gensup.Tree.listen`: an event heard here is not `Dropped`).  Up to
        ``buffer`` items wait for the reader; past that, an item is dropped,
        counted in `Events.overflowed` and logged as a warning.  Leaving the
        ``async with`` block, or calling `Events.close`, stops listening; so
        does leaving an ``async for`` over it once nothing refers to it.

        Raises:
            ValueError: ``buffer`` is less than 1.
        """
        if isinstance(buffer, bool) or not isinstance(buffer, int) or buffer < 1:
            raise ValueError(f"AsyncTree.events: 'buffer' must be an int >= 1 (got {buffer!r})")
        return Events(self._tree, event, buffer)

    # ---- The calls of gensup.Tree ----

    @property
    def alive(self) -> bool:
        """Whether the tree runs (`gensup.Tree.alive`)."""
        return self._tree.alive

    @property
    def spec(self) -> Supervisor:
        """The root supervisor's spec (`gensup.Tree.spec`)."""
        return self._tree.spec

    @property
    def dropped(self) -> int:
        """How many events reached no worker so far (`gensup.Tree.dropped`)."""
        return self._tree.dropped

    def stop(self) -> None:
        """Stop the tree now (`gensup.Tree.stop`); `wait_stopped` then returns.

        Leaving the block does this anyway.
        """
        self._tree.stop()

    def start_child(self, sup_path: str, spec: ChildSpec) -> None:
        """Add a child to a supervisor and start it (`gensup.Tree.start_child`)."""
        self._tree.start_child(sup_path, spec)

    def terminate_child(self, path: str) -> None:
        """Stop a child without restarting it (`gensup.Tree.terminate_child`)."""
        self._tree.terminate_child(path)

    def restart_child(self, path: str) -> None:
        """Start a stopped child again (`gensup.Tree.restart_child`)."""
        self._tree.restart_child(path)

    def delete_child(self, path: str) -> None:
        """Forget a stopped child's spec (`gensup.Tree.delete_child`)."""
        self._tree.delete_child(path)

    def which_children(self, sup_path: str) -> list[ChildInfo]:
        """A supervisor's children (`gensup.Tree.which_children`)."""
        return self._tree.which_children(sup_path)

    def count_children(self, sup_path: str) -> ChildCounts:
        """Count a supervisor's children (`gensup.Tree.count_children`)."""
        return self._tree.count_children(sup_path)

    def get_childspec(self, path: str) -> ChildSpec:
        """A child's spec (`gensup.Tree.get_childspec`)."""
        return self._tree.get_childspec(path)

    def status(self) -> dict[str, tuple[Hashable, ...]]:
        """For each live worker, the events it waits for (`gensup.Tree.status`)."""
        return self._tree.status()

    def format(self) -> str:
        """The tree as text (`gensup.Tree.format`)."""
        return self._tree.format()

    def __str__(self) -> str:
        return self._tree.format()

    def __repr__(self) -> str:
        state = "alive" if self._tree.alive else "stopped"
        return f"<gensup.aio.AsyncTree {self._tree.spec.id!r} {state}>"


# ---- The async context manager ----


class Events:
    """Events heard from a tree, read with ``async for``: see `AsyncTree.events`."""

    def __init__(self, tree: Tree, event: Hashable, buffer: int) -> None:
        """Made by `AsyncTree.events`; not meant to be built by hand."""
        #: The event listened to.
        self.event = event
        #: How many items were dropped because the reader fell ``buffer`` behind.
        self.overflowed = 0
        self._send, self._receive = anyio.create_memory_object_stream[tuple[Any, ...]](buffer)
        self._listener: Listener | None = tree.listen(event, self._hear)

    def _hear(self, message: tuple[Any, ...]) -> None:
        try:
            self._send.send_nowait(message[1:])
        except anyio.WouldBlock:
            self.overflowed += 1
            _log.log_overflow(self.event, self.overflowed)
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            pass

    def close(self) -> None:
        """Stop listening; items already buffered can still be read."""
        if self._listener is not None:
            self._listener.cancel()
            self._listener = None
            self._send.close()

    def __aiter__(self) -> AsyncIterator[tuple[Any, ...]]:
        return self

    async def __anext__(self) -> tuple[Any, ...]:
        try:
            return await self._receive.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def __aenter__(self) -> Events:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()
        self._receive.close()

    def __del__(self) -> None:
        # An `async for` left with break, and nothing else referring to it.
        listener = getattr(self, "_listener", None)
        if listener is not None:
            listener.cancel()


class _Running:
    """What `start` returns: enter it to run the tree."""

    def __init__(
        self,
        spec: Supervisor,
        observer: Observer | None,
        seed: int | str | bytes | None,
        max_deliveries: int,
        record: str | os.PathLike[str] | None = None,
        make: Callable[..., Tree] = _start_tree,
    ) -> None:
        self._spec = spec
        self._observer = observer
        self._seed = seed
        self._max_deliveries = max_deliveries
        self._record = record
        # What starts the tree: gensup.start, or the far end of a placed subtree's.
        self._make = make
        # Invariant: set from entering the block on; an instance runs one tree.
        self._driver: AioDriver | None = None

    async def __aenter__(self) -> AsyncTree:
        if self._driver is not None:
            raise RuntimeError("gensup.aio.start(...) can be entered only once")
        group = anyio.create_task_group()
        await group.__aenter__()
        driver = self._driver = AioDriver(group)
        try:
            tree = self._make(
                self._spec,
                clock=driver.clock,
                observer=self._observer,
                seed=self._seed,
                driver=driver,
                max_deliveries=self._max_deliveries,
                record=self._record,
            )
        except BaseException:
            # Calls made while starting were cancelled with their workers.
            driver.closed = True
            group.cancel_scope.cancel()
            await group.__aexit__(None, None, None)
            raise
        driver.tree = tree
        group.start_soon(driver.pump, name="gensup timers")
        return AsyncTree(tree, driver)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        driver = self._driver
        assert driver is not None
        group = driver.group
        problem: BaseException | None = None
        try:
            driver.shutdown()
        except BaseException as error:  # a worker's finally raised Ctrl-C: raised below
            problem = error
        # Placed subtrees end with the tree: wait for their processes, shielded
        # from the cancellation that may be why the block is left.
        with anyio.CancelScope(shield=True):
            await driver.close_remotes()
        group.cancel_scope.cancel()
        absorbed = False
        if isinstance(exc, driver.cancelled):
            # The task group's scope, or one around it, is what this
            # cancellation is for: it must see it, to absorb it or pass it on.
            absorbed = bool(await group.__aexit__(exc_type, exc, tb))
        else:
            # Anything else from the body propagates as it is, not wrapped in
            # the group's ExceptionGroup (the driver's tasks never fail).
            await group.__aexit__(None, None, None)
        if driver.fatal is not None:
            raise driver.fatal
        if problem is not None:
            raise problem
        if exc is None and not driver.delivered:
            driver.raise_error()
        return absorbed
