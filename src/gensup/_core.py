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
  ``_restart``; who gets an event, of ``_routing``; how long to wait before a
  restart, of ``_backoff``.

Two concepts have rooms of their own, as mixins of `Core`: time and I/O
(``_timing``: timers, restarts delayed by backoff, calls) and routing beyond
broadcast (``_dispatch``: one of N, keys, backlogs, listeners, requests).
The nodes and the constants they share are in ``_nodes``.
"""

from __future__ import annotations

import atexit
import contextlib
import inspect
import math
import random
import sys
from collections import Counter, deque
from collections.abc import Callable, Generator, Hashable
from types import GeneratorType
from typing import TYPE_CHECKING, Any, Final

from . import _log
from ._backlog import Backlog
from ._calls import Driver
from ._clock import Clock, MonotonicClock
from ._commands import (
    MANY,
    NO_KEY,
    TIMEOUT,
    Call,
    Emit,
    Sleep,
    WaitFor,
    WhoAmI,
    _EmitOne,
    _TimedWaitFor,
)
from ._dispatch import DROPPED, Dispatch
from ._errors import ChildNotFound, InvalidCommand, TooManyDeliveries
from ._nodes import (
    _CRASH,
    _DELIVER,
    _EXIT,
    _FAILED,
    _FIRST,
    _IGNORED,
    _KILLED,
    _NORMAL,
    _ONE,
    _RESTARTING,
    _RETRY,
    _RETURNED,
    _RUNNING,
    _SHUTDOWN,
    _STARTED,
    _STOPPED,
    _T_RESTART,
    _T_SLEEP,
    _T_WAIT,
    _TIMER,
    _make_node,
    _Node,
    _Outcome,
    _PlacedNode,
    _SupNode,
    _WorkerNode,
)
from ._placing import Placing
from ._restart import Action, IntensityWindow, after_exit, auto_shutdown_due, restart_group
from ._routing import WaitTable, select, select_under, unwait, wait
from ._spec import ChildSpec, Restart, Supervisor, Worker, not_a_generator
from ._stats import DEAD_LETTERS, Stats
from ._timers import Schedule
from ._timing import Timing
from .reports import Dropped, GaveUp, Reason, Report, Started, Stopped

if TYPE_CHECKING:
    pass  # what dict.values() returns: reversible

__all__ = ["MAX_DELIVERIES", "SEEN_LIMIT", "Core", "Observer"]

#: A callable that receives every lifecycle report, synchronously.
Observer = Callable[[Report], object]

#: How many distinct events signalled or emitted the tree remembers for
#: `Tree.explain` before it forgets them and starts again.
SEEN_LIMIT: Final = 65_536

#: How many emitted events one call may deliver by default (`gensup.start`'s
#: ``max_deliveries``): enough for any real cascade, and reached in seconds
#: by an endless emit loop.
MAX_DELIVERIES: Final = 10_000_000


# Generators that kept yielding while being closed.  They are kept alive here,
# rather than dropped, because the interpreter would otherwise try to close
# them once more when collecting them and report the failure as unraisable;
# `_let_go` lets them go quietly at exit.
_UNKILLABLE: Final[list[Generator[Any, Any, Any]]] = []


# ---- The engine: state and machinery; the public API is Tree's (_tree.py) ----


class Core(Dispatch, Timing, Placing):
    """The machinery of a running tree, without its public API.

    `gensup.Tree` adds the public calls; everything here is private.
    """

    def __init__(
        self,
        spec: Supervisor,
        *,
        clock: Clock | None = None,
        observer: Observer | None = None,
        seed: int | str | bytes | None = None,
        driver: Driver | None = None,
        max_deliveries: int = MAX_DELIVERIES,
        dead_letters: int = DEAD_LETTERS,
    ) -> None:
        """Build a tree that is not started yet; use `gensup.start` instead."""
        # Restarts, crashes, drops and dead letters (see _stats): slow paths only.
        self._stats = Stats(dead_letters)
        # Invariant: workers reached by every delivery so far (one addition
        # per delivery, in `_deliver`).
        self._delivered = 0
        # Invariant: the events signalled or emitted since the tree started,
        # or since this set last reached SEEN_LIMIT and started again (one set
        # add per signal or emit, none per worker): `Tree.explain` names the
        # events waited for that never came.  Bounded, as workers may wait
        # for ever-new events (a request's ref).
        self._seen: set[Hashable] = set()
        self._max_deliveries = max_deliveries
        self._clock: Clock = MonotonicClock() if clock is None else clock
        self._observer = observer
        self._driver = driver
        # Invariant: every timer of a running child; empty when the tree is stopped.
        self._timers = Schedule()
        # Invariant: id -> the worker whose `call` it is, in the order calls were made.
        self._calls: dict[int, _WorkerNode] = {}
        self._call_seq = 0
        self._seed = seed
        # The random generator of backoff jitter, made at its first use.
        self._rng: random.Random | None = None
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
        # Invariant: while a mutating call runs (workers and observers run only
        # then), the id of its thread (threading.get_ident(), never 0); else 0.
        self._busy: int = 0
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
        # Invariant: a list only while Tree._abort stops the tree after an
        # error; what the clock, sinks and driver raised again meanwhile.
        self._salvage: list[Exception] | None = None
        # The error a signal's delivery raised on purpose, before changing
        # anything (an unhashable event): Tree._abort lets the tree go on.
        self._refused: BaseException | None = None
        # Invariant: true once the driver was told that the tree stopped.
        self._halted = False
        self._init_dispatch()
        self._init_placing()

    # ---- Paths ----

    def _find(self, path: str, routing: bool = False) -> tuple[_Node | None, str]:
        """The node at ``path`` under running supervisors, or None and why not.

        When ``routing`` an event, a path under a placed supervisor finds
        that supervisor: where it runs, its subtree routes the rest.
        """
        untyped: object = path  # callers without type checking may pass anything
        if not isinstance(untyped, str):
            return None, f"a path must be a str (got {path!r})"
        parts = untyped.split("/")
        node: _Node = self._root
        if parts[0] != node.spec.id:
            return None, f"paths start with the root's id {node.spec.id!r} (got {path!r})"
        for part in parts[1:]:
            if type(node) is not _SupNode:
                if type(node) is _PlacedNode:
                    if routing and node.state is _RUNNING:
                        return node, ""
                    return None, (
                        f"{node.path!r} runs elsewhere (placement="
                        f"{node.spec.placement!r}): its children are not here"  # type: ignore[union-attr]
                    )
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

    def _no_child(self, path: str) -> str:
        """Why ``path`` names no child of the tree's specs; "" when it names one.

        An emit's target is checked against specs, not against what runs: a
        child that is stopped or restarting, or below a supervisor that is not
        running, is still a child (an event sent to it is dropped); a typo is
        not.  A running supervisor's children are its nodes (those added by
        `start_child` included) and its spec's; a stopped one's, its spec's.
        """
        parts = path.split("/")
        if "" in parts:
            return f"{path!r} has an empty part; paths are ids joined by '/', as 'root/pool/a'"
        spec: ChildSpec = self._spec
        if parts[0] != spec.id:
            return f"paths start with the root's id {spec.id!r} (got {path!r})"
        node: _Node | None = self._root
        for depth, part in enumerate(parts[1:], 1):
            if type(spec) is not Supervisor:
                here = "/".join(parts[:depth])
                return f"{here!r} is a worker: it has no child {part!r}"
            if spec.placement is not None:
                return ""  # its subtree, where it runs, checks the rest
            by_id = node.by_id if type(node) is _SupNode else {}
            node = by_id.get(part)
            if node is not None:
                spec = node.spec
                continue
            for child in spec.children:
                if child.id == part:
                    spec = child
                    break
            else:
                here = "/".join(parts[:depth])
                ids = dict.fromkeys([*by_id, *(child.id for child in spec.children)])
                listed = ", ".join(map(repr, ids)) or "none"
                return f"{here!r} has no child {part!r} (its children: {listed})"
        return ""

    # ---- Reports ----

    def _report(
        self, report: Report, incarnation: int | None = None, spec: ChildSpec | None = None
    ) -> None:
        # `spec` names the code a record comes from (see _log): a worker's own.
        try:
            _log.log_report(report, incarnation, spec)
        except Exception as exc:
            # A sink added with catch=False raised: the observer still gets
            # the report, then the sink's error goes on (see _failed).
            self._observe(report)
            self._failed(exc)
            return
        if self._observer is not None:
            self._observe(report)

    def _observe(self, report: Report) -> None:
        observer = self._observer
        if observer is not None:
            try:
                observer(report)
            except Exception as exc:
                try:
                    _log.log_observer_error(report, exc)
                except Exception as again:
                    self._failed(again)

    def _failed(self, exc: Exception) -> None:
        """Something the tree calls out to (a sink, the driver) raised ``exc``.

        It propagates, and the call fails (see `Tree._abort`), unless the tree
        is being stopped after such an error already: then it is kept for the
        note on that error, and the stop goes on.
        """
        salvage = self._salvage
        if salvage is None:
            raise exc
        salvage.append(exc)

    def _drop(self, event: Hashable, args: tuple[Any, ...], to: str | None) -> None:
        self._dropped += 1
        now = self._now()
        self._stats.dropped(event, args, to, now)
        # Logged at a bounded rate, so that a flood cannot drown the log;
        # the observer still gets every report.
        logged, summary = self._stats.drop_log.allow(now)
        if summary:
            self._drop_summary(summary)
        if logged:
            self._report(Dropped(event, args, to))
        elif self._observer is not None:
            self._observe(Dropped(event, args, to))

    def _now(self) -> float:
        """The clock, for a statistic: NaN if the clock raises, which the call
        reading it for its own work (a restart, a timer) then raises."""
        try:
            return self._clock.now()
        except Exception:
            return math.nan

    def _drop_summary(self, count: int) -> None:
        try:
            _log.log_drop_summary(count)
        except Exception as exc:
            self._failed(exc)

    def _drop_queue(self) -> None:
        """The tree has ended: queued events reach nobody."""
        queue = self._queue
        while queue:
            item = queue.popleft()
            if item[0] in (_DELIVER, _ONE):
                self._drop(item[1], item[2], item[3])

    # ---- Delivery: the hot path ----

    def _deliver(
        self, event: Hashable, args: tuple[Any, ...], target: _Node | None, stamp: int | None
    ) -> int:
        """Resume the workers under ``target`` that wait for ``event``; return how many."""
        waiting = self._waiting
        try:
            waiters = waiting.get(event)
        except TypeError:
            error = _unhashable(event)
            if error is None:
                raise  # from the event's own __eq__ or __hash__
            self._refused = error  # raised before any change: the tree goes on
            raise error from None
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
        # Counted per delivery, not per worker: see docs/explanation/performance.md.
        self._delivered += len(batch)
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
            value: object = None
            if command is not _FIRST:
                cls = command.__class__
                if cls is WaitFor:
                    if node.timer is not None:
                        self._cancel_timer(node)
                    wait(self._waiting, node, command.events)  # type: ignore[attr-defined]
                    return None
                if cls is Emit or cls is _EmitOne:
                    sent: Emit = command  # type: ignore[assignment]
                    to = sent.to
                    if to is not None and (why := self._no_child(to)):
                        # As Erlang's send to an unregistered name: badarg, here.
                        throw = ChildNotFound(
                            f"worker {node.path!r} yielded {command!r}: no child at {to!r}: {why}"
                        )
                    else:
                        self._seq += 1
                        if cls is Emit:
                            self._queue.append(
                                (_DELIVER, sent.event, sent.args, to, self._seq, node)
                            )
                        else:  # one of N, or by key (see _dispatch)
                            key = sent.key  # type: ignore[attr-defined]
                            self._queue.append(
                                (_ONE, sent.event, sent.args, to, self._seq, node, key)
                            )
                elif cls is _TimedWaitFor:
                    events = command.events  # type: ignore[attr-defined]
                    wait(self._waiting, node, events)
                    self._set_timer(node, command.timeout, _T_WAIT, events)  # type: ignore[attr-defined]
                    return None
                elif cls is Sleep:
                    node.waits, node.multi = (), False
                    self._set_timer(node, command.seconds, _T_SLEEP, None)  # type: ignore[attr-defined]
                    return None
                elif cls is Call:
                    node.waits, node.multi = (), False
                    self._start_call(node, command)  # type: ignore[arg-type]
                    return None
                elif cls is WhoAmI:
                    value = (node.path, node.incarnation)
                else:
                    throw = InvalidCommand(
                        f"worker {node.path!r} yielded {command!r}; a worker may yield only "
                        f"waitfor(...), emit(...), sleep(...), call(...) or whoami()"
                    )
            try:
                if throw is None:
                    command = gen.send(value)
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
                if node.timer is not None:
                    self._cancel_timer(node)
                self._report(Stopped(node.path, _CRASH, exc), node.incarnation, node.spec)
                raise

    def _resume(self, node: _WorkerNode, value: object, throw: BaseException | None) -> None:
        """Resume a worker off the hot path (a timer, a call): send ``value``
        or throw ``throw`` in, then carry out what it does next."""
        gen = node.gen
        assert gen is not None
        try:
            command = gen.send(value) if throw is None else gen.throw(throw)
        except StopIteration:
            self._ended(node, _NORMAL, None)
            return
        except Exception as exc:
            self._ended(node, _CRASH, exc)
            return
        except BaseException as exc:
            self._ended(node, _CRASH, exc)
            raise
        outcome = self._advance(node, command)
        if outcome is not None:
            self._ended_with(node, outcome)

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
        if node.timer is not None:
            self._cancel_timer(node)
        if exc is not None:
            _user_traceback(exc)
            self._stats.crashed(node.path, exc, self._now())
        self._report(Stopped(node.path, reason, exc), node.incarnation, node.spec)
        self._queue.append((_EXIT, node, node.seq, reason))
        if self._handling and exc is not None:
            self._handler_ended(node, "crashed", exc)

    # ---- The queue: run to completion ----

    def _drain(self) -> None:
        queue = self._queue
        # Deliveries left before this drain gives up on an endless emit loop;
        # the last _SAMPLE of them are noted, to name the loop in the error.
        budget = self._max_deliveries
        runaway: _Runaway | None = None
        while self._interrupt is None:
            if self._held:
                # Held events first: a worker that waits again after the last
                # item gets what its supervisor's backlog holds for it.
                self._match_backlogs()
            if not queue:
                break
            if not self._alive:
                self._drop_queue()
                return
            item = queue.popleft()
            kind = item[0]
            if kind == _DELIVER:
                budget -= 1
                if budget < _SAMPLE:
                    if runaway is None:
                        runaway = _Runaway()
                    if budget < 0:
                        # Exits, retries and timers still run, so the tree
                        # settles; what is delivered stops here.
                        runaway.dropped += 1
                        self._drop(item[1], item[2], item[3])
                        continue
                    runaway.note(item[1], item[5])
                _, event, args, to, stamp, _by = item
                seen = self._seen
                seen.add(event)
                if len(seen) > SEEN_LIMIT:
                    seen.clear()
                target: _Node | None = None
                if to is not None:
                    target, _why = self._find(to, True)
                    if target is None:
                        if self._upstream is not None:
                            self._upstream(event, args, to, False, NO_KEY, 0)
                        elif not (self._listeners and self._hear(event, args)):
                            self._drop(event, args, to)
                        continue
                if self._extras:
                    # Listeners, placed subtrees, or this tree is one (see _placing).
                    self._deliver_extras(event, args, target, to, stamp, _by)
                elif not self._deliver(event, args, target, stamp):
                    self._drop(event, args, to)
            elif kind == _EXIT:
                _, node, seq, reason = item
                if node.exit_pending and node.seq == seq:
                    node.exit_pending = False
                    self._child_exited(node, reason)
            elif kind == _RETRY:
                _, sup, sup_seq, node = item
                if (
                    sup.state is _RUNNING
                    and sup.seq == sup_seq
                    and node.state is _RESTARTING
                    and node.timer is None
                    and sup.by_id.get(node.spec.id) is node
                ):
                    self._restart(sup, node)
            else:
                # One of N, or a timer due at once (sleep(0), timeout=0):
                # counted as an emit is (written out above, where it is hot),
                # so that an endless loop of them stops too.
                budget -= 1
                if budget < _SAMPLE:
                    if runaway is None:
                        runaway = _Runaway()
                    if budget < 0:
                        runaway.stop(self, item)
                        continue
                    runaway.note_item(item)
                if kind == _ONE:
                    self._drain_one(item)
                else:
                    self._fire(item[1])
        self._raise_interrupt()
        if budget < 0:
            assert runaway is not None
            raise runaway.error(self._max_deliveries)

    def _drain_one(self, item: tuple[Any, ...]) -> None:
        """A queued emit with ``one=True`` or a key (see _dispatch)."""
        _, event, args, to, stamp, _by, key = item
        seen = self._seen
        seen.add(event)
        if len(seen) > SEEN_LIMIT:
            seen.clear()
        target: _Node | None = None
        if to is not None:
            target, _why = self._find(to, True)
        if self._upstream is not None and (to is None or target is None):
            self._upstream(event, args, to, True, key, 0)
            return
        if type(target) is _PlacedNode:
            sent = self._forward_emit(event, args, target, to, None, True, key)
        else:
            sent = (to is None or target is not None) and self._route_one(
                event, args, target, key, stamp
            ) is not DROPPED
        if sent:
            if self._listeners:
                self._hear(event, args)
        elif not (self._listeners and self._hear(event, args)):
            self._drop(event, args, to)

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
        """OTP's ``restart/2``: count, then restart by strategy or give up.

        A child with a backoff is instead stopped with its group now and
        restarted when its delay ends (`_delay_restart`).
        """
        self._stats.restarted(node.path, self._now(), sup.spec.period)  # type: ignore[union-attr]
        backoff = node.spec.backoff
        if backoff is not None:
            self._delay_restart(sup, node, backoff)
            return
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
        keep = self._stop_group(sup, group)
        failed = yield self._start_group(sup, keep)
        return failed  # type: ignore[no-any-return]

    def _stop_group(self, sup: _SupNode, group: list[_Node]) -> list[_Node]:
        """Stop ``group`` last to first and drop its temporaries; return the rest."""
        for node in reversed(group):
            if node.state is _RUNNING:
                self._stop(node)
            else:
                # A child that already ended: its queued exit is consumed here,
                # as OTP's shutdown consumes the 'EXIT' of a dead child.  A
                # delayed restart of it is taken over by this one.
                node.exit_pending = False
                node.state = _STOPPED
                self._forget_restart(node)
        keep = []
        for node in group:
            if node.spec.restart is Restart.TEMPORARY:
                self._remove(sup, node)
            else:
                keep.append(node)
        return keep

    def _restart_worker(self, sup: _SupNode, node: _WorkerNode) -> _Node | None:
        """`_restart_group` for a group of just one worker."""
        if node.state is _RUNNING:
            self._close(node)
        else:
            node.exit_pending = False
            node.state = _STOPPED
            self._forget_restart(node)
        if node.spec.restart is Restart.TEMPORARY:
            self._remove(sup, node)
            return None
        return node if self._start_worker(node) is _FAILED else None

    def _sup_exit(self, sup: _SupNode) -> None:
        """A supervisor ends on its own (give-up or auto-shutdown), reason shutdown."""
        self._stop(sup)
        if sup is self._root:
            self._halt()
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
        if type(sup) is _PlacedNode:
            # Its subtree starts where it is placed: started, as far as its
            # parent knows (a failure to start there comes back as its crash).
            self._place(sup)
            if spec.backoff is not None:
                self._started_at(sup)
            return True
        sup.backlog = Backlog(spec.backlog) if spec.backlog else None
        sup.by_id = {child.id: _make_node(child, sup) for child in spec.children}
        failed = yield self._start_group(sup, list(sup.by_id.values()))
        if failed is None:
            if spec.backoff is not None:
                self._started_at(sup)
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
                if spec.backoff is not None:
                    self._started_at(node)
                return _STARTED
        node.gen = None
        node.state = _STOPPED
        if outcome is _RETURNED:
            self._report(Stopped(node.path, _NORMAL), node.incarnation, spec)
            return _IGNORED
        assert isinstance(outcome, BaseException)
        self._start_error = _user_traceback(outcome)
        self._stats.crashed(node.path, outcome, self._now())
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
            # Exits, retries and delayed restarts still queued for these
            # children are void.
            child.exit_pending = False
            child.state = _STOPPED
            self._forget_restart(child)
        sup.by_id = {}
        sup.state = _STOPPED
        if sup.backlog is not None:
            self._drop_backlog(sup)
        if type(sup) is _PlacedNode:
            self._unplace(sup)
        self._report(Stopped(sup.path, _SHUTDOWN), sup.incarnation)

    def _close(self, node: _WorkerNode) -> None:
        """Close a live worker's generator so its finally blocks run."""
        gen = node.gen
        assert gen is not None
        # Its call is cancelled first, then its finally blocks run.
        if node.timer is not None:
            self._cancel_timer(node)
        if node.call is not None:
            self._cancel_call(node)
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
                self._stats.crashed(node.path, exc, self._now())
        except BaseException as exc:
            # Ctrl-C in a finally block: finish what is being stopped, then
            # the call stops the tree and raises it (see _drain and stop).
            reason, error = _CRASH, exc
            if self._interrupt is None:
                self._interrupt = exc
        self._report(Stopped(node.path, reason, error), node.incarnation, node.spec)
        if self._handling:
            self._handler_ended(node, "was stopped", error)

    def _halt(self) -> None:
        """The tree is no longer alive: nothing stays scheduled; the driver is told, once."""
        self._alive = False
        self._timers.clear()
        suppressed = self._stats.drop_log.flush()
        if suppressed:
            self._drop_summary(suppressed)
        if self._requests:
            self._fail_requests()
        for node in list(self._calls.values()):
            self._cancel_call(node)
        driver = self._driver
        if driver is not None and not self._halted:
            self._halted = True
            try:
                driver.tree_stopped()
            except Exception as exc:
                self._failed(exc)


