"""The running tree: start, signal, restart, stop.

Everything here is synchronous and single-threaded, takes its time from the
injected clock and does no I/O but logging.  Given the same spec, calls and
clock readings it does the same things in the same order.

Three rules shape the code:

* **Run to completion.**  A public call does its own work, then drains one
  FIFO queue of follow-ups (events that workers emitted, exits of children
  that ended, retries of failed restarts) before it returns.  Nothing else
  happens during a delivery: a worker that ends is only marked dead and its
  exit queued, so no other worker is ever stopped in the middle of one.
* **No recursion on the depth of the tree.**  Starting is written as nested
  generators run by a trampoline (``_run``); stopping walks an explicit stack.
* **The core decides, the shell acts.**  What to restart is asked of
  ``_restart``; who gets an event, of ``_routing``.
"""

from __future__ import annotations

import contextlib
import inspect
from collections import deque
from collections.abc import Callable, Generator, Hashable
from typing import Any, Final, Literal

import attrs

from . import _log
from ._clock import Clock, MonotonicClock
from ._commands import MANY, Emit, WaitFor
from ._errors import (
    ChildAlreadyPresent,
    ChildAlreadyStarted,
    ChildNotFound,
    ChildRestarting,
    ChildRunning,
    InvalidCommand,
    InvalidSpecType,
    ReentrantCall,
    StartFailed,
    SupervisorGaveUp,
    TreeStopped,
)
from ._records import ChildCounts, ChildInfo, ChildKind, ChildState
from ._restart import Action, IntensityWindow, after_exit, auto_shutdown_due, restart_group
from ._routing import WaitTable, select, unwait, wait
from ._spec import ChildSpec, Restart, Supervisor, Worker, check_significant_allowed
from .reports import Dropped, GaveUp, Reason, Report, Started, Stopped

__all__ = ["Observer", "Tree", "start"]

#: A callable that receives every lifecycle report, synchronously.
Observer = Callable[[Report], object]

_RUNNING: Final = ChildState.RUNNING
_STOPPED: Final = ChildState.STOPPED
_RESTARTING: Final = ChildState.RESTARTING
_NORMAL: Final = Reason.NORMAL
_CRASH: Final = Reason.CRASH
_SHUTDOWN: Final = Reason.SHUTDOWN
_KILLED: Final = Reason.KILLED

# What a start attempt came to.
_STARTED: Final = "started"
_IGNORED: Final = "ignored"  # a worker that returned before its first wait: OTP's `ignore`
_FAILED: Final = "failed"
_Outcome = Literal["started", "ignored", "failed"]

# What a worker's run came to when it stopped running: None (it waits),
# _RETURNED, or the exception it raised.
_RETURNED: Final = object()
# The command that `_advance` starts a worker with: none yet.
_FIRST: Final = object()

# Kinds of queued follow-ups.
_DELIVER: Final = 0  # (_DELIVER, event, args, to, stamp)
_EXIT: Final = 1  # (_EXIT, node, seq, reason)
_RETRY: Final = 2  # (_RETRY, sup, sup_seq, node)

# Generators that kept yielding while being closed.  They are kept alive here,
# rather than dropped, because the interpreter would otherwise try to close
# them once more when collecting them and report the failure as unraisable.
_UNKILLABLE: Final[list[Generator[Any, Any, Any]]] = []


# ---- The nodes: one per child slot of a running supervisor ----


def _no_send(value: object) -> object:
    raise AssertionError("a worker that is not running was resumed")


@attrs.define(eq=False)
class _Node:
    spec: ChildSpec
    parent: _SupNode | None
    # Invariant: the parent's path, "/", the spec's id (the root: its id).
    path: str
    # Invariant: RUNNING iff a live generator (worker) or started supervisor is here.
    state: ChildState = _STOPPED
    # Invariant: start attempts since the parent (its current incarnation) started.
    incarnation: int = 0
    # Invariant: the tree-wide sequence number taken at the latest start attempt.
    seq: int = 0
    # Invariant: true between the child's own end and its parent handling it.
    exit_pending: bool = False


@attrs.define(eq=False)
class _WorkerNode(_Node):
    # Invariant: not None iff state is RUNNING.
    gen: Generator[Any, Any, Any] | None = None
    # Invariant: gen.send while running (saves a method lookup per delivery).
    send: Callable[[Any], Any] = _no_send
    # Invariant: the events this worker is registered for in the wait table
    # (empty when it is not waiting).
    waits: tuple[Hashable, ...] = ()
    # Invariant: len(waits) > 1.
    multi: bool = False


