"""Routing beyond broadcast, wired into the engine: one of N, keys, backlogs,
listeners and requests.

`Dispatch` is a mixin of `_core.Core`.  None of it runs on the broadcast
path: a signal or emit reaches this code only when it says ``one=True`` or
gives a ``key``, and the tables here are looked at with one truth test each
(``if self._held``, ``if self._listeners``, ``if self._requests``) where the
common path passes by.

* **One of N** (`_route_one`): the waiter that has waited longest under the
  target supervisor (``_routing.first``), or the child a key chooses by jump
  hashing over the supervisor's children, by position.
* **Backlogs**: what nobody there waits for is held by the supervisor's
  incarnation (``_backlog.Backlog``), up to its bound.  `_match_backlogs`
  hands held events out, oldest first, to workers that wait for them; the
  queue runs it before each item and once the queue is empty, so a worker
  that waits again after a delivery gets a held event before anything else.
* **Listeners** hear every occurrence of their event after the workers that
  got it; a request's reply is caught by one, on the request's `Ref`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, Final

from . import _log
from ._commands import NO_KEY, Ref, ref
from ._errors import RequestFailed
from ._nodes import _RUNNING, _Node, _PlacedNode, _SupNode, _WorkerNode
from ._requests import Listener, PendingRequest
from ._routing import first, jump, stable_hash

if TYPE_CHECKING:
    from collections import deque

    from ._clock import Clock
    from ._routing import WaitTable
    from ._timers import Schedule, Timer

__all__ = ["DELIVERED", "DROPPED", "HELD", "T_REQUEST", "Dispatch"]

# What `_route_one` did with an event.
DELIVERED: Final = 1
HELD: Final = 0
DROPPED: Final = -1

#: The kind of a request's timeout timer, with payload (its PendingRequest, None).
T_REQUEST: Final = "request"


class Dispatch:
    """One of N, keys, backlogs, listeners and requests: the engine's side."""

    if TYPE_CHECKING:
        _root: _SupNode
        _waiting: WaitTable[_WorkerNode]
        _queue: deque[tuple[Any, ...]]
        _timers: Schedule
        _clock: Clock
        _salvage: list[Exception] | None

        def _deliver(
            self, event: Hashable, args: tuple[Any, ...], target: _Node | None, stamp: int | None
        ) -> int: ...
        def _drop(self, event: Hashable, args: tuple[Any, ...], to: str | None) -> None: ...
        def _failed(self, exc: Exception) -> None: ...
        def _update_extras(self) -> None: ...
        def _schedule(self, seconds: float, kind: str, a: object, b: object) -> Timer: ...

    def _init_dispatch(self) -> None:
        # Invariant: the supervisors whose backlog holds at least one event
        # (a supervisor may stay here, emptied, until the next match).
        self._held: dict[_SupNode, None] = {}
        # Invariant: event -> its active listeners, in the order they were
        # added; no empty lists.
        self._listeners: dict[Hashable, list[Listener]] = {}
        # Invariant: ref -> the request it answers, for every request not settled.
        self._requests: dict[Ref, PendingRequest] = {}
        # Invariant: a worker -> the unsettled requests it took (one-of-N only).
        self._handling: dict[_WorkerNode, list[PendingRequest]] = {}

    # ---- One of N, and keys ----

    def _route_one(
        self,
        event: Hashable,
        args: tuple[Any, ...],
        target: _Node | None,
        key: object,
        stamp: int | None,
    ) -> int:
        """Deliver to one worker under ``target`` (the root when None), or hold
        the event in the supervisor's backlog; return `DELIVERED`, `HELD` or
        `DROPPED` (the caller reports a drop)."""
        sup = self._root if target is None else target
        waiters = self._waiting.get(event)
        if type(sup) is _WorkerNode:
            # one=True to a worker's path: that worker, if it waits (a key
            # needs a supervisor; an emitted one is dropped).
            if key is NO_KEY and waiters and self._waits(sup, waiters, stamp):
                self._hand(event, args, sup)
                return DELIVERED
            return DROPPED
        assert isinstance(sup, _SupNode)
        if sup.state is not _RUNNING:
            return DROPPED
        share: int | None = None
        node: _WorkerNode | None = None
        if key is NO_KEY:
            if waiters:
                node = first(waiters, None if sup is self._root else sup.path, stamp)
        else:
            children = list(sup.by_id.values())
            if not children:
                return DROPPED
            share = jump(stable_hash(key), len(children))
            chosen = children[share]
            if (
                type(chosen) is _PlacedNode
                and chosen.state is _RUNNING
                # Its subtree, where it runs, takes it as one of N.
                and self._forward_emit(event, args, chosen, chosen.path, None, True)  # type: ignore[attr-defined]
            ):
                return DELIVERED
            if waiters:
                node = self._waiter_in(chosen, waiters, stamp)
        if node is not None:
            self._hand(event, args, node)
            return DELIVERED
        backlog = sup.backlog
        if backlog is not None and backlog.hold(event, args, share):
            self._held[sup] = None
            return HELD
        return DROPPED

    @staticmethod
    def _waits(node: _WorkerNode, waiters: dict[_WorkerNode, None], stamp: int | None) -> bool:
        return node in waiters and (stamp is None or node.seq < stamp)

    def _waiter_in(
        self, child: _Node, waiters: dict[_WorkerNode, None], stamp: int | None
    ) -> _WorkerNode | None:
        """The longest waiting of ``waiters`` that is ``child`` or under it."""
        if type(child) is _WorkerNode:
            return child if self._waits(child, waiters, stamp) else None
        return first(waiters, child.path, stamp)

    def _hand(self, event: Hashable, args: tuple[Any, ...], node: _WorkerNode) -> None:
        """Deliver to ``node``, noting it as the handler of the request it takes."""
        if self._requests and args:
            reply = args[-1]
            if reply.__class__ is Ref:
                pending = self._requests.get(reply)
                if pending is not None and pending.handler is None:
                    pending.handler = node.path
                    self._handling.setdefault(node, []).append(pending)
        self._deliver(event, args, node, None)

    # ---- Backlogs ----

    def _match_backlogs(self) -> None:
        """Hand held events, oldest first, to the workers that wait for them now."""
        waiting = self._waiting
        for sup in list(self._held):
            backlog = sup.backlog
            if backlog is None or not backlog:
                del self._held[sup]
                continue
            under = None if sup is self._root else sup.path
            children: list[_Node] | None = None
            for event in backlog.events():
                index = 0
                while True:
                    waiters = waiting.get(event)
                    if not waiters:
                        break
                    item = backlog.at(event, index)
                    if item is None:
                        break
                    args, share = item
                    if share is None:
                        node = first(waiters, under, None)
                        if node is None:
                            break  # nobody under it waits: no child does either
                    else:
                        if children is None:
                            children = list(sup.by_id.values())
                        if share >= len(children):
                            # Its child was removed, and the positions with it.
                            backlog.take(event, index)
                            self._drop(event, args, sup.path)
                            continue
                        node = self._waiter_in(children[share], waiters, None)
                        if node is None:
                            index += 1
                            continue
                    backlog.take(event, index)
                    self._hand(event, args, node)
            if not backlog:
                self._held.pop(sup, None)

    def _drop_backlog(self, sup: _SupNode) -> None:
        """A supervisor's incarnation ends: what its backlog held is dropped."""
        backlog = sup.backlog
        assert backlog is not None
        sup.backlog = None
        self._held.pop(sup, None)
        for event, args in backlog.clear():
            self._drop(event, args, sup.path)

    # ---- Listeners ----

    def _listen(self, event: Hashable, callback: Callable[[tuple[Any, ...]], object]) -> Listener:
        listener = Listener(event, callback, self._unlisten)
        self._listeners.setdefault(event, []).append(listener)
        self._update_extras()
        return listener

    def _unlisten(self, listener: Listener) -> None:
        listeners = self._listeners.get(listener.event)
        if listeners is not None and listener in listeners:
            listeners.remove(listener)
            if not listeners:
                del self._listeners[listener.event]
                self._update_extras()

    def _hear(self, event: Hashable, args: tuple[Any, ...]) -> bool:
        """Call the listeners of ``event``; whether it has any."""
        listeners = self._listeners.get(event)
        if not listeners:
            return False
        message = (event, *args)
        for listener in tuple(listeners):
            if listener.active:
                try:
                    listener.callback(message)
                except Exception as exc:
                    self._listener_failed(event, exc)
        return True

    def _listener_failed(self, event: Hashable, exc: Exception) -> None:
        try:
            _log.log_listener_error(event, exc)
        except Exception as again:
            self._failed(again)

    # ---- Requests ----

    def _send_request(
        self,
        event: Hashable,
        args: tuple[Any, ...],
        target: _Node | None,
        to: str | None,
        one: bool,
        timeout: float | None,
    ) -> PendingRequest:
        """Send ``(event, *args, ref)``; the reply settles the returned request."""
        reply = ref()
        pending = PendingRequest(event, reply, self._forget_request)
        self._requests[reply] = pending
        self._listen(reply, lambda message: self._replied(pending, message[1:]))
        full = (*args, reply)
        if one:
            outcome = self._route_one(event, full, target, NO_KEY, None)
        else:
            outcome = DELIVERED if self._deliver(event, full, target, None) else DROPPED
        heard = bool(self._listeners) and self._hear(event, full)
        if outcome is DROPPED:
            if not heard:
                self._drop(event, full, to)
            where = "the tree" if to is None else repr(to)
            self._settle_request(
                pending,
                None,
                RequestFailed(
                    f"no worker under {where} waits for {event!r}, and no backlog keeps it: "
                    f"the request has nobody to take it"
                ),
            )
        elif timeout is not None:
            self._schedule(timeout, T_REQUEST, pending, None)
        return pending

    def _replied(self, pending: PendingRequest, args: tuple[Any, ...]) -> None:
        if not pending.done:
            value = args[0] if len(args) == 1 else (args or None)
            self._settle_request(pending, value, None)

    def _settle_request(
        self, pending: PendingRequest, value: object, error: BaseException | None
    ) -> None:
        for exc in pending._settle(value, error):
            self._listener_failed(pending.ref, exc)

    def _forget_request(self, pending: PendingRequest) -> None:
        """A request is settled: its listener, its entry and its handler's go."""
        reply = pending.ref
        self._requests.pop(reply, None)
        for listener in self._listeners.pop(reply, ()):
            listener.active = False
        self._update_extras()
        for node, taken in list(self._handling.items()):
            if pending in taken:
                taken.remove(pending)
                if not taken:
                    del self._handling[node]

    def _handler_ended(self, node: _WorkerNode, how: str, exc: BaseException | None) -> None:
        """``node`` crashed or was stopped while it held requests: they fail."""
        taken = self._handling.pop(node, None)
        if not taken:
            return
        path = node.path
        for pending in taken:
            cause = f": {exc!r}" if exc is not None else ""
            error = RequestFailed(
                f"worker {path} {how} while handling the request {pending.event!r} "
                f"({pending.ref!r}){cause}"
            )
            error.__cause__ = exc
            self._settle_request(pending, None, error)

    def _fire_request(self, timer: Timer) -> bool:
        pending: PendingRequest = timer[3]
        if pending.done:
            return False
        self._settle_request(
            pending,
            None,
            TimeoutError(f"the request {pending.event!r} ({pending.ref!r}) got no reply in time"),
        )
        return True

    def _fail_requests(self) -> None:
        """The tree stopped: no request can be answered any more."""
        for pending in list(self._requests.values()):
            self._settle_request(
                pending,
                None,
                RequestFailed(
                    f"the tree stopped before the request {pending.event!r} ({pending.ref!r}) "
                    f"got a reply"
                ),
            )
