"""The public face of a running tree: gensup.start and gensup.Tree.

Each public call checks its input, does its work through the engine
(`_core.Core`) and drains the engine's queue before it returns.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import os
import threading
from collections.abc import Callable, Generator, Hashable, Iterator
from threading import get_ident
from typing import Any, Final

from ._calls import Driver, PendingCall
from ._clock import Clock, VirtualClock
from ._commands import NO_KEY
from ._core import MAX_DELIVERIES, SEEN_LIMIT, Core, Observer
from ._dispatch import DELIVERED, DROPPED
from ._errors import (
    ChildAlreadyPresent,
    ChildAlreadyStarted,
    ChildNotFound,
    ChildRestarting,
    ChildRunning,
    GensupError,
    InvalidSpec,
    InvalidSpecType,
    ReentrantCall,
    ReplyNotReady,
    StartFailed,
    SupervisorGaveUp,
    TreeStopped,
)
from ._explain import NOTHING, Explanation, explain, statistics
from ._nodes import (
    _FAILED,
    _IGNORED,
    _RESTARTING,
    _RUNNING,
    _STOPPED,
    _kind,
    _make_node,
    _Node,
    _PlacedNode,
    _SupNode,
    _WorkerNode,
)
from ._placing import check_placements, refuse_recording
from ._records import ChildCounts, ChildInfo, ChildState
from ._requests import Listener, PendingRequest
from ._routing import stable_hash
from ._spec import ChildSpec, Restart, Supervisor, Worker, check_root, check_significant_allowed
from ._stats import DEAD_LETTERS, DeadLetter, TreeStatistics

__all__ = ["Tree", "start"]


class Tree(Core):
    """A running supervision tree, returned by `gensup.start`.

    Example:
        >>> import gensup
        >>> from gensup import Supervisor, Worker, waitfor
        >>> def counter():
        ...     n = 0
        ...     while True:
        ...         event, step = yield waitfor("ADD")
        ...         n += step
        >>> with gensup.start(Supervisor("root", [Worker("c", counter)])) as tree:
        ...     tree.signal("ADD", 2)
        ...     tree.status()
        1
        {'root/c': ('ADD',)}

    Every mutating call (`signal`, `request`, `send_request`, `start_child`,
    `terminate_child`, `restart_child`, `delete_child`, `stop`) runs to
    completion: events that workers emit meanwhile and the restarts of
    workers that end meanwhile are handled, in order, before it returns.
    Calling one of them from inside a worker, an observer or a listener
    raises `ReentrantCall`: workers act through commands
    (``yield emit(...)``).  So does calling one from a second thread while
    another runs: a tree is not thread-safe.  The read-only calls and
    properties (`status`, `which_children`, `count_children`, `get_childspec`,
    `walk`, `format` and ``str(tree)``, `spec`, `alive`, `dropped`) may be
    called anywhere, from a worker or an observer too, and so may `listen`.

    Paths name children from the root: ``"root"``, ``"root/pool"``,
    ``"root/pool/a"``.

    When a call fails: an error raised by its checks (`ChildNotFound`,
    `ChildRunning`, `InvalidSpec`, a `TypeError` for an unhashable event...)
    comes before it changes anything, and the tree goes on.  Workers'
    exceptions never fail a call: they are crashes, which supervisors handle.
    But if something the tree calls out to (its clock, a loguru sink added
    with ``catch=False``, its driver) raises while a call is changing the
    tree, the tree cannot go on consistently: it stops as `stop` stops it
    (every child closed, last started first, every report made) and the call
    raises that same exception, with a note saying that the tree stopped.  A
    ``KeyboardInterrupt`` stops the tree in the same way.
    """

    # ---- Public: lifecycle ----

    @property
    def alive(self) -> bool:
        """Whether the tree runs: false after `stop`, a give-up of the root,
        an auto-shutdown of the root, or an error that stopped it."""
        return self._alive

    @property
    def spec(self) -> Supervisor:
        """The root supervisor's spec, as given to `gensup.start`."""
        return self._spec

    @property
    def dropped(self) -> int:
        """How many signalled or emitted events reached no worker so far."""
        return self._dropped

    def _start(self) -> None:
        root = self._root
        self._busy = get_ident()
        try:
            ok = self._run(self._start_sup(root))
            if ok:
                self._alive = True
            else:
                self._halt()
            self._drain()
        except BaseException as exc:
            self._abort(exc, starting=True)
            raise
        finally:
            self._busy = 0
        if not ok:
            cause = self._start_error
            raise StartFailed(
                f"the tree {root.path!r} failed to start: {_describe_failure(cause)}"
            ) from cause
        self._raise_if_gave_up()

    def stop(self) -> None:
        """Stop the tree: every child is closed, last started first.

        Workers' generators are closed, so their ``finally`` blocks run.  Calling
        `stop` on a tree that is no longer alive does nothing.

        Raises:
            ReentrantCall: called from inside a worker or an observer, or
                from a second thread while another call runs.
        """
        self._check_not_busy("stop")
        if not self._alive:
            return
        self._busy = get_ident()
        try:
            self._stop(self._root)
            self._halt()
            self._drop_queue()
            self._raise_interrupt()
        except BaseException as exc:
            self._abort(exc)
            raise
        finally:
            self._busy = 0

    def __enter__(self) -> Tree:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._alive and not self._busy:
            self.stop()

    # ---- Public: events ----

    def signal(
        self,
        event: Hashable,
        *args: Any,
        to: str | None = None,
        one: bool = False,
        key: object = NO_KEY,
    ) -> int:
        """Deliver ``(event, *args)`` to every worker waiting for ``event``.

        Example:
            >>> import gensup
            >>> from gensup import Supervisor, Worker, waitfor
            >>> def waiter():
            ...     while True:
            ...         yield waitfor("GO")
            >>> spec = Supervisor("root", [Worker("a", waiter), Worker("b", waiter)])
            >>> with gensup.start(spec) as tree:
            ...     tree.signal("GO"), tree.signal("GO", to="root/b"), tree.signal("STOP")
            (2, 1, 0)

        The event reaches the workers of the subtree at ``to`` (the whole tree
        by default; a worker's path names just that worker) that wait for it
        when delivery begins, in the order in which they began waiting.
        Events they emit meanwhile and the restarts of those that end are
        handled before the call returns.  An event that reaches nobody (and
        no listener hears, see `listen`) is reported `Dropped`.

        With ``one=True`` it reaches one worker only: of the workers under
        ``to`` that wait for it, the one that has waited longest, so that a
        pool of idle workers takes events in turn.  If none waits and the
        supervisor at ``to`` has a ``backlog``, the event is held there and
        handed out, in order, as soon as a worker under it waits for it.

        With a ``key``, it reaches the child of the supervisor at ``to`` that
        the key chooses: ``jump(stable_hash(key), number of children)``, by
        the children's positions, so that a restarted child keeps its keys.
        If that child is a supervisor, the worker under it that has waited
        longest gets it; if nobody there waits, the event is held in that
        child's share of the backlog.  Adding a child at the end moves about
        1/(n+1) of the keys, all to the new child; removing the last child
        moves only its keys; removing or inserting a child elsewhere shifts
        the positions after it, and their keys with them.

        Returns:
            How many workers the event itself reached (not counting emitted
            events): with ``one`` or ``key``, 1 or 0 (held or dropped).

        Raises:
            TypeError: ``event`` is not hashable, or the key is not a str,
                bytes, number, bool, None or a tuple of them.
            ValueError: ``key`` with a path that names a worker.
            ChildNotFound: ``to`` names no child of the running tree.
            SupervisorGaveUp: the root gave up while this call ran.
            TooManyDeliveries: workers emitted more than ``max_deliveries``
                events in this call (see `gensup.start`).
            ReentrantCall: called from inside a worker or an observer, or
                from a second thread while another call runs.
        """
        if one or key is not NO_KEY:
            return self._signal_one(event, args, to, one, key)
        if self._busy:
            raise self._reentrant("signal")
        if not self._alive:
            raise TreeStopped(_STOPPED_MSG.format(name="signal"))
        self._busy = get_ident()
        try:
            if to is None:
                reached = self._deliver(event, args, None, None)
            else:
                target = self._resolve(to, "signal", True)
                reached = self._deliver(event, args, target, None)
            # After delivery, which has refused an unhashable event.
            seen = self._seen
            seen.add(event)
            if len(seen) > SEEN_LIMIT:
                seen.clear()
            if self._extras:
                # Listeners, or placed subtrees (see _placing).
                self._signal_extras(event, args, to, reached, None if to is None else target)
            elif not reached:
                self._drop(event, args, to)
            if self._queue or self._held:
                self._drain()
        except BaseException as exc:
            self._abort(exc)
            raise
        finally:
            self._busy = 0
        if self._gave_up:
            self._raise_if_gave_up()
        return reached

    def _signal_one(
        self, event: Hashable, args: tuple[Any, ...], to: str | None, one: object, key: object
    ) -> int:
        """`signal` with ``one`` or ``key``: checks first, then the engine's `_route_one`."""
        # Spelled out as `signal` is, rather than through `_mutation`: a pool
        # may take a job per call, and the context manager would be a third
        # of the cost.
        if self._busy:
            raise self._reentrant("signal")
        if not self._alive:
            raise TreeStopped(_STOPPED_MSG.format(name="signal"))
        target = self._one_target(event, to, one, key, "signal")
        self._busy = get_ident()
        try:
            if type(target) is _PlacedNode:
                sent = self._forward(event, args, target, to, True, key)
                outcome = DELIVERED if sent else DROPPED
            else:
                outcome = self._route_one(event, args, target, key, None)
            seen = self._seen
            seen.add(event)
            if len(seen) > SEEN_LIMIT:
                seen.clear()
            if outcome is DROPPED:
                if not (self._listeners and self._hear(event, args)):
                    self._drop(event, args, to)
            elif self._listeners:
                self._hear(event, args)
            if self._queue or self._held:
                self._drain()
        except BaseException as exc:
            self._abort(exc)
            raise
        finally:
            self._busy = 0
        if self._gave_up:
            self._raise_if_gave_up()
        return 1 if outcome > 0 else 0

    def _one_target(
        self, event: Hashable, to: str | None, one: object, key: object, name: str
    ) -> _Node | None:
        """Check a one-of-N or keyed send before it changes anything; its target."""
        if not isinstance(one, bool):
            raise TypeError(f"Tree.{name}(): 'one' must be a bool (got {one!r})")
        try:
            hash(event)
        except TypeError:
            raise TypeError(f"Tree.{name}(): the event must be hashable (got {event!r})") from None
        target = None if to is None else self._resolve(to, name, True)
        if key is not NO_KEY:
            stable_hash(key)  # a TypeError for a key of another type
            if type(target) is _WorkerNode:
                raise ValueError(
                    f"Tree.{name}(): key= chooses among a supervisor's children, and {to!r} "
                    f"is a worker"
                )
        return target

    # ---- Public: listeners, requests ----

    def listen(self, event: Hashable, callback: Callable[[tuple[Any, ...]], object]) -> Listener:
        """Call ``callback((event, *args))`` for every occurrence of ``event``.

        Example:
            >>> import gensup
            >>> from gensup import Supervisor, Worker, emit, waitfor
            >>> def squarer():
            ...     while True:
            ...         _, n = yield waitfor("WORK")
            ...         yield emit("RESULT", n * n)
            >>> with gensup.start(Supervisor("root", [Worker("s", squarer)])) as tree:
            ...     listener = tree.listen("RESULT", print)
            ...     _ = tree.signal("WORK", 3)
            ('RESULT', 9)

        The callback hears every occurrence of the event, signalled or
        emitted, wherever it was sent, after the workers that got it (an
        event held in a backlog is heard when it is sent).  An event that a
        listener hears is not reported `Dropped`, even if no worker got it.
        Listeners of one event are called in the order they were added.

        A callback runs inside the tree's call: one that raises is logged
        and the tree goes on; calling a mutating method of the tree from it
        raises `ReentrantCall`.  Cancel it with `Listener.cancel`.  This is
        the place where the outside world hears what the tree says, as a
        process registered with Elixir's ``Registry`` or OTP's ``pg`` would.

        Raises:
            TypeError: ``event`` is not hashable or ``callback`` is not callable.
        """
        try:
            hash(event)
        except TypeError:
            raise TypeError(f"Tree.listen(): the event must be hashable (got {event!r})") from None
        if not callable(callback):
            raise TypeError(f"Tree.listen(): 'callback' must be callable (got {callback!r})")
        return self._listen(event, callback)

    def send_request(
        self,
        event: Hashable,
        *args: Any,
        to: str | None = None,
        one: bool = True,
        timeout: float | None = None,
    ) -> PendingRequest:
        """Send ``(event, *args, ref)`` with a fresh `Ref`; the reply settles the result.

        Example:
            >>> import gensup
            >>> from gensup import Supervisor, Worker, emit, waitfor
            >>> def doubler():
            ...     while True:
            ...         _, n, reply = yield waitfor("DOUBLE")
            ...         yield emit(reply, 2 * n)
            >>> with gensup.start(Supervisor("root", [Worker("d", doubler)])) as tree:
            ...     tree.send_request("DOUBLE", 21).result()
            42

        The lower-level form of `request`: it returns at once with a
        `PendingRequest`, settled by the first event emitted to its ref
        (the reply), by the crash or stop of the worker that took it (with
        ``one=True``: `RequestFailed`), by its ``timeout`` (a
        ``TimeoutError``, when the tree's timers fire), by the tree
        stopping, or by its `PendingRequest.cancel`.  With ``one=False`` the
        request is broadcast and nobody is its handler.

        Raises:
            TypeError: ``event`` is not hashable.
            ChildNotFound: ``to`` names no child of the running tree.
            ReentrantCall: called from inside a worker, an observer or a
                listener, or from a second thread while another call runs.
        """
        self._check_not_busy("send_request")
        if not self._alive:
            raise TreeStopped(_STOPPED_MSG.format(name="send_request"))
        target = self._one_target(event, to, one, NO_KEY, "send_request")
        if timeout is not None:
            _check_timeout(timeout)
        with self._mutation("send_request"):
            # Returned once the mutation has drained the queue (a reply comes then).
            pending = self._send_request(event, args, target, to, one, timeout)
        return pending  # noqa: RET504

    def request(
        self,
        event: Hashable,
        *args: Any,
        to: str | None = None,
        one: bool = True,
        timeout: float | None = None,
    ) -> object:
        """Send a request into the tree and return its reply, as OTP's ``gen_server:call``.

        Example:
            >>> import gensup
            >>> from gensup import Supervisor, Worker, emit, waitfor
            >>> def doubler():
            ...     while True:
            ...         _, n, reply = yield waitfor("DOUBLE")
            ...         yield emit(reply, 2 * n)
            >>> with gensup.start(Supervisor("root", [Worker("d", doubler)])) as tree:
            ...     tree.request("DOUBLE", 21)
            42

        A worker under ``to`` (by default the one that has waited longest,
        as ``signal(..., one=True)``) gets ``(event, *args, ref)`` and
        replies with ``yield emit(ref, value)``.  The reply is ``value``, or
        the tuple of the arguments if it emits several.  The core is
        synchronous: the reply must come within this call (`send_request`
        waits longer; so does ``gensup.aio``'s awaitable request).

        Raises:
            ReplyNotReady: no reply within the call; the request is cancelled,
                and a reply that comes later is reported `Dropped`.
            RequestFailed: no worker took it (and no backlog kept it), or the
                worker that took it crashed or was stopped before replying
                (chained to its exception).
            TypeError: ``event`` is not hashable.
            ChildNotFound: ``to`` names no child of the running tree.
        """
        pending = self.send_request(event, *args, to=to, one=one, timeout=timeout)
        if not pending.done:
            pending.cancel()
            raise ReplyNotReady(
                f"Tree.request({event!r}): no reply within the call: the reply needs time "
                f"(a timer, a call, a later signal), which the synchronous core cannot wait "
                f"for; use Tree.send_request and look at its result later, or gensup.aio's "
                f"awaitable request"
            )
        return pending.result()

    # ---- Public: time and calls, the interface a driver uses ----

    def next_deadline(self) -> float | None:
        """When the next timer is due (a reading of the tree's clock), or None.

        Example:
            >>> import gensup
            >>> from gensup import Supervisor, Worker, VirtualClock, waitfor
            >>> def patient():
            ...     while True:
            ...         yield waitfor("PING", timeout=5)
            >>> clock = VirtualClock()
            >>> with gensup.start(Supervisor("root", [Worker("p", patient)]), clock=clock) as tree:
            ...     tree.next_deadline()
            5.0

        Timers are waits with a timeout, sleeps, calls with a timeout, and
        restarts delayed by backoff.  With the real clock, a loop that sleeps
        until this deadline and then calls `fire_due` drives them all:

            while tree.alive:
                deadline = tree.next_deadline()
                if deadline is not None:
                    time.sleep(max(0.0, deadline - time.monotonic()))
                    tree.fire_due()
                ...  # or wait for input and signal() it
        """
        timers = self._timers
        while True:
            timer = timers.first()
            if timer is None:
                return None
            if self._live(timer):
                return timer[0]  # type: ignore[no-any-return]
            timers.pop()  # a timer left stale: a wait's, by a delivery; a restart's, by a stop

    def fire_due(self) -> int:
        """Fire every timer due by the clock's now; return how many fired.

        Example:
            >>> import gensup
            >>> from gensup import TIMEOUT, Supervisor, Worker, VirtualClock, sleep
            >>> def napper():
            ...     while True:
            ...         event, *_ = yield sleep(1)
            ...         print("woke up:", event)
            >>> clock = VirtualClock()
            >>> with gensup.start(Supervisor("root", [Worker("n", napper)]), clock=clock) as tree:
            ...     clock.now(), tree.fire_due()
            (0.0, 0)

        Timers fire in deadline order, ties in the order they were set, each
        run to completion like a signal (what it causes is handled before the
        next one fires).  A timer set while firing, due by the same now, fires
        in the same call only if it is due at once (``timeout=0``).  A
        `VirtualClock` calls this for the trees started on it as it advances;
        drivers call it when `next_deadline` has passed.  On a tree that is no
        longer alive it does nothing and returns 0.

        Raises:
            SupervisorGaveUp: the root gave up while a timer fired.
            TooManyDeliveries: what a timer caused passed ``max_deliveries``
                (the later timers fire at the next call).
            ReentrantCall: called from inside a worker, an observer or a
                driver, or from a second thread while another call runs.
        """
        self._check_not_busy("fire_due")
        if not self._alive:
            return 0
        self._busy = get_ident()
        fired = 0
        try:
            fire = self._fire
            for timer in self._timers.take_due(self._clock.now()):
                if fire(timer):
                    fired += 1
                    if self._queue or self._held:
                        self._drain()
                    if not self.alive:  # the root gave up
                        break
        except BaseException as exc:
            self._abort(exc)
            raise
        finally:
            self._busy = 0
        self._raise_if_gave_up()
        return fired

    def pending_calls(self) -> tuple[PendingCall, ...]:
        """The calls that workers wait on, in the order they were made.

        Example:
            >>> import gensup
            >>> from gensup import Supervisor, Worker, call, waitfor
            >>> async def lookup(key):
            ...     return key * 2
            >>> def client():
            ...     value = yield call(lookup, 21)
            ...     print("got", value)
            ...     yield waitfor("NEVER")
            >>> with gensup.start(Supervisor("root", [Worker("c", client)])) as tree:
            ...     [(c.path, c.args) for c in tree.pending_calls()]
            [('root/c', (21,))]

        Without a driver, calls stay pending until `complete_call` or
        `fail_call` settles them: a test can play the outside world by hand.
        """
        return tuple(node.call for node in self._calls.values())  # type: ignore[misc]

    def complete_call(self, call: PendingCall, value: object) -> bool:
        """Resume the worker waiting on ``call`` with ``value``.

        Example:
            >>> import gensup
            >>> from gensup import Supervisor, Worker, call, waitfor
            >>> async def lookup(key):
            ...     return key * 2
            >>> def client():
            ...     value = yield call(lookup, 21)
            ...     print("got", value)
            ...     yield waitfor("NEVER")
            >>> with gensup.start(Supervisor("root", [Worker("c", client)])) as tree:
            ...     (pending,) = tree.pending_calls()
            ...     tree.complete_call(pending, 42), tree.complete_call(pending, 42)
            got 42
            (True, False)

        The worker runs to completion, with what it causes, before this
        returns.  A call that is no longer pending (settled already, cancelled
        by its timeout, or its worker stopped since) is refused: nothing
        happens and this returns False, so no result ever reaches a later
        incarnation of the worker.

        Returns:
            Whether the call was pending and its worker was resumed.

        Raises:
            SupervisorGaveUp: the root gave up while this call ran.
            ReentrantCall: called from inside a worker, an observer or a
                driver, or from a second thread while another call runs.
        """
        return self._settle(call, value, None, "complete_call")

    def fail_call(self, call: PendingCall, error: BaseException) -> bool:
        """Raise ``error`` in the worker waiting on ``call``, at its yield.

        As `complete_call`, but the worker gets an exception: caught by a
        ``try`` around its yield, or a crash that its supervisor handles.

        Returns:
            Whether the call was pending and its worker was resumed.

        Raises:
            TypeError: ``error`` is not an exception instance.
            SupervisorGaveUp: the root gave up while this call ran.
            ReentrantCall: called from inside a worker, an observer or a
                driver, or from a second thread while another call runs.
        """
        if not isinstance(error, BaseException):
            raise TypeError(
                f"Tree.fail_call: 'error' must be an exception instance (got {error!r})"
            )
        return self._settle(call, None, error, "fail_call")

    def _settle(
        self, call: PendingCall, value: object, error: BaseException | None, name: str
    ) -> bool:
        if not isinstance(call, PendingCall):
            raise TypeError(
                f"Tree.{name}: 'call' must be a PendingCall from pending_calls() (got {call!r})"
            )
        node = self._calls.get(call.id)
        if node is None or node.call is not call:
            return False
        with self._mutation(name):
            if node.timer is not None:
                self._cancel_timer(node)
            del self._calls[call.id]
            node.call = None
            self._resume(node, value, error)
        return True

    # ---- Public: OTP's dynamic API ----

    def start_child(self, sup_path: str, spec: ChildSpec) -> None:
        """Add ``spec`` as the last child of the supervisor at ``sup_path`` and start it.

        Example:
            >>> import gensup
            >>> from gensup import Supervisor, Worker, waitfor
            >>> def idle():
            ...     yield waitfor("NEVER")
            >>> with gensup.start(Supervisor("root")) as tree:
            ...     tree.start_child("root", Worker("late", idle))
            ...     [child.id for child in tree.which_children("root")]
            ['late']

        As OTP's ``supervisor:start_child/2``.  A worker that returns before
        its first wait is kept stopped (temporary: not kept), as with OTP's
        ``ignore``.  Nothing here counts toward the restart intensity.

        Raises:
            ChildNotFound: no running supervisor at ``sup_path``.
            ChildAlreadyStarted: a running child has this id.
            ChildAlreadyPresent: a stopped child has this id.
            StartFailed: the child failed to start; its spec is not kept.
            InvalidSpec: ``spec`` is not a spec, or is significant under a
                supervisor whose ``auto_shutdown`` is ``never``.
        """
        failure: BaseException | None = None
        with self._mutation("start_child"):
            sup = self._resolve_sup(sup_path, "start_child")
            if not isinstance(spec, (Worker, Supervisor)):
                raise InvalidSpecType(
                    f"start_child({sup_path!r}): 'spec' must be a Worker or Supervisor spec "
                    f"(got {spec!r})"
                )
            check_significant_allowed(sup.spec, spec, "start_child")  # type: ignore[arg-type]
            check_placements([spec], self._driver, sup.path)
            old = sup.by_id.get(spec.id)
            if old is not None:
                if old.state is _RUNNING:
                    raise ChildAlreadyStarted(f"start_child: {old.path!r} is already started")
                raise ChildAlreadyPresent(
                    f"start_child: {old.path!r} is already present ({old.state.value}); "
                    f"use restart_child, or delete_child first"
                )
            node = _make_node(spec, sup)
            sup.by_id[spec.id] = node
            outcome = self._run(self._start_child(node))
            if outcome is _FAILED:
                self._remove(sup, node)
                failure = self._start_error
            elif outcome is _IGNORED and spec.restart is Restart.TEMPORARY:
                self._remove(sup, node)
        if failure is not None:
            raise StartFailed(
                f"start_child: {sup_path}/{spec.id} failed to start: {_describe_failure(failure)}"
            ) from failure

    def terminate_child(self, path: str) -> None:
        """Stop the child at ``path`` without restarting it.

        Example:
            >>> import gensup
            >>> from gensup import Supervisor, Worker, waitfor
            >>> def idle():
            ...     yield waitfor("NEVER")
            >>> with gensup.start(Supervisor("root", [Worker("w", idle)])) as tree:
            ...     tree.terminate_child("root/w")
            ...     tree.which_children("root")[0].state.value
            'stopped'

        As OTP's ``supervisor:terminate_child/2``: the spec is kept (a
        temporary child is removed), nothing is counted, and a stopped child
        is left alone.

        Raises:
            ChildNotFound: no child at ``path``.
        """
        with self._mutation("terminate_child"):
            node = self._resolve_child(path, "terminate_child")
            if node.state is _RUNNING:
                self._stop(node)
            self._cancel_restart(node)  # a restart delayed by backoff
            node.state = _STOPPED
            if node.spec.restart is Restart.TEMPORARY:
                assert node.parent is not None
                self._remove(node.parent, node)

    def restart_child(self, path: str) -> None:
        """Start again the stopped child at ``path``.

        As OTP's ``supervisor:restart_child/2``: one start attempt, not counted
        toward the intensity, not retried if it fails.

        Raises:
            ChildNotFound: no child at ``path``.
            ChildRunning: the child is running.
            ChildRestarting: the child's restart is pending (a failed restart
                about to be retried, or a restart delayed by its backoff).
            StartFailed: the start attempt failed (the spec is kept).
        """
        failure: BaseException | None = None
        with self._mutation("restart_child"):
            node = self._resolve_child(path, "restart_child")
            self._check_stopped(node, "restart_child")
            if self._run(self._start_child(node)) is _FAILED:
                failure = self._start_error
        if failure is not None:
            raise StartFailed(
                f"restart_child: {path} failed to start: {_describe_failure(failure)}"
            ) from failure

    def delete_child(self, path: str) -> None:
        """Forget the spec of the stopped child at ``path``.

        As OTP's ``supervisor:delete_child/2``.  A child whose restart is
        delayed by its backoff is stopped: its pending restart is cancelled.

        Raises:
            ChildNotFound: no child at ``path``.
            ChildRunning: the child is running.
            ChildRestarting: the child's failed restart is about to be retried.
        """
        self._enter("delete_child")
        try:
            node = self._resolve_child(path, "delete_child")
            if node.state is _RESTARTING and node.timer is not None:
                self._cancel_restart(node)  # its delayed restart
                node.state = _STOPPED
            self._check_stopped(node, "delete_child")
            assert node.parent is not None
            self._remove(node.parent, node)
        finally:
            self._busy = 0

    # ---- Public: read-only views ----

    def which_children(self, sup_path: str) -> list[ChildInfo]:
        """The children of the supervisor at ``sup_path``, in child order.

        Example:
            >>> import gensup
            >>> from gensup import Supervisor, Worker, waitfor
            >>> def idle():
            ...     yield waitfor("NEVER")
            >>> with gensup.start(Supervisor("root", [Worker("w", idle)])) as tree:
            ...     info = tree.which_children("root")[0]
            ...     info.id, info.kind.value, info.state.value, info.incarnation
            ('w', 'worker', 'running', 1)

        Raises:
            ChildNotFound: no running supervisor at ``sup_path``.
        """
        sup = self._resolve_sup(sup_path, "which_children")
        return [
            ChildInfo(node.spec.id, _kind(node), node.spec.restart, node.state, node.incarnation)
            for node in sup.children
        ]

    def get_childspec(self, path: str) -> ChildSpec:
        """The spec of the child at ``path`` (the root's spec for the root's path).

        Example:
            >>> import gensup
            >>> from gensup import Supervisor, Worker, waitfor
            >>> def idle():
            ...     yield waitfor("NEVER")
            >>> with gensup.start(Supervisor("root", [Worker("w", idle)])) as tree:
            ...     tree.get_childspec("root/w")
            Worker('w', idle)

        As OTP's ``supervisor:get_childspec/2``; children added with
        `start_child` included.

        Raises:
            ChildNotFound: no child at ``path``.
        """
        return self._resolve(path, "get_childspec").spec

    def count_children(self, sup_path: str) -> ChildCounts:
        """Count the children of the supervisor at ``sup_path``, as OTP does.

        Raises:
            ChildNotFound: no running supervisor at ``sup_path``.
        """
        sup = self._resolve_sup(sup_path, "count_children")
        workers = sum(1 for node in sup.children if type(node) is _WorkerNode)
        active = sum(1 for node in sup.children if node.state is _RUNNING)
        return ChildCounts(
            specs=len(sup.children),
            active=active,
            supervisors=len(sup.children) - workers,
            workers=workers,
            backlog=0 if sup.backlog is None else len(sup.backlog),
        )

    def walk(self) -> list[tuple[int, ChildInfo, ChildSpec]]:
        """Every child of the running tree in tree order, with its depth and its spec.

        Example:
            >>> import gensup
            >>> from gensup import Supervisor, Worker, waitfor
            >>> def idle():
            ...     yield waitfor("NEVER")
            >>> spec = Supervisor("root", [Supervisor("pool", [Worker("a", idle)])])
            >>> with gensup.start(spec) as tree:
            ...     for depth, info, child in tree.walk():
            ...         print("  " * depth + info.id, info.kind.value, info.state.value)
            root supervisor running
              pool supervisor running
                a worker running

        Each child comes as ``(depth, info, spec)``: its depth (0 for the
        root, which comes first), what `which_children` says of it, and
        what `get_childspec` would return; a supervisor's children follow
        it, in child order.  A stopped supervisor has no children, and the
        list of a tree that is not alive is empty.  Unlike a walk through
        `which_children`, this takes no paths, so it costs in proportion to
        the number of children however deep the tree is.
        """
        return [
            (
                depth,
                ChildInfo(
                    node.spec.id, _kind(node), node.spec.restart, node.state, node.incarnation
                ),
                node.spec,
            )
            for node, depth in self._walk()
        ]

    def status(self) -> dict[str, tuple[Hashable, ...]]:
        """For each live worker, in tree order, the events it waits for.

        The seed's ``status`` command logged this; here it is data.
        """
        return {
            node.path: self._waits_of(node)
            for node, _ in self._walk()
            if type(node) is _WorkerNode and node.state is _RUNNING
        }

    def _waits_of(self, node: _WorkerNode) -> tuple[Hashable, ...]:
        """What ``node`` waits for now: nothing while it runs.

        Delivery does not clear `waits` before resuming a worker (that would
        cost a store per delivery); a worker being resumed is simply no longer
        in its entry of the wait table, which is what is checked here.
        """
        waits = node.waits
        if waits and node in self._waiting.get(waits[0], ()):
            return waits
        return ()

    # ---- Public: observing (see _stats and _explain) ----

    def statistics(self) -> TreeStatistics:
        """A snapshot of what the tree counted: per child and in total.

        Example:
            >>> import gensup
            >>> from gensup import Supervisor, Worker, waitfor
            >>> def fragile():
            ...     yield waitfor("BREAK")
            ...     raise ValueError("broken")
            >>> spec = Supervisor("root", [Worker("a", fragile)], intensity=3)
            >>> with gensup.start(spec) as tree:
            ...     tree.signal("BREAK")
            ...     a = tree.statistics()["root/a"]
            1
            >>> a.incarnation, a.restarts, a.last_crash.type, a.last_crash.message
            (2, 1, 'ValueError', 'broken')

        Every child of the running tree (the root first, in tree order) gets a
        `ChildStats`: its incarnation, its restarts (in total and within its
        supervisor's intensity period), its latest crash, and the events
        dropped whose target was its path or a path under it.  Deliveries are
        counted for the tree as a whole (`TreeStatistics.delivered`), not per
        worker, to keep delivery fast (see the performance page).  Counters
        are kept by path, since the tree started, so a child that is removed
        and added again goes on from its old counts.  May be called from an
        observer or a worker.
        """
        return statistics(self)

    def dead_letters(self) -> tuple[DeadLetter, ...]:
        """The events that reached nobody, oldest first, as kept so far.

        Example:
            >>> import gensup
            >>> from gensup import Supervisor, Worker, waitfor
            >>> def idle():
            ...     yield waitfor("GO")
            >>> with gensup.start(Supervisor("root", [Worker("a", idle)])) as tree:
            ...     tree.signal("NOPE", 1, to="root/a")
            ...     [(d.event, d.args, d.to) for d in tree.dead_letters()]
            0
            [('NOPE', (1,), 'root/a')]

        Every event reported `Dropped` is kept, up to ``dead_letters`` of
        them (see `gensup.start`); past that the oldest are let go and
        counted.  Held events that a stopping supervisor's backlog drops are
        dead letters too.
        """
        return tuple(self._stats.letters)

    def redeliver(self, letters: tuple[DeadLetter, ...] | list[DeadLetter]) -> list[int]:
        """Signal chosen dead letters again, each to its target; return what each reached.

        Example:
            >>> import gensup
            >>> from gensup import Supervisor, Worker, waitfor
            >>> def idle(event):
            ...     while True:
            ...         yield waitfor(event)
            >>> with gensup.start(Supervisor("root", [Worker("a", idle, args=("GO",))])) as tree:
            ...     tree.signal("LATE")
            ...     tree.start_child("root", Worker("b", idle, args=("LATE",)))
            ...     tree.redeliver(tree.dead_letters()), tree.dead_letters()
            0
            ([1], ())

        The letters are taken out of the store first; each is then signalled
        as `signal` would (``tree.signal(letter.event, *letter.args,
        to=letter.to)``), in the order given.  One that reaches nobody again
        is dropped again, and so comes back to the store.

        Raises:
            TypeError: ``letters`` holds something that is not a `DeadLetter`.
            ChildNotFound: a letter's target is no longer in the tree (the
                letters before it were signalled).
            TreeStopped: the tree is not running.
        """
        chosen = list(letters)
        for letter in chosen:
            if not isinstance(letter, DeadLetter):
                raise TypeError(
                    f"Tree.redeliver(): letters must be DeadLetter records (got {letter!r})"
                )
        self._check_not_busy("redeliver")
        if not self._alive:
            raise TreeStopped(_STOPPED_MSG.format(name="redeliver"))
        self._stats.take(chosen)
        return [self.signal(letter.event, *letter.args, to=letter.to) for letter in chosen]

    def explain(self, event: Hashable = NOTHING, to: str | None = None) -> Explanation:
        """Who would receive ``event`` now, and why each other worker would not.

        Example:
            >>> import gensup
            >>> from gensup import Supervisor, Worker, waitfor, sleep
            >>> def idle(event):
            ...     while True:
            ...         yield waitfor(event)
            >>> def napper():
            ...     yield sleep(60)
            >>> spec = Supervisor("root", [Worker("a", idle, args=("GO",)), Worker("n", napper)])
            >>> with gensup.start(spec, clock=gensup.VirtualClock()) as tree:
            ...     print(tree.explain())
            workers at 0:
            + root/a: waits for 'GO'
            - root/n: sleeping until 60
            never signalled or emitted, but waited for: 'GO'

        With an event, each worker of the running tree is marked ``+`` if the
        event would reach it (it waits for it, under ``to``), else ``-``
        with why not: it waits for something else (and what), is busy in a
        call, sleeps, is restarting (with the clock time its backoff ends),
        is stopped, or is outside ``to``.  Without an event, each worker's
        wait is listed.  When a worker began its current wait is not known:
        recording it would cost a clock read on every delivery.

        Either way, the report ends with the events that some worker waits
        for but that nobody signalled or emitted since the tree started: a
        likely stall (the tree remembers the events signalled or emitted,
        one set entry each, up to 65,536 distinct ones; past that it forgets
        them and starts again, so a tree that signals ever-new events, such
        as requests' refs, does not grow without end).  ``str()`` of the
        result is the text
        report.  Read-only: it may be called from an observer or a worker.

        Raises:
            ChildNotFound: ``to`` names no child of the running tree.
        """
        target = None if to is None else self._resolve(to, "explain", True)
        return explain(self, event, to, target)

    def format(self) -> str:
        """The tree as text: each child's kind, restart type, state,
        incarnation and what a worker waits for.  ``str(tree)`` is the same.

        This is `gensup.render.text` of the tree.
        """
        from .render import text  # render builds on Tree: imported late

        return text(self)

    def __str__(self) -> str:
        return self.format()

    def __repr__(self) -> str:
        # What a plain REPL shows: one line, with the children's states
        # counted; print(tree) draws them.
        if not self._alive:
            return f"<gensup.Tree {self._root.path!r} stopped>"
        states = [node.state for node, depth in self._walk() if depth]
        if not states:
            return f"<gensup.Tree {self._root.path!r} alive, no children>"
        counts = ", ".join(
            f"{states.count(state)} {state.value}" for state in ChildState if state in states
        )
        return f"<gensup.Tree {self._root.path!r} alive: {counts}>"

    def _repr_svg_(self) -> str:
        """The picture Jupyter shows for a tree: `gensup.render.svg`, with a background."""
        from .render import svg  # render builds on Tree: imported late

        return svg(self, background=True)

    # ---- Guards: one mutating call at a time, from outside the tree ----

    def _check_not_busy(self, name: str) -> None:
        if self._busy:
            raise self._reentrant(name)

    def _reentrant(self, name: str) -> ReentrantCall:
        """The error for a mutating call made while one runs: from inside the
        tree (a worker, an observer, a driver), or from another thread."""
        owner = self._busy
        me = get_ident()
        if owner == me:
            return ReentrantCall(_REENTRANT.format(name=name))
        names = {thread.ident: thread.name for thread in threading.enumerate()}
        return ReentrantCall(
            _THREADED.format(
                name=name, me=names.get(me, me), owner=names.get(owner, "another thread")
            )
        )

    @contextlib.contextmanager
    def _mutation(self, name: str) -> Iterator[None]:
        """Run the body of a mutating call: from outside the tree only, then
        drain the queue, then raise if the root gave up meanwhile.

        (`signal` spells this out inline: it is called far more often.)
        """
        self._enter(name)
        try:
            yield
            self._drain()
        except BaseException as exc:
            self._abort(exc)
            raise
        finally:
            self._busy = 0
        self._raise_if_gave_up()

    # ---- The driver's entries for placed subtrees (see _placing) ----

    def _placed_input(self, node: _PlacedNode, seq: int, batch: list[tuple[Any, ...]]) -> None:
        """A batch from the far end of ``node``'s incarnation ``seq``."""
        with self._mutation("placed_input"):
            self._take_batch(node, seq, batch)

    def _placed_lost(self, node: _PlacedNode, seq: int, why: str) -> None:
        """The far end of ``node``'s incarnation ``seq`` went away unasked."""
        with self._mutation("placed_lost"):
            self._lost(node, seq, why)

    def _enter(self, name: str) -> None:
        self._check_not_busy(name)
        if not self._alive:
            raise TreeStopped(_STOPPED_MSG.format(name=name))
        self._busy = get_ident()

    def _abort(self, exc: BaseException, *, starting: bool = False) -> None:
        """A call is failing with ``exc``: the tree goes on, or stops first.

        A refusal leaves the tree consistent: a `GensupError` raised on
        purpose, by the call's own checks before it changed anything (such as
        `ChildNotFound`) or once the queue is drained (`TooManyDeliveries`),
        or a signal's unhashable event.  The tree goes on, unless it is
        ``starting``: `gensup.start` raises, so nobody could stop it.
        Anything else stopped the engine midway.  It did not come from a
        worker, whose exceptions are crashes; it came from something the tree
        calls out to (its clock, a loguru sink, its driver) or it is a
        KeyboardInterrupt.  The tree cannot go on consistently then: it is
        stopped as `stop` stops it, and ``exc`` propagates, with a note if it
        is an `Exception`.
        """
        refused, self._refused = self._refused, None
        refusal = exc is refused or (
            isinstance(exc, GensupError) and not isinstance(exc, ReentrantCall)
        )
        if refusal and not starting:
            self._queue.clear()
            return
        again: list[Exception] = []
        self._salvage = again  # sinks and the driver may fail again: noted, not raised
        try:
            if self._root.state is _RUNNING:
                self._stop(self._root)
        finally:
            self._halt()
            self._drop_queue()
            self._salvage = None
        interrupt, self._interrupt = self._interrupt, None
        if not isinstance(exc, Exception):
            return  # a KeyboardInterrupt says enough
        if not refusal:
            exc.add_note(
                f"gensup: the tree {self._root.path!r} stopped (every child closed, last "
                f"started first): this was raised inside it, while a call to it was changing it"
            )
        if again:
            exc.add_note(
                f"gensup: stopping it raised {len(again)} more exception(s), ignored; "
                f"the first: {again[0]!r}"
            )
        if interrupt is not None:
            raise interrupt  # a worker's finally block raised it while closing: it wins

    def _raise_if_gave_up(self) -> None:
        if self._gave_up:
            self._gave_up = False
            raise SupervisorGaveUp(
                f"the root supervisor {self._root.path!r} reached its restart intensity "
                f"(more than {self._spec.intensity} within {self._spec.period} s) "
                f"and stopped the tree"
            )

    # ---- Paths ----

    def _resolve(self, path: str, call: str, routing: bool = False) -> _Node:
        node, why = self._find(path, routing)
        if node is None:
            raise ChildNotFound(f"{call}: no child at {path!r}: {why}")
        return node

    def _resolve_sup(self, path: str, call: str) -> _SupNode:
        node = self._resolve(path, call)
        if type(node) is not _SupNode:
            raise ChildNotFound(f"{call}: {path!r} is a worker, not a supervisor")
        if node.state is not _RUNNING:
            raise ChildNotFound(f"{call}: the supervisor {path!r} is not running")
        return node

    def _resolve_child(self, path: str, call: str) -> _Node:
        node = self._resolve(path, call)
        if node.parent is None:
            raise ChildNotFound(
                f"{call}: {path!r} is the root, which has no supervisor (use Tree.stop)"
            )
        return node

    @staticmethod
    def _check_stopped(node: _Node, call: str) -> None:
        if node.state is _RUNNING:
            raise ChildRunning(f"{call}: {node.path!r} is running (terminate_child it first)")
        if node.state is _RESTARTING:
            raise ChildRestarting(f"{call}: {node.path!r} is about to be restarted")

    def _walk(self) -> Generator[tuple[_Node, int], None, None]:
        """Every node of the running tree in tree order, with its depth (no recursion)."""
        if self._root.state is not _RUNNING:
            return
        stack: list[tuple[_Node, int]] = [(self._root, 0)]
        while stack:
            node, depth = stack.pop()
            yield node, depth
            if type(node) is _SupNode:
                stack.extend((child, depth + 1) for child in reversed(node.children))

    # ---- Testing: gensup.testing ends a worker from outside ----

    def _end_worker(self, path: str, error: BaseException | None, name: str) -> None:
        """End the running worker at ``path`` as its own code would, for
        `gensup.testing.crash` (``error`` raised at its yield) and
        `gensup.testing.finish` (``error`` None: closed, and taken as a return).

        Whatever it waits on (events, a timer, a call) is void first, so
        nothing resumes it again; its supervisor then handles the end as any
        other, before this returns.
        """
        from ._core import _bury  # the testing hook keeps its needs to itself
        from ._routing import unwait
        from .reports import Reason

        with self._mutation(name):
            node = self._resolve(path, name)
            if type(node) is not _WorkerNode:
                raise ChildNotFound(f"{name}: {path!r} is a supervisor; name a worker")
            if node.state is not _RUNNING:
                raise ChildNotFound(f"{name}: the worker {path!r} is {node.state.value}")
            if node.timer is not None:
                self._cancel_timer(node)
            if node.call is not None:
                self._cancel_call(node)
            unwait(self._waiting, node)
            node.waits, node.multi = (), False
            if error is not None:
                self._resume(node, None, error)
                return
            gen = node.gen
            assert gen is not None
            try:
                gen.close()
            except Exception as exc:
                _bury(gen)  # it yielded instead of ending: a crash, as OTP's kill
                self._ended(node, Reason.CRASH, exc)
            except BaseException as exc:
                self._ended(node, Reason.CRASH, exc)
                raise
            else:
                self._ended(node, Reason.NORMAL, None)