# How many of the deliveries before max_deliveries `_Runaway` looks at.
_SAMPLE: Final = 1000


class _Runaway:
    """The last deliveries of a drain that passed max_deliveries, to say which
    events and which workers kept it going."""

    __slots__ = ("deferred", "dropped", "emitters", "events")

    def __init__(self) -> None:
        self.events: Counter[Hashable] = Counter()
        self.emitters: Counter[_WorkerNode] = Counter()
        # Invariant: the deliveries dropped since the bound was passed.
        self.dropped = 0
        # Invariant: the timers due at once put off to the next fire_due since then.
        self.deferred = 0

    def note(self, event: Hashable, emitter: _WorkerNode) -> None:
        self.events[event] += 1
        self.emitters[emitter] += 1

    def note_item(self, item: tuple[Any, ...]) -> None:
        """`note` for a queued one-of-N emit or a timer due at once."""
        if item[0] != _TIMER:
            self.note(item[1], item[5])
        elif item[1][2] is not _T_RESTART:
            self.note(TIMEOUT, item[1][3])

    def stop(self, core: Core, item: tuple[Any, ...]) -> None:
        """Past the bound: an emitted event is dropped; a timer due at once is
        put off to the next fire_due (a worker waits for it: it is not lost)."""
        if item[0] == _TIMER:
            self.deferred += 1
            core._defer(item[1])
        else:
            self.dropped += 1
            core._drop(item[1], item[2], item[3])

    def error(self, limit: int) -> TooManyDeliveries:
        sample = sum(self.events.values())
        events = ", ".join(f"{event!r} ({n})" for event, n in self.events.most_common(3))
        emitters = ", ".join(f"{node.path!r} ({n})" for node, n in self.emitters.most_common(3))
        n = self.dropped
        dropped = "1 event still queued was" if n == 1 else f"{n:,} events still queued were"
        said = [] if self.deferred and not n else [f"The {dropped} dropped"]
        if self.deferred:
            d = self.deferred
            timers = "1 timer due at once was" if d == 1 else f"{d:,} timers due at once were"
            said.append(f"{timers} put off to the next fire_due (sleep(0), timeout=0)")
        return TooManyDeliveries(
            f"more than {limit:,} emitted events were delivered in one call (max_deliveries): "
            f"an endless emit loop?  Of the last {sample:,}, the most frequent events were "
            f"{events}, emitted most by {emitters}.  {'; '.join(said)}; exits and restarts "
            f"were handled, and the tree runs on"
        )


