"""The engine of a running tree: delivery, the queue, restart, start, stop.

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
from types import GeneratorType
from typing import TYPE_CHECKING, Any, Final, Literal

import attrs

from . import _log
from ._clock import Clock, MonotonicClock
from ._commands import MANY, Emit, WaitFor
from ._errors import InvalidCommand
from ._records import ChildKind, ChildState
from ._restart import Action, IntensityWindow, after_exit, auto_shutdown_due, restart_group
from ._routing import WaitTable, select, select_under, unwait, wait
from ._spec import ChildSpec, Restart, Supervisor, Worker, not_a_generator
from .reports import Dropped, GaveUp, Reason, Report, Started, Stopped

if TYPE_CHECKING:
    from _collections_abc import dict_values  # what dict.values() returns: reversible

__all__ = ["Core", "Observer"]

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


@attrs.define(eq=False)
class _Node:
    spec: ChildSpec
    parent: _SupNode | None
    # Invariant: RUNNING iff a live generator (worker) or started supervisor is here.
    state: ChildState = _STOPPED
    # Invariant: start attempts since the parent (its current incarnation) started.
    incarnation: int = 0
    # Invariant: the tree-wide sequence number taken at the latest start attempt.
    seq: int = 0
    # Invariant: true between the child's own end and its parent handling it.
    exit_pending: bool = False

    @property
    def path(self) -> str:
        """The parent's path, "/", the spec's id.

        A worker's is built when asked (a report, a message) rather than
        stored: a string per worker would be about a ninth of an idle
        worker's memory.  Supervisors store theirs (`_SupNode.path`).
        """
        return f"{self.parent.path}/{self.spec.id}"  # type: ignore[union-attr]


@attrs.define(eq=False)
class _WorkerNode(_Node):
    # Invariant: not None iff state is RUNNING.
    gen: Generator[Any, Any, Any] | None = None
    # Invariant: the events this worker is registered for in the wait table
    # (empty when it is not waiting).
    waits: tuple[Hashable, ...] = ()
    # Invariant: len(waits) > 1.
    multi: bool = False


@attrs.define(eq=False)
class _SupNode(_Node):
    # Invariant: the parent's path, "/", the spec's id (the root: its id).
    path: str = attrs.field(kw_only=True)
    # Invariant: the children by id, in child order (spec order, then
    # start_child order: a dict keeps insertion order, and removing a child
    # costs O(1) wherever it is); empty when stopped.
    by_id: dict[str, _Node] = attrs.Factory(dict)
    # Invariant: set while running; a fresh window at every start.
    window: IntensityWindow | None = None

    @property
    def children(self) -> dict_values[str, _Node]:
        """The children in child order (a view of `by_id`)."""
        return self.by_id.values()


def _make_node(spec: ChildSpec, parent: _SupNode) -> _Node:
    if type(spec) is Worker:
        return _WorkerNode(spec, parent)
    return _SupNode(spec, parent, path=f"{parent.path}/{spec.id}")


def _kind(node: _Node) -> ChildKind:
    return ChildKind.WORKER if type(node) is _WorkerNode else ChildKind.SUPERVISOR


# ---- The engine: state and machinery; the public API is Tree's (_tree.py) ----


class Core:
    """The machinery of a running tree, without its public API.

    `gensup.Tree` adds the public calls; everything here is private.
    """

    def __init__(
        self, spec: Supervisor, *, clock: Clock | None = None, observer: Observer | None = None
    ) -> None:
        """Build a tree that is not started yet; use `gensup.start` instead."""
        self._clock: Clock = MonotonicClock() if clock is None else clock
        self._observer = observer
        self._spec = spec
        # Invariant: the root node; running iff the tree is alive.
        self._root = _SupNode(spec, None, path=spec.id)
        # Invariant: every RUNNING worker that waits is in the entries of
        # exactly its `waits`, and nothing else is in the table.
        self._waiting: WaitTable[_WorkerNode] = {}
        # Invariant: empty whenever no public call is running.
        self._queue: deque[tuple[Any, ...]] = deque()
        # Invariant: increases at every start attempt and every emit.
        self._seq = 0
        # Invariant: the `seq` of the latest start attempt (0 before any).
        self._last_start = 0
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

    # ---- Reports ----

    def _report(
        self, report: Report, incarnation: int | None = None, spec: ChildSpec | None = None
    ) -> None:
        # `spec` names the code a record comes from (see _log): a worker's own.
        _log.log_report(report, incarnation, spec)
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
        if (target is None or target is self._root) and (stamp is None or stamp > self._last_start):
            # The common case: everybody waiting gets it (for an emitted
            # event, nobody started since it was emitted, so every waiter
            # started before it).  The entry is taken whole, and workers that
            # wait again go into a fresh one.
            del waiting[event]
            batch = waiters
        else:
            if target is None or target is self._root:
                batch = select(waiters, None, stamp)
            elif type(target) is _WorkerNode:
                batch = select(waiters, target, stamp)
            else:
                batch = select_under(waiters, target.path, stamp)
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
                # Not a bound `send` kept on each node: on CPython 3.11 that is
                # slower (measured: 0.84x at 1,000 workers) and costs 72 bytes
                # per worker.
                command = node.gen.send(value)  # type: ignore[union-attr]
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
                node.state = _STOPPED
                unwait(self._waiting, node)
                self._report(Stopped(node.path, _CRASH, exc), node.incarnation, node.spec)
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
        node.waits = ()
        node.state = _STOPPED
        node.exit_pending = True
        if exc is not None:
            _user_traceback(exc)
        self._report(Stopped(node.path, reason, exc), node.incarnation, node.spec)
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
        if len(group) == 1 and type(node) is _WorkerNode:
            # One worker alone (one_for_one's every restart): a worker's start
            # never recurses, so it is done here directly, without the
            # trampoline and its two generators, which a crash loop would
            # otherwise pay on every restart.
            failed = self._restart_worker(sup, node)
        else:
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

    def _restart_worker(self, sup: _SupNode, node: _WorkerNode) -> _Node | None:
        """`_restart_group` for a group of just one worker."""
        if node.state is _RUNNING:
            self._close(node)
        else:
            node.exit_pending = False
            node.state = _STOPPED
        if node.spec.restart is Restart.TEMPORARY:
            self._remove(sup, node)
            return None
        return node if self._start_worker(node) is _FAILED else None

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
        node.seq = self._last_start = self._seq
        node.exit_pending = False
        self._report(Started(node.path), node.incarnation, node.spec)

    def _start_sup(self, sup: _SupNode) -> Generator[Any, Any, bool]:
        """Start a fresh supervisor, then its children in order."""
        spec = sup.spec
        assert isinstance(spec, Supervisor)
        self._begin(sup)
        sup.state = _RUNNING
        sup.window = IntensityWindow(spec.intensity, spec.period)
        sup.by_id = {child.id: _make_node(child, sup) for child in spec.children}
        failed = yield self._start_group(sup, list(sup.by_id.values()))
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
            # Unpacking the kwargs mapping, even empty, goes through its
            # keys() in Python: most workers take none.
            if spec.kwargs:
                node.gen = spec.func(*spec.args, **spec.kwargs)
            else:
                node.gen = spec.func(*spec.args)
            # Any callable is a worker's func: check that it made a generator.
            if node.gen.__class__ is not GeneratorType:
                raise not_a_generator(node.path, spec.func, node.gen)
        except Exception as exc:
            outcome: object = exc
        else:
            node.state = _RUNNING
            outcome = self._advance(node, _FIRST)
            if outcome is None:
                return _STARTED
        node.gen = None
        node.state = _STOPPED
        if outcome is _RETURNED:
            self._report(Stopped(node.path, _NORMAL), node.incarnation, spec)
            return _IGNORED
        assert isinstance(outcome, BaseException)
        self._start_error = _user_traceback(outcome)
        self._report(Stopped(node.path, _CRASH, outcome), node.incarnation, spec)
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
        sup.by_id = {}
        sup.state = _STOPPED
        self._report(Stopped(sup.path, _SHUTDOWN), sup.incarnation)

    def _close(self, node: _WorkerNode) -> None:
        """Close a live worker's generator so its finally blocks run."""
        gen = node.gen
        assert gen is not None
        unwait(self._waiting, node)
        node.gen = None
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
        self._report(Stopped(node.path, reason, error), node.incarnation, node.spec)


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
