"""Placed subtrees in the engine: the parent's side of ``placement=``.

`Placing` is a mixin of `_core.Core`.  A placed supervisor is a
`_PlacedNode`: started, stopped, restarted and counted here like any child
supervisor, with no children here.  Its subtree runs where its placement
put it, and the driver (`gensup.aio`) carries messages both ways:

* down: every event routed at or above the placed node (`_forward`), and a
  stop when the node is stopped (`_unplace`);
* up, through `Tree._placed_input` (`_take_batch`): the subtree's reports, its
  emits that leave it (routed here as if emitted here), the counts an
  awaited delivery asked for, and its end (a give-up, a failed start), or
  the loss of its process (`_lost`), which the parent handles as the crash
  of a child supervisor.

Nothing here is on delivery's hot path: a delivery asks ``if self._placed``
once, and goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from . import _log, _wire
from ._commands import NO_KEY
from ._errors import InvalidSpec, PlacementLost
from ._nodes import _CRASH, _DELIVER, _EXIT, _ONE, _RUNNING, _STOPPED, _Node, _PlacedNode, _SupNode
from ._spec import ChildSpec, Supervisor, Worker
from .reports import Reason, Report, Stopped

if TYPE_CHECKING:
    from collections import deque

    from ._calls import Driver

__all__ = ["Placing", "PlacingDriver"]


class PlacingDriver(Protocol):
    """What a driver adds to `gensup.Driver` to run placed subtrees (`gensup.aio` does)."""

    def place(self, node: _PlacedNode, boot: bytes) -> None:
        """Start this incarnation of ``node``'s subtree where its placement says."""

    def unplace(self, node: _PlacedNode) -> None:
        """Stop this incarnation of ``node``'s subtree (its seq names it)."""

    def forward(self, node: _PlacedNode, message: tuple[Any, ...], count: int) -> None:
        """Send ``message`` to this incarnation of ``node``'s subtree, after
        the earlier ones; ``count``, if not 0, is the id of an awaited delivery
        that waits for the subtree's reply."""


#: (event, args, to, one, key, workers it reached in the subtree): an emit
#: that leaves a placed subtree.
Upstream = Callable[[Hashable, tuple[Any, ...], "str | None", bool, object, int], None]


class Origin:
    """Who emitted an event that a placed subtree sent up: the placed node
    (equal and hashed as it), and how many workers there it reached already."""

    __slots__ = ("node", "reached")

    def __init__(self, node: _PlacedNode, reached: int) -> None:
        self.node = node
        self.reached = reached

    @property
    def path(self) -> str:
        return self.node.path

    def __eq__(self, other: object) -> bool:
        return other.__class__ is Origin and other.node is self.node

    def __hash__(self) -> int:
        return hash(self.node)


