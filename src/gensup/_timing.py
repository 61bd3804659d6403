"""Time and I/O in the engine: timers, restarts delayed by backoff, calls.

`Timing` is a mixin of `_core.Core`.  A timeout, a sleep, a call's timeout
or a delayed restart is a timer in one deadline-ordered schedule
(``_timers``), owned by one incarnation of one child; `Tree.fire_due` fires
what is due, through `_fire`.  A call is recorded as a `PendingCall` and
handed to the driver; its outcome comes back through `Tree.complete_call` or
`Tree.fail_call`.  Stopping a child cancels its timer and its call first.

None of it is on delivery's hot path: a delivery never looks for a timer
(`_live` tells a stale one when its turn comes).
"""

from __future__ import annotations

import random
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from ._backoff import Backoff, delay
from ._calls import Driver, PendingCall
from ._commands import MANY, Call, _TimedWaitFor
from ._dispatch import T_REQUEST
from ._nodes import (
    _CRASH,
    _NORMAL,
    _RESTARTING,
    _RETRY,
    _RUNNING,
    _STOPPED,
    _T_CALL,
    _T_RESTART,
    _T_SLEEP,
    _T_WAIT,
    _TIMED_OUT,
    _TIMER,
    _BackoffState,
    _Node,
    _SupNode,
    _WorkerNode,
)
from ._restart import restart_group
from ._routing import unwait
from .reports import GaveUp, Reason, Report

if TYPE_CHECKING:
    from collections import deque

    from ._clock import Clock
    from ._routing import WaitTable
    from ._timers import Schedule, Timer

__all__ = ["Timing"]