@attrs.define(eq=False)
class _SupNode(_Node):
    # Invariant: child order (spec order, then start_child order); empty when stopped.
    children: list[_Node] = attrs.Factory(list)
    # Invariant: the same nodes as `children`, by id.
    by_id: dict[str, _Node] = attrs.Factory(dict)
    # Invariant: set while running; a fresh window at every start.
    window: IntensityWindow | None = None


def _make_node(spec: ChildSpec, parent: _SupNode) -> _Node:
    path = f"{parent.path}/{spec.id}"
    if type(spec) is Worker:
        return _WorkerNode(spec, parent, path)
    return _SupNode(spec, parent, path)


def _kind(node: _Node) -> ChildKind:
    return ChildKind.WORKER if type(node) is _WorkerNode else ChildKind.SUPERVISOR


# ---- The tree ----


class Tree:
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

    Every mutating call (`signal`, `start_child`, `terminate_child`,
    `restart_child`, `delete_child`, `stop`) runs to completion: events that
    workers emit meanwhile and the restarts of workers that end meanwhile are
    handled, in order, before it returns.  Calling one of them from inside a
    worker or an observer raises `ReentrantCall`: workers act through
    commands (``yield emit(...)``).  The read-only calls (`status`,
    `which_children`, `count_children`, `format`) may be called anywhere.

    Paths name children from the root: ``"root"``, ``"root/pool"``,
    ``"root/pool/a"``.
    """

    def __init__(
        self, spec: Supervisor, *, clock: Clock | None = None, observer: Observer | None = None
    ) -> None:
        """Build a tree that is not started yet; use `gensup.start` instead."""
        self._clock: Clock = MonotonicClock() if clock is None else clock
        self._observer = observer
        self._spec = spec
        # Invariant: the root node; running iff the tree is alive.
        self._root = _SupNode(spec, None, spec.id)
        # Invariant: every RUNNING worker that waits is in the entries of
        # exactly its `waits`, and nothing else is in the table.
        self._waiting: WaitTable[_WorkerNode] = {}
        # Invariant: empty whenever no public call is running.
        self._queue: deque[tuple[Any, ...]] = deque()
        # Invariant: increases at every start attempt and every emit.
        self._seq = 0
        # Invariant: true while a mutating call runs (workers and observers run only then).
        self._busy = False
        self._alive = False
        # Set when the root gives up; the call that caused it raises.
        self._gave_up = False
        self._dropped = 0
        # The exception behind the latest failed start, to chain StartFailed to.
        self._start_error: BaseException | None = None
        # A KeyboardInterrupt (or other BaseException) raised by a worker's
        # finally block while it was being closed, to raise once the closing
        # is over.
        self._interrupt: BaseException | None = None

    # ---- Public: lifecycle ----

    @property
    def alive(self) -> bool:
        """Whether the tree runs: false after `stop`, a give-up of the root,
        or an auto-shutdown of the root."""
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
        self._busy = True
        try:
            ok = self._run(self._start_sup(root))
            self._alive = ok
            self._drain()
        except BaseException as exc:
            self._abort(exc)
            raise
        finally:
            self._busy = False
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
            ReentrantCall: called from inside a worker or an observer.
        """
        self._check_not_busy("stop")
        if not self._alive:
            return
        self._busy = True
        try:
            self._stop(self._root)
            self._alive = False
            self._drop_queue()
            self._raise_interrupt()
        except BaseException as exc:
            self._abort(exc)
            raise
        finally:
            self._busy = False

    def __enter__(self) -> Tree:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._alive and not self._busy:
            self.stop()

    # ---- Public: events ----

    def signal(self, event: Hashable, *args: Any, to: str | None = None) -> int:
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
        handled before the call returns.  An event that reaches nobody is
        reported `Dropped`.

        Returns:
            How many workers the event itself reached (not counting emitted events).

        Raises:
            ChildNotFound: ``to`` names no child of the running tree.
            SupervisorGaveUp: the root gave up while this call ran.
            ReentrantCall: called from inside a worker or an observer.
        """
        if self._busy:
            raise ReentrantCall(_REENTRANT.format(name="signal"))
        if not self._alive:
            raise TreeStopped(_STOPPED_MSG.format(name="signal"))
        self._busy = True
        try:
            if to is None:
                reached = self._deliver(event, args, None, None)
            else:
                target = self._resolve(to, "signal")
                reached = self._deliver(event, args, target, None)
            if not reached:
                self._drop(event, args, to)
            if self._queue:
                self._drain()
        except BaseException as exc:
            self._abort(exc)
            raise
        finally:
            self._busy = False
        if self._gave_up:
            self._raise_if_gave_up()
        return reached

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
        self._enter("start_child")
        failure: BaseException | None = None
        try:
            sup = self._resolve_sup(sup_path, "start_child")
            if not isinstance(spec, (Worker, Supervisor)):
                raise InvalidSpecType(
                    f"start_child({sup_path!r}): 'spec' must be a Worker or Supervisor spec "
                    f"(got {spec!r})"
                )
            check_significant_allowed(sup.spec, spec, "start_child")  # type: ignore[arg-type]
            old = sup.by_id.get(spec.id)
            if old is not None:
                if old.state is _RUNNING:
                    raise ChildAlreadyStarted(f"start_child: {old.path!r} is already started")
                raise ChildAlreadyPresent(
                    f"start_child: {old.path!r} is already present ({old.state.value}); "
                    f"use restart_child, or delete_child first"
                )
            node = _make_node(spec, sup)
            sup.children.append(node)
            sup.by_id[spec.id] = node
            outcome = self._run(self._start_child(node))
            if outcome is _FAILED:
                self._remove(sup, node)
                failure = self._start_error
            elif outcome is _IGNORED and spec.restart is Restart.TEMPORARY:
                self._remove(sup, node)
            self._drain()
        except BaseException as exc:
            self._abort(exc)
            raise
        finally:
            self._busy = False
        self._raise_if_gave_up()
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
        self._enter("terminate_child")
        try:
            node = self._resolve_child(path, "terminate_child")
            if node.state is _RUNNING:
                self._stop(node)
            node.state = _STOPPED
            if node.spec.restart is Restart.TEMPORARY:
                assert node.parent is not None
                self._remove(node.parent, node)
            self._drain()
        except BaseException as exc:
            self._abort(exc)
            raise
        finally:
            self._busy = False
        self._raise_if_gave_up()

    def restart_child(self, path: str) -> None:
        """Start again the stopped child at ``path``.

        As OTP's ``supervisor:restart_child/2``: one start attempt, not counted
        toward the intensity, not retried if it fails.

        Raises:
            ChildNotFound: no child at ``path``.
            ChildRunning: the child is running.
            ChildRestarting: the child's restart is pending.
            StartFailed: the start attempt failed (the spec is kept).
        """
        self._enter("restart_child")
        failure: BaseException | None = None
        try:
            node = self._resolve_child(path, "restart_child")
            self._check_stopped(node, "restart_child")
            if self._run(self._start_child(node)) is _FAILED:
                failure = self._start_error
            self._drain()
        except BaseException as exc:
            self._abort(exc)
            raise
        finally:
            self._busy = False
        self._raise_if_gave_up()
        if failure is not None:
            raise StartFailed(
                f"restart_child: {path} failed to start: {_describe_failure(failure)}"
            ) from failure

    def delete_child(self, path: str) -> None:
        """Forget the spec of the stopped child at ``path``.

        As OTP's ``supervisor:delete_child/2``.

        Raises:
            ChildNotFound: no child at ``path``.
            ChildRunning: the child is running.
            ChildRestarting: the child's restart is pending.
        """
        self._enter("delete_child")
        try:
            node = self._resolve_child(path, "delete_child")
            self._check_stopped(node, "delete_child")
            assert node.parent is not None
            self._remove(node.parent, node)
        finally:
            self._busy = False

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
        )

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
        state = "alive" if self._alive else "stopped"
        return f"<gensup.Tree {self._root.path!r} {state}>"

    # ---- Guards: one mutating call at a time, from outside the tree ----

    def _check_not_busy(self, name: str) -> None:
        if self._busy:
            raise ReentrantCall(_REENTRANT.format(name=name))

    def _enter(self, name: str) -> None:
        self._check_not_busy(name)
        if not self._alive:
            raise TreeStopped(_STOPPED_MSG.format(name=name))
        self._busy = True

    def _abort(self, exc: BaseException) -> None:
        """A call is failing: if with a BaseException (Ctrl-C), stop the tree first."""
        self._queue.clear()
        if isinstance(exc, Exception):
            return
        if self._root.state is _RUNNING:
            self._stop(self._root)
        self._alive = False
        self._interrupt = None  # `exc` is what propagates

    def _raise_if_gave_up(self) -> None:
        if self._gave_up:
            self._gave_up = False
            raise SupervisorGaveUp(
                f"the root supervisor {self._root.path!r} reached its restart intensity "
                f"(more than {self._spec.intensity} within {self._spec.period} s) "
                f"and stopped the tree"
            )

    # ---- Paths ----

    def _find(self, path: str) -> tuple[_Node | None, str]:
        """The node at ``path`` under running supervisors, or None and why not."""
        untyped: object = path  # callers without type checking may pass anything
        if not isinstance(untyped, str):
            return None, f"a path must be a str (got {path!r})"
        parts = untyped.split("/")
        node: _Node = self._root
        if parts[0] != node.spec.id:
            return None, f"paths start with the root's id {node.spec.id!r} (got {path!r})"
        for part in parts[1:]:
            if type(node) is not _SupNode:
                return None, f"{node.path!r} is a worker: it has no child {part!r}"
            if node.state is not _RUNNING:
                return None, f"{node.path!r} is not running, so it has no children"
            child = node.by_id.get(part)
            if child is None:
                ids = ", ".join(repr(c.spec.id) for c in node.children) or "none"
                return None, f"{node.path!r} has no child {part!r} (its children: {ids})"
            node = child
        if node is self._root and not self._alive:
            return None, "the tree is not running"
        return node, ""

    def _resolve(self, path: str, call: str) -> _Node:
        node, why = self._find(path)
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

    # ---- Reports ----

    def _report(self, report: Report, incarnation: int | None = None) -> None:
        _log.log_report(report, incarnation)
        observer = self._observer
        if observer is not None:
            try:
                observer(report)
            except Exception as exc:
                _log.log_observer_error(report, exc)

    def _drop(self, event: Hashable, args: tuple[Any, ...], to: str | None) -> None:
        self._dropped += 1
        self._report(Dropped(event, args, to))

    def _drop_queue(self) -> None:
        """The tree has ended: queued events reach nobody."""
        queue = self._queue
        while queue:
            item = queue.popleft()
            if item[0] == _DELIVER:
                self._drop(item[1], item[2], item[3])

    # ---- Delivery: the hot path ----

    def _deliver(
        self, event: Hashable, args: tuple[Any, ...], target: _Node | None, stamp: int | None
    ) -> int:
        """Resume the workers under ``target`` that wait for ``event``; return how many."""
        waiting = self._waiting
        waiters = waiting.get(event)
        if not waiters:
            return 0
        batch: dict[_WorkerNode, None] | list[_WorkerNode]
        if stamp is None and (target is None or target is self._root):
            # The common case: everybody waiting gets it.  The entry is taken
            # whole, and workers that wait again go into a fresh one.
            del waiting[event]
            batch = waiters
        else:
            if target is None or target is self._root:
                batch = select(waiters, None, None, stamp)
            elif type(target) is _WorkerNode:
                batch = select(waiters, None, target, stamp)
            else:
                batch = select(waiters, target.path + "/", None, stamp)
            for node in batch:
                del waiters[node]
            if not waiters:
                del waiting[event]
        value = (event, *args)
        # Where the workers that wait for `event` again go: looked up once.
        again: dict[_WorkerNode, None] | None = None
        for node in batch:
            if node.multi:
                unwait(waiting, node, keep=event)
            try:
                command = node.send(value)
            except StopIteration:
                self._ended(node, _NORMAL, None)
                continue
            except Exception as exc:
                self._ended(node, _CRASH, exc)
                continue
            except BaseException as exc:
                self._ended(node, _CRASH, exc)
                raise
            if command.__class__ is WaitFor:
                # Inlined `wait` for the most common commands: one event,
                # above all the same one again (compared by identity: an
                # equal but distinct event takes the general path, still right).
                single = command.single
                if single is event:
                    if again is None:
                        again = waiting.get(event)
                        if again is None:
                            again = waiting[event] = {}
                    again[node] = None
                    node.waits = command.events
                    continue
                if single is not MANY:
                    entry = waiting.get(single)
                    if entry is None:
                        waiting[single] = {node: None}
                    else:
                        entry[node] = None
                    node.waits = command.events
                    continue
            outcome = self._advance(node, command)
            if outcome is not None:
                self._ended_with(node, outcome)
        return len(batch)

    def _advance(self, node: _WorkerNode, command: object) -> object:
        """Carry out ``command`` and the worker's next ones until it waits or ends.

        ``command`` `_FIRST` means: run the worker from its start.
        Returns None when the worker waits, `_RETURNED` when it returned, or
        the exception it raised.
        """
        gen = node.gen
        assert gen is not None
        throw: BaseException | None = None
        while True:
            if command is not _FIRST:
                cls = command.__class__
                if cls is WaitFor:
                    wait(self._waiting, node, command.events)  # type: ignore[attr-defined]
                    return None
                if cls is Emit:
                    self._seq += 1
                    self._queue.append(
                        (_DELIVER, command.event, command.args, command.to, self._seq)  # type: ignore[attr-defined]
                    )
                else:
                    throw = InvalidCommand(
                        f"worker {node.path!r} yielded {command!r}; a worker may yield only "
                        f"waitfor(...) or emit(...)"
                    )
            try:
                if throw is None:
                    command = gen.send(None)
                else:
                    command, throw = gen.throw(throw), None
            except StopIteration:
                return _RETURNED
            except Exception as exc:
                return exc
            except BaseException as exc:
                node.gen = None
                node.send = _no_send
                node.state = _STOPPED
                unwait(self._waiting, node)
                self._report(Stopped(node.path, _CRASH, exc), node.incarnation)
                raise

    def _ended_with(self, node: _WorkerNode, outcome: object) -> None:
        if outcome is _RETURNED:
            self._ended(node, _NORMAL, None)
        else:
            assert isinstance(outcome, BaseException)
            self._ended(node, _CRASH, outcome)

    def _ended(self, node: _WorkerNode, reason: Reason, exc: BaseException | None) -> None:
        """A running worker ended on its own: mark it dead now, handle it later."""
        node.gen = None
        node.send = _no_send
        node.waits = ()
        node.state = _STOPPED
        node.exit_pending = True
        if exc is not None:
            _user_traceback(exc)
        self._report(Stopped(node.path, reason, exc), node.incarnation)
        self._queue.append((_EXIT, node, node.seq, reason))

    # ---- The queue: run to completion ----

    def _drain(self) -> None:
        queue = self._queue
        while queue and self._interrupt is None:
            if not self._alive:
                self._drop_queue()
                return
            item = queue.popleft()
            kind = item[0]
            if kind == _DELIVER:
                _, event, args, to, stamp = item
                target: _Node | None = None
                if to is not None:
                    target, _why = self._find(to)
                    if target is None:
                        self._drop(event, args, to)
                        continue
                if not self._deliver(event, args, target, stamp):
                    self._drop(event, args, to)
            elif kind == _EXIT:
                _, node, seq, reason = item
                if node.exit_pending and node.seq == seq:
                    node.exit_pending = False
                    self._child_exited(node, reason)
            else:
                _, sup, sup_seq, node = item
                if (
                    sup.state is _RUNNING
                    and sup.seq == sup_seq
                    and node.state is _RESTARTING
                    and sup.by_id.get(node.spec.id) is node
                ):
                    self._restart(sup, node)
        self._raise_interrupt()

    def _raise_interrupt(self) -> None:
        interrupt = self._interrupt
        if interrupt is not None:
            self._interrupt = None
            raise interrupt

    # ---- Restart: a child has ended ----

    def _child_exited(self, node: _Node, reason: Reason) -> None:
        """OTP's ``do_restart``: restart, keep or remove, then maybe auto-shutdown."""
        sup = node.parent
        assert sup is not None
        action = after_exit(node.spec.restart, reason)
        if action is Action.RESTART:
            self._restart(sup, node)
            return
        if action is Action.REMOVE:
            self._remove(sup, node)
        if node.spec.significant:
            # As OTP: a child still has a pid while its exit waits in the
            # queue, and while its restart is pending.
            running = any(
                c.spec.significant and (c.state is not _STOPPED or c.exit_pending)
                for c in sup.children
            )
            if auto_shutdown_due(sup.spec.auto_shutdown, running):  # type: ignore[union-attr]
                self._sup_exit(sup)

    def _restart(self, sup: _SupNode, node: _Node) -> None:
        """OTP's ``restart/2``: count, then restart by strategy or give up."""
        window = sup.window
        assert window is not None
        if not window.add(self._clock.now()):
            node.state = _STOPPED
            self._report(GaveUp(sup.path), sup.incarnation)
            if sup is self._root:
                self._gave_up = True
            self._sup_exit(sup)
            return
        strategy = sup.spec.strategy  # type: ignore[union-attr]
        group = restart_group(strategy, sup.children, node)
        failed = self._run(self._restart_group(sup, group))
        if failed is not None:
            # Retried through the queue, as OTP's supervisor casts itself a
            # try_again_restart: exits already queued are handled first.
            failed.state = _RESTARTING
            self._queue.append((_RETRY, sup, sup.seq, failed))

    def _restart_group(
        self, sup: _SupNode, group: list[_Node]
    ) -> Generator[Any, Any, _Node | None]:
        """Stop ``group`` last to first, drop its temporaries, start the rest in order."""
        for node in reversed(group):
            if node.state is _RUNNING:
                self._stop(node)
            else:
                # A child that already ended: its queued exit is consumed here,
                # as OTP's shutdown consumes the 'EXIT' of a dead child.
                node.exit_pending = False
                node.state = _STOPPED
        keep = []
        for node in group:
            if node.spec.restart is Restart.TEMPORARY:
                self._remove(sup, node)
            else:
                keep.append(node)
        failed = yield self._start_group(sup, keep)
        return failed  # type: ignore[no-any-return]

    def _sup_exit(self, sup: _SupNode) -> None:
        """A supervisor ends on its own (give-up or auto-shutdown), reason shutdown."""
        self._stop(sup)
        if sup is self._root:
            self._alive = False
            self._drop_queue()
            return
        sup.exit_pending = True
        self._queue.append((_EXIT, sup, sup.seq, _SHUTDOWN))

    def _remove(self, sup: _SupNode, node: _Node) -> None:
        sup.children.remove(node)
        del sup.by_id[node.spec.id]

    # ---- Start: run on the trampoline, so deep trees do not recurse ----

    def _run(self, steps: Generator[Any, Any, Any]) -> Any:
        """Run nested step generators without recursion.

        A step generator "calls" another by yielding it, and gets its return
        value back as the value of the yield.
        """
        stack = [steps]
        value: Any = None
        while True:
            try:
                inner = stack[-1].send(value)
            except StopIteration as done:
                stack.pop()
                if not stack:
                    return done.value
                value = done.value
            else:
                stack.append(inner)
                value = None

    def _start_child(self, node: _Node) -> Generator[Any, Any, _Outcome]:
        if type(node) is _WorkerNode:
            return self._start_worker(node)
        assert isinstance(node, _SupNode)
        outcome = yield self._start_sup(node)
        return _STARTED if outcome else _FAILED

    def _start_group(self, sup: _SupNode, nodes: list[_Node]) -> Generator[Any, Any, _Node | None]:
        """Start ``nodes`` in order; return the first that failed, after which
        the rest are left stopped."""
        for node in nodes:
            if type(node) is _WorkerNode:
                outcome = self._start_worker(node)
            else:
                outcome = _STARTED if (yield self._start_sup(node)) else _FAILED  # type: ignore[arg-type]
            if outcome is _FAILED:
                return node
            if outcome is _IGNORED and node.spec.restart is Restart.TEMPORARY:
                self._remove(sup, node)
        return None

    def _begin(self, node: _Node) -> None:
        node.incarnation += 1
        self._seq += 1
        node.seq = self._seq
        node.exit_pending = False
        self._report(Started(node.path), node.incarnation)

    def _start_sup(self, sup: _SupNode) -> Generator[Any, Any, bool]:
        """Start a fresh supervisor, then its children in order."""
        spec = sup.spec
        assert isinstance(spec, Supervisor)
        self._begin(sup)
        sup.state = _RUNNING
        sup.window = IntensityWindow(spec.intensity, spec.period)
        sup.children = [_make_node(child, sup) for child in spec.children]
        sup.by_id = {node.spec.id: node for node in sup.children}
        failed = yield self._start_group(sup, list(sup.children))
        if failed is None:
            return True
        self._stop(sup)
        return False

    def _start_worker(self, node: _WorkerNode) -> _Outcome:
        """Create the generator and run it to its first wait."""
        self._begin(node)
        spec = node.spec
        assert isinstance(spec, Worker)
        try:
            gen = node.gen = spec.func(*spec.args, **spec.kwargs)
        except Exception as exc:
            outcome: object = exc
        else:
            node.send = gen.send
            node.state = _RUNNING
            outcome = self._advance(node, _FIRST)
            if outcome is None:
                return _STARTED
        node.gen = None
        node.send = _no_send
        node.state = _STOPPED
        if outcome is _RETURNED:
            self._report(Stopped(node.path, _NORMAL), node.incarnation)
            return _IGNORED
        assert isinstance(outcome, BaseException)
        self._start_error = _user_traceback(outcome)
        self._report(Stopped(node.path, _CRASH, outcome), node.incarnation)
        return _FAILED

    # ---- Stop: children last to first, with an explicit stack ----

    def _stop(self, node: _Node) -> None:
        """Stop a running child and everything under it, reporting each."""
        stack: list[tuple[_Node, bool]] = [(node, False)]
        while stack:
            current, children_done = stack.pop()
            if type(current) is _WorkerNode:
                if current.state is _RUNNING:
                    self._close(current)
            elif children_done:
                self._end_sup(current)  # type: ignore[arg-type]
            else:
                stack.append((current, True))
                # Pushed first to last, so popped last to first.
                stack.extend(
                    (child, False)
                    for child in current.children  # type: ignore[attr-defined]
                    if child.state is _RUNNING
                )

    def _end_sup(self, sup: _SupNode) -> None:
        for child in sup.children:
            # Exits and retries still queued for these children are void.
            child.exit_pending = False
            child.state = _STOPPED
        sup.children = []
        sup.by_id = {}
        sup.state = _STOPPED
        self._report(Stopped(sup.path, _SHUTDOWN), sup.incarnation)

    def _close(self, node: _WorkerNode) -> None:
        """Close a live worker's generator so its finally blocks run."""
        gen = node.gen
        assert gen is not None
        unwait(self._waiting, node)
        node.gen = None
        node.send = _no_send
        node.state = _STOPPED
        node.exit_pending = False
        reason: Reason = _SHUTDOWN
        error: BaseException | None = None
        try:
            gen.close()
        except Exception as exc:
            if inspect.getgeneratorstate(gen) == inspect.GEN_SUSPENDED:
                reason = _KILLED
                _bury(gen)
            else:
                reason, error = _CRASH, exc
        except BaseException as exc:
            # Ctrl-C in a finally block: finish what is being stopped, then
            # the call stops the tree and raises it (see _drain and stop).
            reason, error = _CRASH, exc
            if self._interrupt is None:
                self._interrupt = exc
        self._report(Stopped(node.path, reason, error), node.incarnation)