class Placing:
    """The engine's side of placed subtrees."""

    if TYPE_CHECKING:
        _driver: Driver | None
        _queue: deque[tuple[Any, ...]]
        _root: _SupNode
        _seq: int
        _seed: int | str | bytes | None
        _max_deliveries: int
        _refused: BaseException | None

        _listeners: dict[Hashable, list[Any]]

        def _report(self, report: Report, incarnation: int | None = None) -> None: ...
        def _drop(self, event: Hashable, args: tuple[Any, ...], to: str | None) -> None: ...
        def _hear(self, event: Hashable, args: tuple[Any, ...]) -> bool: ...
        def _find(self, path: str, routing: bool = False) -> tuple[_Node | None, str]: ...
        def _deliver(
            self, event: Hashable, args: tuple[Any, ...], target: _Node | None, stamp: int | None
        ) -> int: ...

    def _init_placing(self) -> None:
        # Invariant: every running placed node, in the order they started.
        self._placed: dict[_PlacedNode, None] = {}
        # The id of an awaited delivery (`gensup.aio.AsyncTree.deliver`) whose
        # signal is being made, else 0: forwarded messages ask for a count.
        self._counting = 0
        # In a placed subtree's own tree (see _remote): where its emits go
        # that leave it, to be routed by its parent's tree; else None.
        self._upstream: Upstream | None = None
        # Invariant: whether there are listeners, placed subtrees, or an
        # upstream (`_update_extras`): a signal or an emit then takes
        # `_signal_extras` or `_deliver_extras`, and the hot path pays one
        # test for all of them.
        self._extras = False

    def _update_extras(self) -> None:
        """Keep `_extras` true where listeners, placed subtrees or an upstream are."""
        self._extras = bool(self._listeners) or bool(self._placed) or self._upstream is not None

    def _place(self, node: _PlacedNode) -> None:
        """Start the subtree of ``node`` (already begun and running) where it is placed."""
        spec = node.spec
        assert isinstance(spec, Supervisor)
        assert node.parent is not None
        boot = _wire.Boot(
            spec=attrs.evolve(spec, placement=None),
            prefix=node.parent.path,
            incarnation=node.incarnation,
            seed=self._seed,
            max_deliveries=self._max_deliveries,
        )
        self._placed[node] = None
        self._extras = True
        self._placer().place(node, _wire.dump_boot(boot))

    def _unplace(self, node: _PlacedNode) -> None:
        """``node`` stopped here: its subtree stops there (if it still runs)."""
        if self._placed.pop(node, False) is None:
            self._update_extras()
            self._placer().unplace(node)

    def _placer(self) -> PlacingDriver:
        driver = self._driver
        if driver is None or not callable(getattr(driver, "place", None)):
            # Checked at start and at start_child: only a driver swapped
            # behind the tree's back gets here.
            raise InvalidSpec("a placed subtree needs the async driver (gensup.aio.start)")
        return driver  # type: ignore[return-value]

    # ---- Down: what is routed into a placed subtree ----

    def _signal_extras(
        self,
        event: Hashable,
        args: tuple[Any, ...],
        to: str | None,
        reached: int,
        target: _Node | None,
    ) -> None:
        """The end of `Tree.signal` once delivered here, where there are
        listeners or placed subtrees: they hear it or get it too."""
        sent = bool(self._placed) and self._forward(event, args, target, to)
        if not reached:
            if not (self._listeners and self._hear(event, args)) and not sent:
                self._drop(event, args, to)
        elif self._listeners:
            self._hear(event, args)

    def _deliver_extras(
        self,
        event: Hashable,
        args: tuple[Any, ...],
        target: _Node | None,
        to: str | None,
        stamp: int,
        by: object,
    ) -> None:
        """A queued emit's delivery (`_drain`'s), where there are listeners or
        placed subtrees, or this tree is one: here, to the placed subtrees it
        is routed into, and, from a placed subtree, a broadcast to its
        parent's tree too."""
        sent = bool(self._placed) and self._forward_emit(event, args, target, to, by)
        reached = self._deliver(event, args, target, stamp)
        if to is None and self._upstream is not None:
            # Its parent's tree routes it everywhere else, and says whether
            # it was dropped.
            self._upstream(event, args, None, False, NO_KEY, reached)
        elif not reached:
            if not (self._listeners and self._hear(event, args)) and not sent:
                self._drop(event, args, to)
        elif self._listeners:
            self._hear(event, args)

    def _forward(
        self,
        event: Hashable,
        args: tuple[Any, ...],
        target: _Node | None,
        to: str | None,
        one: bool = False,
        key: object = NO_KEY,
        skip: _PlacedNode | None = None,
    ) -> bool:
        """Send the event to the placed subtrees under ``target``; whether any.

        ``target`` is what ``to`` resolved to (None: the whole tree): a
        placed node at or above it takes the event with ``to`` as it is, and
        routes it there.  ``skip``: the subtree it came from, which has it.
        """
        chosen: tuple[_PlacedNode, ...] | list[_PlacedNode]
        if type(target) is _PlacedNode:
            if target is skip or target not in self._placed:
                return False
            chosen = (target,)
        elif target is None or target is self._root:
            chosen = [node for node in self._placed if node is not skip]
        elif type(target) is _SupNode:
            prefix = target.path + "/"
            chosen = [
                node for node in self._placed if node.path.startswith(prefix) and node is not skip
            ]
        else:
            return False
        if not chosen:
            return False
        count = self._counting
        message = (_wire.SIGNAL, event, args, to, one, key, count)
        if not _wire.plain(message):
            try:
                _wire.dump(message)
            except Exception as exc:
                error = TypeError(
                    f"the event {event!r} with args {args!r} cannot be sent to the placed "
                    f"subtree {chosen[0].path!r}: {type(exc).__name__}: {exc} (what is sent to "
                    f"another process must pickle)"
                )
                # Refused before it was sent anywhere else: the tree goes on.
                self._refused = error
                raise error from exc
        forward = self._placer().forward
        for node in chosen:
            forward(node, message, count)
        return True

    def _forward_emit(
        self,
        event: Hashable,
        args: tuple[Any, ...],
        target: _Node | None,
        to: str | None,
        by: object = None,
        one: bool = False,
        key: object = NO_KEY,
    ) -> bool:
        """`_forward` for an emit: whether it reached, or will reach, anybody.

        ``by`` is the emitter: an `Origin` for an emit that came up from a
        placed subtree, which is not sent back there.  What cannot cross is
        logged, and dropped there (the emitter has moved on; nobody can be
        raised to).
        """
        origin = by if by.__class__ is Origin else None
        try:
            sent = self._forward(
                event, args, target, to, one, key, None if origin is None else origin.node
            )
        except TypeError as exc:
            self._refused = None
            _log.log_placement_error(f"{exc}; dropped there", exc, to, event)
            sent = False
        return sent or (origin is not None and origin.reached > 0)

    # ---- Up: what a placed subtree sends back ----

    def _take_batch(self, node: _PlacedNode, seq: int, batch: list[tuple[Any, ...]]) -> None:
        """Handle a batch from the incarnation ``seq`` of ``node``'s subtree.

        Its reports are passed on in any case (a subtree being stopped still
        reports its workers' ends); its emits and its end only while that
        incarnation is the one running here.
        """
        current = node.seq == seq and node.state is _RUNNING
        for message in batch:
            kind = message[0]
            if kind == _wire.REPORT:
                report, incarnation = _wire.load_report(message)
                self._report(report, incarnation)
            elif kind == _wire.EMIT:
                _, event, args, to, one, key, reached = message
                if not current:
                    continue
                self._seq += 1
                origin = Origin(node, reached)
                if one or key is not NO_KEY:
                    self._queue.append((_ONE, event, args, to, self._seq, origin, key))
                else:
                    self._queue.append((_DELIVER, event, args, to, self._seq, origin))
            elif kind == _wire.EXIT and current:
                _, reason, payload = message
                self._placed_ended(node, Reason(reason), _wire.restore(payload))
                current = False

    def _take_reports(self, batch: list[tuple[Any, ...]]) -> None:
        """The reports in a batch that came after the tree stopped: passed on."""
        for message in batch:
            if message[0] == _wire.REPORT:
                report, incarnation = _wire.load_report(message)
                self._report(report, incarnation)

    def _lost(self, node: _PlacedNode, seq: int, why: str) -> None:
        """The far end of incarnation ``seq`` of ``node`` went away unasked."""
        if node.seq == seq and node.state is _RUNNING:
            self._placed_ended(node, _CRASH, PlacementLost(f"{node.path!r}: {why}"))

    def _placed_ended(self, node: _PlacedNode, reason: Reason, exc: BaseException | None) -> None:
        """A placed subtree ended on its own: as `_sup_exit`, once its end is known here."""
        if self._placed.pop(node, False) is None:
            self._update_extras()
            self._placer().unplace(node)
        node.state = _STOPPED
        node.exit_pending = True
        self._report(Stopped(node.path, reason, exc), node.incarnation)
        self._queue.append((_EXIT, node, node.seq, reason))


