"""The machinery of the async driver (`gensup.aio`): timers, calls, feeds, threads.

`AioDriver` is the `gensup.Driver` of one tree run by `gensup.aio.start`.  It
uses only the tree's public sans-I/O calls (`Tree.next_deadline`,
`Tree.fire_due`, `Tree.complete_call`, `Tree.fail_call`, `Tree.signal`,
`Tree.stop`) and anyio, so that the same code runs under asyncio and trio.

Its tasks live in one task group, opened when the block is entered and
closed when it is left:

* one task fires the timers: it sleeps until `Tree.next_deadline`, or until
  the core says an earlier timer was set, and calls `Tree.fire_due`; it also
  makes the signals that other threads asked for;
* one task per call (at least: a task that settles a call runs the call made
  meanwhile, see `AioDriver.run_calls`), each call in a cancel scope of its own;
* one task per feed.

The tree's mutating calls are made from these tasks only, never from the
callbacks the core makes (which may come in the middle of a delivery).  A
driver task never fails: what a tree call raises there is kept (`error`,
raised by `wait_stopped` or on leaving the block) or, for a BaseException
such as Ctrl-C, stops everything (`fatal`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import math
import sys
import threading
from collections.abc import AsyncIterable, Awaitable, Callable, Hashable
from typing import Final

import anyio
import anyio.abc
import anyio.lowlevel
from loguru import logger

from ._aio_placing import AioPlacing
from ._calls import PendingCall
from ._clock import MonotonicClock
from ._errors import ReentrantCall, SupervisorGaveUp, TooManyDeliveries, TreeStopped
from ._tree import Tree

__all__ = ["AioDriver"]


class AioDriver(AioPlacing):
    """The `gensup.Driver` of one tree: timers, calls, feeds and other threads' signals.

    Every method the core calls (`call_started`, `call_cancelled`,
    `deadline_changed`, `tree_stopped`) only records or schedules: it may run
    in the middle of a delivery.  The tree's mutating calls are made from the
    driver's own tasks, never from inside one of those.
    """

    def __init__(self, group: anyio.abc.TaskGroup) -> None:
        self.group = group
        self.clock = MonotonicClock()
        self.cancelled: Final = anyio.get_cancelled_exc_class()
        # Invariant: None until the tree started (calls made while starting
        # are scheduled before it returns, and run after).
        self.tree: Tree | None = None
        # Invariant: a cancel scope for every call the core started and did
        # not cancel, that no task has settled yet.
        self.scopes: dict[int, anyio.CancelScope] = {}
        # Invariant: None, except while a call task settles a call: then _FREE
        # until a call is started meanwhile, which that task runs next.
        self.handover: object = None
        # Invariant: a cancel scope for every feed still running.
        self.feeds: set[anyio.CancelScope] = set()
        # Set to wake the timer task up; a fresh one each time it sleeps.
        self.wake = anyio.Event()
        # Invariant: the clock reading the timer task sleeps until (inf: until
        # woken; -inf: it is awake, or was woken already).
        self.until = -math.inf
        # Set once the tree stopped, whatever stopped it.
        self.stopped = anyio.Event()
        # The first failure that no call could raise: a give-up in a driver
        # task, a failed feed.  Raised by wait_stopped, else on leaving the block.
        self.error: BaseException | None = None
        # Invariant: true once wait_stopped raised `error`.
        self.delivered = False
        # A BaseException (Ctrl-C, SystemExit) caught in a driver task: the
        # block's body is cancelled and this is raised on leaving it.
        self.fatal: BaseException | None = None
        # Other threads' signals; the fields below are guarded by `lock`.
        self.lock = threading.Lock()
        # Invariant: (future, event, args, to) of every signal_threadsafe
        # whose signal was not made yet, in the order they came.
        self.inbox: list[_Request] = []
        # Invariant: true from when a thread asked the loop to drain the inbox
        # until the drain takes the inbox.
        self.inbox_woken = False
        # Invariant: true once the tree stopped or the block is being left:
        # nothing enters the inbox any more.
        self.closed = False
        self.enter_loop = _threadsafe_entry()
        self._init_placing()

    # ---- What the core calls (gensup.Driver) ----

    def call_started(self, call: PendingCall) -> None:
        """A worker yielded ``call(...)``: run it, in a cancel scope of its own."""
        self.scopes[call.id] = anyio.CancelScope()
        if self.handover is _FREE:
            self.handover = call  # the task settling a call runs this one next
        else:
            self.group.start_soon(self.run_calls, call, name=f"gensup call {call.path}")

    def call_cancelled(self, call: PendingCall) -> None:
        """The call's worker is being stopped, or its timeout fired: cancel it."""
        scope = self.scopes.pop(call.id, None)
        if scope is not None:
            scope.cancel()

    def deadline_changed(self, deadline: float) -> None:
        """A timer was set before every other: wake the timer task if it sleeps longer."""
        if deadline < self.until:
            self.until = -math.inf
            self.wake.set()

    def tree_stopped(self) -> None:
        """The tree stopped: wake whoever waits for it, end the feeds and the timer task."""
        with self.lock:
            self.closed = True
        self.stopped.set()
        for scope in self.feeds:
            scope.cancel()
        self.wake.set()

    # ---- Timers and other threads' signals: one task ----

    async def pump(self) -> None:
        """Fire the timers when they are due; deliver other threads' signals.

        Sleeps until the next deadline or until woken (an earlier timer was
        set, another thread signalled, the tree stopped).  Ends when the tree
        stops.
        """
        tree = self.tree
        assert tree is not None
        now = self.clock.now
        while True:
            if self.inbox:
                self.drain_inbox()
            if self.arrived:
                self.take_arrived()
            if self.closed:
                return
            if not self.mutate(tree.fire_due):
                continue  # the tree stopped while a timer fired
            deadline = tree.next_deadline()
            self.wake = wake = anyio.Event()
            if deadline is None:
                self.until = math.inf
                await wake.wait()
            else:
                delay = deadline - now()
                if delay > 0:
                    self.until = deadline
                    with anyio.move_on_after(delay):
                        await wake.wait()
                else:
                    # Due already (the clock moved while firing): fire it,
                    # after letting the loop run.
                    await anyio.lowlevel.checkpoint()
            self.until = -math.inf

    def signal_threadsafe(
        self, event: Hashable, args: tuple[object, ...], to: str | None
    ) -> concurrent.futures.Future[int]:
        future: concurrent.futures.Future[int] = concurrent.futures.Future()
        with self.lock:
            if self.closed:
                future.set_exception(TreeStopped(_STOPPED_THREADSAFE))
                return future
            self.inbox.append((future, event, args, to))
            if self.inbox_woken:
                return future
            self.inbox_woken = True
        # If the loop is gone, the block was left, and its last drain settled
        # whatever was in the inbox.
        with contextlib.suppress(Exception):
            self.enter_loop(self.woken_by_thread)
        return future

    def woken_by_thread(self) -> None:
        """In the loop's thread, at a thread's request (never raises).

        While the tree runs, the timer task drains the inbox (it is running,
        or about to start and drain first).  Once it stopped, the signals fail
        at once, with no worker code run here, outside any task.
        """
        if self.closed:
            self.drain_inbox()
        else:
            self.wake.set()

    def drain_inbox(self) -> None:
        """Make the signals other threads asked for, in order; settle their futures."""
        with self.lock:
            items, self.inbox = self.inbox, []
            self.inbox_woken = False
        tree = self.tree
        for future, event, args, to in items:
            if not future.set_running_or_notify_cancel():
                continue  # the thread cancelled it
            if tree is None:
                future.set_exception(TreeStopped(_STOPPED_THREADSAFE))
                continue
            try:
                reached = tree.signal(event, *args, to=to)
            except SupervisorGaveUp as exc:
                future.set_exception(exc)
                self.fail(exc)
            except Exception as exc:
                future.set_exception(exc)
            except BaseException as exc:
                future.set_exception(exc)
                self.abort(exc)
            else:
                future.set_result(reached)

    # ---- Calls: a task each, or one task for a worker's calls in a row ----

    async def run_calls(self, call: PendingCall) -> None:
        """Run ``call``, then each call started while this task settled the previous one.

        A worker waiting on a call usually makes its next call as soon as it
        is resumed (a read, then a write, then a read...), that is, while this
        task settles the previous one: the task runs it next rather than a new
        task, which costs more than the rest of a call.  Each call still gets
        a cancel scope of its own.  Calls that never suspend would keep the
        task from ever giving the loop back: it checkpoints every
        `_HANDOVERS` calls, as a new task would.
        """
        next_call: PendingCall | None = call
        done = 0
        while next_call is not None:
            next_call = await self.run_call(next_call)
            done += 1
            if done % _HANDOVERS == 0 and next_call is not None:
                await anyio.lowlevel.checkpoint()

    async def run_call(self, call: PendingCall) -> PendingCall | None:
        """Await one call and settle it unless it was cancelled; return the call
        started while settling it, if any."""
        scope = self.scopes.get(call.id)
        if scope is None:
            return None  # cancelled before it began: fn is never called
        error: BaseException | None = None
        value: object = None
        with scope:
            try:
                value = await call.fn(*call.args)
            except self.cancelled as exc:
                if scope.cancel_called or anyio.current_effective_deadline() == -math.inf:
                    raise  # cancelled by the tree, or the block is being left
                # A cancellation that no scope asked for (an asyncio future
                # cancelled by someone else): the call failed.
                error = RuntimeError(f"the call {_describe(call)} was cancelled from outside")
                error.__cause__ = exc
            except Exception as exc:
                error = exc
            except BaseException as exc:
                self.scopes.pop(call.id, None)
                self.abort(exc)
                return None
        if self.scopes.pop(call.id, None) is None:
            return None  # the tree cancelled it meanwhile: the outcome is stale
        tree = self.tree
        assert tree is not None
        self.handover = _FREE
        try:
            if error is None:
                self.mutate(tree.complete_call, call, value)
            else:
                self.mutate(tree.fail_call, call, error)
        finally:
            handed, self.handover = self.handover, None
        return handed if isinstance(handed, PendingCall) else None

    # ---- Feeds: a task each ----

    def feed(self, source: AsyncIterable[object], event: Hashable | None, to: str | None) -> None:
        tree = self.tree
        assert tree is not None
        if not tree.alive or self.closed:
            raise TreeStopped("AsyncTree.feed(): the tree is not running")
        if not hasattr(source, "__aiter__"):
            raise TypeError(
                f"AsyncTree.feed(): 'source' must be an async iterable (got {source!r})"
            )
        scope = anyio.CancelScope()
        self.feeds.add(scope)
        self.group.start_soon(self.run_feed, source, event, to, scope, name="gensup feed")

    async def run_feed(
        self,
        source: AsyncIterable[object],
        event: Hashable | None,
        to: str | None,
        scope: anyio.CancelScope,
    ) -> None:
        tree = self.tree
        assert tree is not None
        signal = tree.signal
        failure: Exception | None = None
        try:
            with scope:
                try:
                    async for item in source:
                        try:
                            if event is not None:
                                signal(event, item, to=to)
                            elif type(item) is tuple and item:
                                signal(*item, to=to)
                            else:
                                raise TypeError(
                                    f"AsyncTree.feed(): with event=None each item must be a "
                                    f"non-empty tuple (event, *args) (got {item!r})"
                                )
                        except TooManyDeliveries as exc:
                            _log_runaway(exc, event)
                except TreeStopped:
                    pass  # the tree stopped on its own: the feed ends with it
                except SupervisorGaveUp as exc:
                    self.fail(exc)
                except Exception as exc:
                    failure = exc
                finally:
                    aclose: Callable[[], Awaitable[object]] | None = getattr(source, "aclose", None)
                    if aclose is not None:
                        await aclose()
        except self.cancelled:
            raise
        except Exception as exc:  # aclose() failed
            failure = failure or exc
        except BaseException as exc:
            self.abort(exc)
        finally:
            self.feeds.discard(scope)
        if failure is not None:
            logger.opt(exception=failure).error(
                "feed into {} failed: {!r}; the tree is stopped",
                to or tree.spec.id,
                failure,
                path=to,
                incarnation=None,
                event=event,
                reason=None,
                report=None,
            )
            self.fail(failure)

    # ---- Failures and the end ----

    def mutate(self, method: Callable[..., object], *args: object) -> bool:
        """Make a mutating tree call from a driver task; keep what it raises.

        Returns whether the tree still runs.
        """
        try:
            method(*args)
        except SupervisorGaveUp as exc:
            self.fail(exc)
        except TooManyDeliveries as exc:
            _log_runaway(exc, None)
        except ReentrantCall:
            raise  # a bug of the driver's, not the tree's
        except Exception as exc:
            logger.opt(exception=exc).error(
                "the async driver's call to {} failed: {!r}; the tree is stopped",
                getattr(method, "__name__", method),
                exc,
                path=None,
                incarnation=None,
                event=None,
                reason=None,
                report=None,
            )
            self.fail(exc)
        except BaseException as exc:
            self.abort(exc)
        return not self.closed

    def fail(self, error: BaseException) -> None:
        """A failure no call could raise: keep it for wait_stopped, stop the tree."""
        if self.error is None:
            self.error = error
        tree = self.tree
        if tree is not None and tree.alive:
            try:
                tree.stop()
            except BaseException as exc:
                self.abort(exc)
        self.stopped.set()

    def abort(self, exc: BaseException) -> None:
        """Ctrl-C or the like in a driver task: stop everything, cancel the body."""
        if self.fatal is None:
            self.fatal = exc
        tree = self.tree
        if tree is not None and tree.alive:
            # `exc` is what propagates; the tree is stopped either way.
            with contextlib.suppress(BaseException):
                tree.stop()
        self.stopped.set()
        self.group.cancel_scope.cancel()

    def raise_error(self) -> None:
        """Raise the failure kept by `fail`, if any."""
        error = self.error
        if error is not None:
            self.delivered = True
            raise error

    def shutdown(self) -> None:
        """Leaving the block: stop the tree; settle other threads' pending signals."""
        with self.lock:
            self.closed = True
        try:
            tree = self.tree
            if tree is not None and tree.alive:
                tree.stop()
        finally:
            self.drain_inbox()