def _bury(gen: Generator[Any, Any, Any]) -> None:
    """Finish a generator that yielded while being closed, or keep it from the collector."""
    for _ in range(3):
        with contextlib.suppress(Exception):
            gen.close()
        if inspect.getgeneratorstate(gen) != inspect.GEN_SUSPENDED:
            return
    _UNKILLABLE.append(gen)


def _user_traceback(exc: BaseException) -> BaseException:
    """Drop gensup's own frames from the top of a worker's traceback, so that
    crash reports start in the worker."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    if tb is not None:
        exc.__traceback__ = tb
    return exc


def _describe_failure(exc: BaseException | None) -> str:
    return "unknown" if exc is None else f"{type(exc).__name__}: {exc}"


_REENTRANT: Final = (
    "Tree.{name}() was called from inside a worker or an observer; workers change "
    "the tree only through commands: yield emit(event, *args, to=path) instead"
)
_STOPPED_MSG: Final = "Tree.{name}(): the tree is not running (it was stopped or gave up)"


def start(
    spec: Supervisor, *, clock: Clock | None = None, observer: Observer | None = None
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

    Raises:
        InvalidSpec: ``spec`` is not a Supervisor spec.
        StartFailed: a child failed to start; chained to its exception.
        SupervisorGaveUp: the root gave up while handling what starting caused.
    """
    if not isinstance(spec, Supervisor):
        raise InvalidSpecType(
            f"gensup.start: the root must be a Supervisor spec (got {spec!r}); "
            f"wrap a worker in Supervisor('root', [worker])"
        )
    if clock is not None and not callable(getattr(clock, "now", None)):
        raise InvalidSpecType(f"gensup.start: 'clock' must have a now() method (got {clock!r})")
    if observer is not None and not callable(observer):
        raise InvalidSpecType(f"gensup.start: 'observer' must be callable (got {observer!r})")
    tree = Tree(spec, clock=clock, observer=observer)
    tree._start()
    return tree