def _under(children: Iterable[ChildSpec], path: str) -> Iterator[tuple[ChildSpec, str]]:
    """Every spec among ``children`` (of the supervisor at ``path``) and
    below, with its path, walked with a stack (specs may be deep)."""
    stack: list[tuple[Iterable[ChildSpec], str]] = [(children, path)]
    while stack:
        specs, where = stack.pop()
        for child in specs:
            here = f"{where}/{child.id}"
            yield child, here
            if type(child) is Supervisor:
                stack.append((child.children, here))


def _placed_under(children: Iterable[ChildSpec], path: str) -> Iterator[tuple[Supervisor, str]]:
    """The placed subtrees among ``children`` and below, with their paths."""
    for child, here in _under(children, path):
        if type(child) is Supervisor and child.placement is not None:
            yield child, here


def check_placements(children: Iterable[ChildSpec], driver: object, path: str) -> None:
    """Refuse a placed subtree among ``children`` (of the supervisor at
    ``path``, and below) without a driver that can place it, or whose code
    the far end could not import."""
    for child, here in _placed_under(children, path):
        if driver is None or not callable(getattr(driver, "place", None)):
            raise InvalidSpec(
                f"{here!r} has placement={child.placement!r}, which needs the async "
                f"driver: start the tree with gensup.aio.start (the plain core runs "
                f"everything in this thread)"
            )
        check_portable(child, here)


def refuse_recording(children: Iterable[ChildSpec], path: str, where: str) -> None:
    """A recorded tree cannot hold a placed subtree: what happens in another
    process is not an input the record could replay."""
    for _child, placed in _placed_under(children, path):
        raise InvalidSpec(
            f"{where}: {placed!r} is a placed subtree, and a tree started with record= "
            f"cannot hold one: what happens in another process is not part of the record "
            f"(record the placed subtree's own inputs in a test of its own)"
        )


def check_portable(spec: Supervisor, path: str) -> None:
    """Refuse a spec that another process could not rebuild: its workers'
    functions (and their args) must pickle, by name."""
    import pickle

    for child, child_path in _under(spec.children, path):
        if type(child) is not Worker:
            continue
        func = child.func
        name = getattr(func, "__qualname__", "")
        if "<lambda>" in name or "<locals>" in name:
            raise InvalidSpec(
                f"{child_path!r} is in the placed subtree {path!r}, and its function "
                f"{name} cannot be imported by name in another process (a lambda or a "
                f"function defined inside another): define it at the top level of a module"
            )
        try:
            pickle.dumps((func, child.args, child.kwargs))
        except Exception as exc:
            raise InvalidSpec(
                f"{child_path!r} is in the placed subtree {path!r}, and its function or "
                f"args cannot be sent to another process: {type(exc).__name__}: {exc}"
            ) from exc