# How many calls in a row a call task runs before it lets the loop run others.
_HANDOVERS: Final = 16

# The value of `AioDriver.handover` while a call task settles a call and no
# call was started meanwhile.
_FREE: Final = object()

#: A signal_threadsafe waiting for the loop: (future, event, args, to).
_Request = tuple[concurrent.futures.Future[int], Hashable, tuple[object, ...], str | None]

_STOPPED_THREADSAFE: Final = (
    "AsyncTree.signal_threadsafe(): the tree is not running (it was stopped or gave up)"
)


def _log_runaway(exc: TooManyDeliveries, event: Hashable | None) -> None:
    """What a caller of the tree would have been raised: the tree settled and runs on."""
    logger.opt(exception=exc).error(
        "{}; the tree runs on",
        exc,
        path=None,
        incarnation=None,
        event=event,
        reason=None,
        report=None,
    )


def _describe(call: PendingCall) -> str:
    name = getattr(call.fn, "__qualname__", repr(call.fn))
    return f"{name}() of {call.path!r}"


def _threadsafe_entry() -> Callable[[Callable[[], object]], object]:
    """How another thread has the running loop call a function soon, without waiting.

    anyio's `BlockingPortal` waits until the loop has taken the call, so each
    backend's own entry is used: trio's token, or asyncio's
    ``call_soon_threadsafe``.
    """
    trio = sys.modules.get("trio")
    if trio is not None:
        try:
            token = trio.lowlevel.current_trio_token()
        except RuntimeError:
            pass  # trio is imported, but this loop is asyncio's
        else:
            run_sync_soon: Callable[[Callable[[], object]], object] = token.run_sync_soon
            return run_sync_soon
    return asyncio.get_running_loop().call_soon_threadsafe