def _bury(gen: Generator[Any, Any, Any]) -> None:
    """Finish a generator that yielded while being closed, or keep it from the collector."""
    for _ in range(3):
        with contextlib.suppress(Exception):
            gen.close()
        if inspect.getgeneratorstate(gen) != inspect.GEN_SUSPENDED:
            return
    if not _UNKILLABLE:
        atexit.register(_let_go)
    _UNKILLABLE.append(gen)


def _let_go() -> None:
    """At exit, drop the generators that `_bury` kept, without the interpreter
    printing "Exception ignored in: <generator ...>" for each.

    Dropping one makes the interpreter close it once more; it yields again, and
    the failure goes to `sys.unraisablehook`.  The tree has reported it killed
    already, so only that report, of that generator, is held back: anything
    else goes to the hook as usual.  A generator that something else still
    refers to is not collected here, and is none of the tree's business.
    """
    hook = sys.unraisablehook
    dropping = 0

    def quiet(unraisable: Any) -> None:
        if id(unraisable.object) != dropping or unraisable.exc_type is not RuntimeError:
            hook(unraisable)

    sys.unraisablehook = quiet
    try:
        while _UNKILLABLE:
            gen = _UNKILLABLE.pop()
            dropping = id(gen)
            del gen  # closed here, while `dropping` names it
    finally:
        sys.unraisablehook = hook


def _unhashable(event: object) -> TypeError | None:
    """The error, with `emit`'s message, for an event that is not hashable.

    Asked only once looking the event up has failed: a signal does not hash
    its event twice.  Emitted events were checked by `emit` already, so only
    a signal's can fail here.
    """
    try:
        hash(event)
    except TypeError:
        return TypeError(f"Tree.signal(): the event must be hashable (got {event!r})")
    return None


def _user_traceback(exc: BaseException) -> BaseException:
    """Drop gensup's own frames from the top of a worker's traceback, so that
    crash reports start in the worker."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    if tb is not None:
        exc.__traceback__ = tb
    return exc