def _describe_failure(exc: BaseException | None) -> str:
    return "unknown" if exc is None else f"{type(exc).__name__}: {exc}"


_REENTRANT: Final = (
    "Tree.{name}() was called from inside a worker or an observer; workers change "
    "the tree only through commands: yield emit(event, *args, to=path) instead"
)
_THREADED: Final = (
    "Tree.{name}() was called from thread {me!r} while thread {owner!r} was in a call to "
    "the tree: a tree is not thread-safe.  Call it from one thread, or hold one lock "
    "around every call to it (with gensup.aio, other threads use signal_threadsafe)"
)
_STOPPED_MSG: Final = "Tree.{name}(): the tree is not running (it was stopped or gave up)"


def start(
    spec: Supervisor,
    *,
    clock: Clock | None = None,
    observer: Observer | None = None,
    seed: int | str | bytes | None = None,
    driver: Driver | None = None,
    max_deliveries: int = MAX_DELIVERIES,
    dead_letters: int = DEAD_LETTERS,
    record: str | os.PathLike[str] | None = None,
) -> Tree:
    """Start a supervision tree from its root spec and return it running.

    Example:
        >>> import gensup
        >>> from gensup import Supervisor, Worker, waitfor
        >>> def process(n):
        ...     for i in range(1, n + 1):
        ...         event, howmany = yield waitfor("TICK")
        >>> spec = Supervisor("root", [Worker("p1", process, args=(2,), restart="temporary")])
        >>> with gensup.start(spec) as tree:
        ...     tree.signal("TICK", 1), tree.signal("TICK", 2), tree.status()
        (1, 1, {})

    The root starts, then its children in order, each supervisor before its
    own children.  Events that workers emit while starting are delivered
    before `start` returns.

    Args:
        spec: The root supervisor's spec.
        clock: Where time comes from (default: ``time.monotonic``); tests pass
            a `VirtualClock`.
        observer: Called with every lifecycle report, synchronously.
        seed: Seeds the random generator of backoff jitter, so that a run
            under a `VirtualClock` repeats exactly (default: unseeded).
        driver: What carries out timers and calls for real (`gensup.aio`
            passes one); without it, calls stay pending and timers fire when
            `Tree.fire_due` is called, or as a `VirtualClock` advances.
        max_deliveries: How many emitted events one call may deliver (ten
            million by default): past it, workers that emit at each other
            without end are taken for a loop, the rest is dropped and the
            call raises `TooManyDeliveries`.  A timer fired by `fire_due`
            counts as a call of its own.
        dead_letters: How many dropped events `Tree.dead_letters` keeps
            (1000 by default; 0 keeps none): past it, the oldest are let go,
            and counted (`TreeStatistics.dead_letters_lost`).
        record: A file to write the tree's inputs to, as JSON lines (the
            file is replaced), so that `gensup.testing.replay` can run it
            again exactly: the calls that change the tree with their
            arguments, and the clock readings it takes meanwhile.  Each line
            is written as it comes, so the record survives a crash of the
            program.  A call given a value that a record cannot hold raises
            `RecordError` before it changes anything.  Without it (the
            default), nothing is recorded and nothing is paid for it.

    Raises:
        InvalidSpec: ``spec`` is not a Supervisor spec, sets ``restart``,
            ``significant`` or ``backoff``, which mean nothing for a root, or
            an option is not what it should be: ``clock`` must have a
            ``now()`` that returns a number (it is read once, here; a clock
            class where an instance belongs fails here rather than at the
            first restart).
        StartFailed: a child failed to start; chained to its exception.
        SupervisorGaveUp: the root gave up while handling what starting caused.
        TooManyDeliveries: what starting caused passed ``max_deliveries``
            (the tree is stopped, since nobody gets it).
        RecordError: ``seed`` cannot be written to the record.
    """
    if not isinstance(spec, Supervisor):
        raise InvalidSpecType(
            f"gensup.start: the root must be a Supervisor spec (got {spec!r}); "
            f"wrap a worker in Supervisor('root', [worker])"
        )
    check_root(spec)
    check_placements(spec.children, driver, spec.id)
    if clock is not None:
        _check_clock(clock)
    if observer is not None and not callable(observer):
        raise InvalidSpecType(f"gensup.start: 'observer' must be callable (got {observer!r})")
    if seed is not None and not isinstance(seed, (int, str, bytes)):
        raise InvalidSpecType(f"gensup.start: 'seed' must be an int, str or bytes (got {seed!r})")
    if driver is not None:
        missing = [name for name in _DRIVER_METHODS if not callable(getattr(driver, name, None))]
        if missing:
            raise InvalidSpecType(
                f"gensup.start: 'driver' must have the methods of gensup.Driver "
                f"(missing: {', '.join(missing)}; got {driver!r})"
            )
    if isinstance(max_deliveries, bool) or not isinstance(max_deliveries, int):
        raise InvalidSpecType(
            f"gensup.start: 'max_deliveries' must be an int (got {max_deliveries!r})"
        )
    if max_deliveries < 1:
        raise InvalidSpec(f"gensup.start: 'max_deliveries' must be >= 1 (got {max_deliveries!r})")
    if isinstance(dead_letters, bool) or not isinstance(dead_letters, int):
        raise InvalidSpecType(f"gensup.start: 'dead_letters' must be an int (got {dead_letters!r})")
    if dead_letters < 0:
        raise InvalidSpec(f"gensup.start: 'dead_letters' must be >= 0 (got {dead_letters!r})")
    if record is None:
        tree = Tree(
            spec,
            clock=clock,
            observer=observer,
            seed=seed,
            driver=driver,
            max_deliveries=max_deliveries,
            dead_letters=dead_letters,
        )
    else:
        if not isinstance(record, (str, os.PathLike)):
            raise InvalidSpecType(
                f"gensup.start: 'record' must be a path, a str or os.PathLike (got {record!r})"
            )
        refuse_recording(spec.children, spec.id, "gensup.start")
        from ._record import start_recording  # only a recording tree needs it

        tree = start_recording(
            spec,
            record,
            clock=clock,
            observer=observer,
            seed=seed,
            driver=driver,
            max_deliveries=max_deliveries,
            dead_letters=dead_letters,
        )
    if isinstance(clock, VirtualClock):
        clock._attach(tree)
    tree._start()
    return tree