class Timing:
    """Timers, delayed restarts and calls: the engine's side of time and I/O."""

    if TYPE_CHECKING:
        _clock: Clock
        _driver: Driver | None
        _timers: Schedule
        _calls: dict[int, _WorkerNode]
        _call_seq: int
        _seed: int | str | bytes | None
        _rng: random.Random | None
        _queue: deque[tuple[Any, ...]]
        _waiting: WaitTable[_WorkerNode]
        _root: _SupNode
        _gave_up: bool

        def _resume(
            self, node: _WorkerNode, value: object, throw: BaseException | None
        ) -> None: ...
        def _ended(self, node: _WorkerNode, reason: Reason, exc: BaseException | None) -> None: ...
        def _ended_with(self, node: _WorkerNode, outcome: object) -> None: ...
        def _advance(self, node: _WorkerNode, command: object) -> object: ...
        def _report(self, report: Report, incarnation: int | None = None) -> None: ...
        def _sup_exit(self, sup: _SupNode) -> None: ...
        def _run(self, steps: Generator[Any, Any, Any]) -> Any: ...
        def _start_group(
            self, sup: _SupNode, nodes: list[_Node]
        ) -> Generator[Any, Any, _Node | None]: ...
        def _stop_group(self, sup: _SupNode, group: list[_Node]) -> list[_Node]: ...
        def _failed(self, exc: Exception) -> None: ...
        def _fire_request(self, timer: Timer) -> bool: ...

    # ---- Time: timers, and restarts delayed by backoff ----

    def _schedule(self, seconds: float, kind: str, a: object, b: object) -> Timer:
        """A timer due in ``seconds``; one due at once is queued, like an emit."""
        timers = self._timers
        if not seconds:
            timer = timers.make(0.0, kind, a, b)
            self._queue.append((_TIMER, timer))
            return timer
        deadline = self._clock.now() + seconds
        timer = timers.add(deadline, kind, a, b)
        driver = self._driver
        if driver is not None and timers.is_first(timer):
            driver.deadline_changed(deadline)
        return timer

    def _defer(self, timer: Timer) -> None:
        """Put a timer due at once into the schedule instead, due now: the next
        `fire_due` fires it (see max_deliveries in `_drain`)."""
        kind = timer[2]
        if kind is None:
            return
        timer[2] = None  # the queued copy is void; its owner points to the new one
        moved = self._timers.add(self._clock.now(), kind, timer[3], timer[4])
        if kind is _T_RESTART:
            for node in timer[4][1]:
                if node.timer is timer:
                    node.timer = moved
        elif timer[3].timer is timer:
            timer[3].timer = moved

    def _set_timer(self, node: _WorkerNode, seconds: float, kind: str, payload: object) -> None:
        """Give ``node`` a timer due in ``seconds``, in place of the one it had."""
        if node.timer is not None:
            self._timers.cancel(node.timer)
        node.timer = self._schedule(seconds, kind, node, payload)

    def _cancel_timer(self, node: _Node) -> None:
        self._timers.cancel(node.timer)  # type: ignore[arg-type]
        node.timer = None

    def _live(self, timer: Timer) -> bool:
        """Whether a worker's timer still stands.

        Delivery does not cancel a worker's wait timer (that would cost the
        hot path a test per worker): a worker that got an event and waits
        again without a timeout leaves its old timer set.  It is stale when the
        worker's timer is another one, or it waits for other events, or it
        is not waiting at all.
        """
        kind = timer[2]
        if kind is None:
            return False
        if kind is T_REQUEST:
            return not timer[3].done
        if kind is _T_RESTART:
            sup: _SupNode = timer[3]
            sup_seq, group, _owner = timer[4]
            return (
                sup.state is _RUNNING
                and sup.seq == sup_seq
                and any(node.timer is timer and node.state is _RESTARTING for node in group)
            )
        node = timer[3]
        if node.timer is not timer:
            return False
        if kind is _T_WAIT:
            events = timer[4]
            return node.waits is events and node in self._waiting.get(events[0], ())
        return True

    def _fire(self, timer: Timer) -> bool:
        """Fire one due timer; False if it was stale."""
        kind = timer[2]
        if kind is _T_WAIT:
            return self._fire_wait(timer)
        if kind is T_REQUEST:
            return self._fire_request(timer)
        node: _WorkerNode = timer[3]
        if kind is _T_RESTART:
            return self._fire_restart(timer)
        if not self._live(timer):
            return False
        node.timer = None
        if kind is _T_SLEEP:
            self._resume(node, _TIMED_OUT, None)
        else:
            pending: PendingCall = timer[4]
            self._cancel_call(node)
            error = TimeoutError(
                f"call to {getattr(pending.fn, '__qualname__', pending.fn)!r} by {pending.path!r} "
                f"timed out after {pending.timeout} s"
            )
            self._resume(node, None, error)
        return True

    def _fire_wait(self, timer: Timer) -> bool:
        """A wait's timeout: resume the worker with ``(TIMEOUT,)``.

        Written out like `_deliver`, for the same reason: a tree of timed
        waits does little else, and the common next command, a timed wait for
        one event again, is registered here without the general path's calls.
        """
        node: _WorkerNode = timer[3]
        events = timer[4]
        waiting = self._waiting
        # `_live`, inlined.
        if node.timer is not timer or node.waits is not events:
            return False
        entry = waiting.get(events[0])
        if entry is None or node not in entry:
            return False
        node.timer = None
        if node.multi:
            unwait(waiting, node)
        else:
            del entry[node]
            if not entry:
                del waiting[events[0]]
        try:
            command = node.gen.send(_TIMED_OUT)  # type: ignore[union-attr]
        except StopIteration:
            self._ended(node, _NORMAL, None)
            return True
        except Exception as exc:
            self._ended(node, _CRASH, exc)
            return True
        except BaseException as exc:
            self._ended(node, _CRASH, exc)
            raise
        if command.__class__ is _TimedWaitFor:
            single = command.single
            if single is not MANY:
                entry = waiting.get(single)
                if entry is None:
                    waiting[single] = {node: None}
                else:
                    entry[node] = None
                node.waits = events = command.events
                node.timer = self._schedule(command.timeout, _T_WAIT, node, events)  # type: ignore[arg-type]
                return True
        outcome = self._advance(node, command)
        if outcome is not None:
            self._ended_with(node, outcome)
        return True

    def _delay_restart(self, sup: _SupNode, node: _Node, backoff: Backoff) -> None:
        """Stop ``node``'s restart group now; start it when the delay ends."""
        state = node.backoff
        if state is None:
            state = node.backoff = _BackoffState()
        started = state.started_at
        state.started_at = None
        if started is not None and self._clock.now() - started >= backoff.reset_time:
            state.n = 0
        rng = None
        if backoff.jitter:
            rng = self._rng
            if rng is None:
                rng = self._rng = random.Random(self._seed)
        seconds = delay(backoff, state.n, rng)
        state.n += 1
        group = restart_group(sup.spec.strategy, sup.children, node)  # type: ignore[union-attr]
        keep = self._stop_group(sup, group)
        if not keep:
            return
        timer = self._schedule(seconds, _T_RESTART, sup, (sup.seq, keep, node))
        for member in keep:
            member.state = _RESTARTING
            member.timer = timer

    def _fire_restart(self, timer: Timer) -> bool:
        """A delay has ended: count the restart, then start what is still waiting for it."""
        sup: _SupNode = timer[3]
        sup_seq: int = timer[4][0]
        group: list[_Node] = timer[4][1]
        if sup.state is not _RUNNING or sup.seq != sup_seq:
            return False
        members: list[_Node] = [
            node
            for node in group
            if node.timer is timer
            and node.state is _RESTARTING
            and sup.by_id.get(node.spec.id) is node
        ]
        if not members:
            return False
        for node in members:
            node.timer = None
            node.state = _STOPPED
        window = sup.window
        assert window is not None
        if not window.add(self._clock.now()):
            self._report(GaveUp(sup.path), sup.incarnation)
            if sup is self._root:
                self._gave_up = True
            self._sup_exit(sup)
            return True
        failed = self._run(self._start_group(sup, members))
        if failed is not None:
            failed.state = _RESTARTING
            self._queue.append((_RETRY, sup, sup.seq, failed))
        return True

    def _forget_restart(self, node: _Node) -> None:
        """``node`` no longer waits for a delayed restart (if it did); the timer
        is cancelled once no child waits for it."""
        timer = node.timer
        node.timer = None
        if (
            timer is not None
            and timer[2] is _T_RESTART
            and not any(member.timer is timer for member in timer[4][1])
        ):
            self._timers.cancel(timer)

    def _cancel_restart(self, node: _Node) -> None:
        """The user stopped ``node`` during its delay: its restart is cancelled,
        and the delay it waited for does not count as a consecutive restart."""
        timer = node.timer
        if timer is None or timer[2] is not _T_RESTART:
            return
        owner = timer[4][2]
        if owner is node and node.backoff is not None and node.backoff.n > 0:
            node.backoff.n -= 1
        self._forget_restart(node)

    def _started_at(self, node: _Node) -> None:
        state = node.backoff
        if state is None:
            state = node.backoff = _BackoffState()
        state.started_at = self._clock.now()

    # ---- Calls: I/O carried out by the driver ----

    def _start_call(self, node: _WorkerNode, command: Call) -> None:
        self._call_seq += 1
        pending = PendingCall(
            self._call_seq, node.path, node.incarnation, command.fn, command.args, command.timeout
        )
        node.call = pending
        self._calls[pending.id] = node
        driver = self._driver
        if driver is not None:
            driver.call_started(pending)
        if command.timeout is not None:
            self._set_timer(node, command.timeout, _T_CALL, pending)
        elif node.timer is not None:
            self._cancel_timer(node)

    def _cancel_call(self, node: _WorkerNode) -> None:
        pending = node.call
        assert pending is not None
        node.call = None
        del self._calls[pending.id]
        driver = self._driver
        if driver is not None:
            try:
                driver.call_cancelled(pending)
            except Exception as exc:
                self._failed(exc)
