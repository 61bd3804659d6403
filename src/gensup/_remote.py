"""The far end of a placed subtree: `serve` runs it, in a process or an actor.

The subtree runs as a tree of its own, under the async driver, in a fresh
event loop: its root is the placed supervisor, and its paths are the ones its
parent's tree knows (``root/shard1/w``), so that reports and routes need no
translation.  What leaves it goes back to the parent as messages (`_wire`):

* every report, but the root's own start and stop, which the parent's tree
  reports for its stand-in;
* every emit that leaves the subtree (to no path, or a path outside it): the
  parent's tree routes it, back into this subtree too if it is a broadcast;
* the counts that an awaited delivery asks for;
* its end, last: ``shutdown`` when its root gave up or shut down, ``crash``
  when it failed to start.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Hashable
from typing import Any, Final

import anyio

from . import _log, _wire
from ._aio_driver import AioDriver, _threadsafe_entry
from ._clock import Clock
from ._commands import NO_KEY
from ._core import Observer
from ._errors import GensupError, StartFailed, SupervisorGaveUp
from ._nodes import _Node
from ._tree import Tree
from .reports import Dropped, GaveUp, Report

__all__ = ["serve"]


def serve(
    boot: bytes,
    recv: Callable[[], list[Any] | None],
    send: Callable[[list[Any]], None],
) -> None:
    """Run the placed subtree that ``boot`` describes until it stops.

    Runs its own event loop (asyncio) in the calling thread.  ``recv`` is
    called from a thread of its own, and returns the parent's next batch, or
    None once the parent is gone (the subtree then stops); ``send`` is called
    from the loop's thread.  Returns once the subtree stopped and its last
    message (its end) was sent.
    """
    try:
        loaded = _wire.load_boot(boot)
    except Exception as exc:
        # Its code cannot be imported here (a module missing on this node,
        # say): a failed start, which its parent sees as a crash.
        where = f"in process {os.getpid()}, loading the subtree"
        send([(_wire.EXIT, "crash", _wire.portable(exc, where))])
        return
    anyio.run(_serve, loaded, recv, send)


class _PlacedTree(Tree):
    """The tree of a placed subtree: its root's path is its parent's path for it."""

    def __init__(
        self,
        boot: _wire.Boot,
        out: _Outbox,
        *,
        clock: Clock,
        observer: Observer | None,
        seed: int | str | bytes | None,
        driver: AioDriver,
        max_deliveries: int,
    ) -> None:
        super().__init__(
            boot.spec,
            clock=clock,
            observer=observer,
            seed=seed,
            driver=driver,
            max_deliveries=max_deliveries,
        )
        self._out = out
        self._root.path = f"{boot.prefix}/{boot.spec.id}"
        # A path of the parent's tree, less this, is a path of this tree.
        self._cut = len(boot.prefix) + 1
        self._where = f"in process {os.getpid()}"
        self._upstream = self._up
        self._update_extras()

    def covers(self, path: str) -> bool:
        """Whether ``path`` (of the parent's tree) is in this subtree."""
        root = self._root.path
        return path == root or path.startswith(root + "/")

    def _find(self, path: str, routing: bool = False) -> tuple[_Node | None, str]:
        if isinstance(path, str) and self.covers(path):
            return super()._find(path[self._cut :], routing)
        # (No f-string: an emit to the parent's tree comes here each time.)
        return None, _OUTSIDE

    def _no_child(self, path: str) -> str:
        if self.covers(path):
            return super()._no_child(path[self._cut :])
        return ""  # its parent's tree routes it

    def _up(
        self,
        event: Hashable,
        args: tuple[Any, ...],
        to: str | None,
        one: bool,
        key: object,
        reached: int,
    ) -> None:
        try:
            message = _wire.dump((_wire.EMIT, event, args, to, one, key, reached))
        except Exception as exc:
            _log.log_placement_error(
                f"an emit of {event!r} cannot leave the placed subtree {self._root.path!r}: "
                f"{exc}; dropped",
                exc,
                to,
                event,
            )
            self._out.add(_wire.report_message(Dropped(event, args, to), None, self._where))
            return
        self._out.add(message)

    def _report(self, report: Report, incarnation: int | None = None, spec: object = None) -> None:
        # Logged and observed by the parent's tree, which has the sinks.
        if type(report) is not GaveUp and getattr(report, "path", None) == self._root.path:
            return  # the parent's tree reports its stand-in's start and stop
        self._out.add(_wire.report_message(report, incarnation, self._where))

    def _observe(self, report: Report) -> None:
        # A drop past the log's rate: the parent's observer still gets it.
        self._out.add(_wire.report_message(report, None, self._where))


_OUTSIDE: Final = "it is not in this placed subtree (its parent's tree routes it)"


class _Outbox:
    """Messages for the parent, sent in one batch per turn of the loop (or
    of `_wire.BATCH` messages, in a long turn)."""

    def __init__(self, send: Callable[[list[Any]], None]) -> None:
        self.send = send
        self.items: list[Any] = []
        self.due = False
        self.enter_loop = _threadsafe_entry()

    def add(self, message: tuple[Any, ...]) -> None:
        items = self.items
        items.append(message)
        if len(items) >= _wire.BATCH:
            self.items = []
            self.send(items)
        elif not self.due:
            self.due = True
            self.enter_loop(self.flush)

    def flush(self) -> None:
        self.due = False
        items, self.items = self.items, []
        if items:
            self.send(items)


async def _serve(
    boot: _wire.Boot,
    recv: Callable[[], list[Any] | None],
    send: Callable[[list[Any]], None],
) -> None:
    from .aio import _Running  # aio imports this module's callers: imported late

    out = _Outbox(send)
    reason = "shutdown"
    error: BaseException | None = None

    def make(spec: object, *, record: object = None, **options: Any) -> Tree:
        tree = _PlacedTree(boot, out, **options)  # a placed subtree records nothing
        tree._start()
        return tree

    try:
        async with _Running(boot.spec, None, boot.seed, boot.max_deliveries, make=make) as atree:
            tree = atree.tree
            assert isinstance(tree, _PlacedTree)
            inbox = _Inbox(tree, out)
            threading.Thread(
                target=inbox.read, args=(recv,), name=f"gensup {tree._root.path} in", daemon=True
            ).start()
            # A give-up: its end says so, and its parent's tree handles it.
            with contextlib.suppress(SupervisorGaveUp):
                await atree.wait_stopped()
    except StartFailed as exc:
        reason, error = "crash", exc
    except SupervisorGaveUp:
        pass  # it gave up as it started
    out.flush()
    send([(_wire.EXIT, reason, _wire.portable(error, f"in process {os.getpid()}"))])


class _Inbox:
    """What the parent sends, read in a thread and handled in the loop, in order."""

    def __init__(self, tree: _PlacedTree, out: _Outbox) -> None:
        self.tree = tree
        self.out = out
        self.enter_loop = _threadsafe_entry()

    def read(self, recv: Callable[[], list[Any] | None]) -> None:
        while True:
            batch = recv()
            try:
                self.enter_loop(lambda batch=batch: self.handle(batch))  # type: ignore[misc]
            except RuntimeError:
                return  # the loop is gone: the subtree has stopped
            if batch is None:
                return

    def handle(self, batch: list[Any] | None) -> None:
        tree = self.tree
        if batch is None:  # the parent is gone
            _quietly(tree.stop)
            return
        root = tree._root.path
        for message in batch:
            if message[0] == _wire.STOP:
                _quietly(tree.stop)
                continue
            _, event, args, to, one, key, count = message
            if to is not None and (to == root or not tree.covers(to)):
                to = None  # to this subtree, or a supervisor above: all of it
            reached = 0
            if to is None and not one and not tree._waiting.get(event):
                # A broadcast that nobody here waits for: its parent's tree
                # reports a drop if it reached nobody there either.
                pass
            elif tree.alive:
                try:
                    if one or key is not NO_KEY:
                        reached = tree.signal(event, *args, to=to, one=one, key=key)
                    elif to is None:
                        reached = tree.signal(event, *args)
                    else:
                        reached = tree.signal(event, *args, to=to)
                except (GensupError, LookupError, TypeError, ValueError):
                    pass  # what a local signal would raise; it reached nobody
                except Exception as exc:
                    _log.log_placement_error(
                        f"a signal to the placed subtree {tree._root.path!r} failed: {exc}",
                        exc,
                        to,
                        event,
                    )
            if count:
                self.out.add((_wire.COUNT, count, reached))


def _quietly(method: Callable[[], object]) -> None:
    try:
        method()
    except Exception as exc:
        _log.log_placement_error(f"stopping a placed subtree failed: {exc}", exc)