_DRIVER_METHODS: Final = ("call_started", "call_cancelled", "deadline_changed", "tree_stopped")


def _check_clock(clock: object) -> None:
    """A clock is an object whose now() returns a number: read it once to know."""
    now = getattr(clock, "now", None)
    if not callable(now):
        raise InvalidSpecType(f"gensup.start: 'clock' must have a now() method (got {clock!r})")
    try:
        reading = now()
    except Exception as exc:
        hint = (
            f"; pass an instance, such as {clock.__name__}(), not the class"
            if isinstance(clock, type)
            else ""
        )
        raise InvalidSpecType(
            f"gensup.start: 'clock': {clock!r}.now() raised {exc!r}{hint}"
        ) from exc
    if isinstance(reading, bool) or not isinstance(reading, numbers.Real) or math.isnan(reading):
        raise InvalidSpecType(
            f"gensup.start: 'clock': its now() must return a number of seconds "
            f"(got {reading!r} from {clock!r})"
        )


def _check_timeout(timeout: object) -> None:
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real):
        raise TypeError(
            f"Tree.send_request(): 'timeout' must be a number of seconds (got {timeout!r})"
        )
    if math.isnan(timeout) or timeout < 0:
        raise ValueError(f"Tree.send_request(): 'timeout' must be >= 0 (got {timeout!r})")
