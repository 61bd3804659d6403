"""The async driver's side of placed subtrees: links, batches, counts, ends.

A mixin of `AioDriver`.  Each running incarnation of a placed subtree has a
`_Remote`: its `Link` (from the spec's placement), the messages waiting to be
sent to it (sent in one batch per turn of the loop, or of `_wire.BATCH`
messages in a long turn), and the counts that
awaited deliveries wait for.  What comes back is handed to the timer task,
which makes the tree's calls (`Tree._placed_input`, `Tree._placed_lost`).

When a placed supervisor stops here, its subtree is sent a stop, given
`STOP_GRACE` seconds to end there, then its link is closed (a process is
killed) and reaped in a thread.  Leaving ``gensup.aio.start``'s block waits
for every subtree to be gone.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, Final

import anyio
import anyio.abc
import anyio.to_thread

from . import _wire
from ._nodes import _PlacedNode
from ._placement import Link, Placement

if TYPE_CHECKING:
    from ._tree import Tree

__all__ = ["AioPlacing"]

#: Seconds a placed subtree has to end after it was sent a stop.
STOP_GRACE: Final = 5.0
#: Seconds to wait for a closed link's process or actor to be gone.
REAP_TIMEOUT: Final = 10.0


class _Count:
    """An awaited delivery's counts from the placed subtrees it went to."""

    __slots__ = ("done", "left", "total")

    def __init__(self) -> None:
        self.total = 0
        self.left = 0
        self.done = anyio.Event()

    def add(self, reached: int) -> None:
        self.total += reached
        self.left -= 1
        if self.left == 0:
            self.done.set()


class _Remote:
    """One incarnation of a placed subtree, as the driver holds it."""

    def __init__(self, node: _PlacedNode) -> None:
        self.node = node
        self.seq = node.seq
        self.link: Link | None = None
        # Messages for it not sent yet, in order.
        self.outbox: list[Any] = []
        # The awaited deliveries it owes a count, in the order they were sent.
        self.owed: list[_Count] = []
        # Set (from any thread) once its far end has ended, or is lost.
        self.ended = threading.Event()
        # Set once its link is closed and reaped.
        self.gone = anyio.Event()

    def settle_owed(self) -> None:
        """It will answer no more: the counts it owes are 0."""
        for count in self.owed:
            count.add(0)
        self.owed.clear()


class AioPlacing:
    """Placed subtrees, for `AioDriver`."""

    if TYPE_CHECKING:
        group: anyio.abc.TaskGroup
        tree: Tree | None
        lock: threading.Lock
        enter_loop: Callable[[Callable[[], object]], object]
        wake: anyio.Event

        def mutate(self, method: Callable[..., object], *args: object) -> bool: ...

    def _init_placing(self) -> None:
        # Invariant: the running incarnation of every placed node.
        self.remotes: dict[_PlacedNode, _Remote] = {}
        # Invariant: every incarnation not yet closed and reaped.
        self.open_remotes: set[_Remote] = set()
        # Remotes with messages in their outbox; a flush is scheduled.
        self.unsent: dict[_Remote, None] = {}
        # What far ends sent or how they ended, for the timer task; guarded by `lock`.
        self.arrived: list[tuple[_Remote, list[tuple[Any, ...]] | str]] = []
        # Invariant: the awaited deliveries whose signal is being made, by id.
        self.counts: dict[int, _Count] = {}
        self.count_seq = 0

    # ---- What the tree calls (see _placing.PlacingDriver) ----

    def place(self, node: _PlacedNode, boot: bytes) -> None:
        remote = _Remote(node)
        placement: Placement = node.spec.placement  # type: ignore[union-attr, assignment]
        self.remotes[node] = remote
        self.open_remotes.add(remote)
        remote.link = placement.open(
            boot,
            lambda batch: self._arrive(remote, batch),
            lambda why: self._arrive(remote, why),
        )

    def unplace(self, node: _PlacedNode) -> None:
        remote = self.remotes.pop(node, None)
        if remote is None:
            return
        remote.outbox.append((_wire.STOP,))
        self._send(remote)
        remote.settle_owed()
        self.group.start_soon(self._close, remote, name=f"gensup close {node.path}")

    def forward(self, node: _PlacedNode, message: tuple[Any, ...], count: int) -> None:
        remote = self.remotes[node]
        outbox = remote.outbox
        outbox.append(message)
        if count:
            owed = self.counts[count]
            owed.left += 1
            remote.owed.append(owed)
        if len(outbox) >= _wire.BATCH:
            self._send(remote)  # a long turn: the subtree starts on these now
            return
        if not self.unsent:
            self.enter_loop(self._flush)
        self.unsent[remote] = None

    # ---- Sending: one batch per remote per turn of the loop ----

    def _flush(self) -> None:
        unsent, self.unsent = self.unsent, {}
        for remote in unsent:
            self._send(remote)

    def _send(self, remote: _Remote) -> None:
        batch, remote.outbox = remote.outbox, []
        if batch and remote.link is not None and not remote.ended.is_set():
            remote.link.send(batch)

    # ---- Receiving: from the links' threads, to the timer task ----

    def _arrive(self, remote: _Remote, batch: list[Any] | str) -> None:
        """From a link's thread: a batch, or why the far end went away."""
        if isinstance(batch, str) or (batch and batch[-1][0] == _wire.EXIT):
            remote.ended.set()
        with self.lock:
            self.arrived.append((remote, batch))
            first = len(self.arrived) == 1
        if first:
            # If the loop is gone, close_remotes takes what is left.
            with contextlib.suppress(RuntimeError):
                self.enter_loop(self._woken_by_link)

    def _woken_by_link(self) -> None:
        self.wake.set()  # the timer task's current event, read in the loop's thread

    def take_arrived(self) -> None:
        """In the timer task: hand what far ends sent to the tree."""
        with self.lock:
            arrived, self.arrived = self.arrived, []
        tree = self.tree
        assert tree is not None
        for remote, batch in arrived:
            if isinstance(batch, str):
                # The tree's `_lost` unplaces it, which closes its link.
                remote.settle_owed()
                if tree.alive:
                    self.mutate(tree._placed_lost, remote.node, remote.seq, batch)
                continue
            kept = []
            for message in batch:
                if message[0] == _wire.COUNT:
                    if remote.owed:
                        remote.owed.pop(0).add(message[2])
                else:
                    kept.append(message)
            if kept:
                if tree.alive:
                    self.mutate(tree._placed_input, remote.node, remote.seq, kept)
                else:
                    tree._take_reports(kept)

    # ---- Ending ----

    async def _close(self, remote: _Remote) -> None:
        """Give the far end its grace to end, then close and reap its link."""
        with anyio.CancelScope(shield=True):
            with anyio.move_on_after(STOP_GRACE):
                while not remote.ended.is_set():
                    await anyio.sleep(0.005)
            link = remote.link
            if link is not None:
                link.close()
                await anyio.to_thread.run_sync(link.wait_closed, REAP_TIMEOUT)
            self.open_remotes.discard(remote)
            remote.gone.set()

    async def close_remotes(self) -> None:
        """Leaving the block: wait until every placed subtree is gone."""
        while self.open_remotes:
            remote = next(iter(self.open_remotes))
            if self.remotes.get(remote.node) is remote:  # never unplaced: the tree could not stop
                del self.remotes[remote.node]
                await self._close(remote)
            else:
                await remote.gone.wait()
        if self.arrived and self.tree is not None:
            # Their last reports (the ends of their workers).
            with self.lock:
                arrived, self.arrived = self.arrived, []
            for _remote, batch in arrived:
                if not isinstance(batch, str):
                    self.tree._take_reports(batch)

    async def deliver(
        self, tree: Tree, event: Hashable, args: tuple[Any, ...], to: str | None
    ) -> int:
        """`AsyncTree.deliver`: signal, then wait for the placed subtrees' counts."""
        if not self.remotes:
            return tree.signal(event, *args, to=to)
        self.count_seq += 1
        ident = self.count_seq
        count = self.counts[ident] = _Count()
        tree._counting = ident
        try:
            reached = tree.signal(event, *args, to=to)
        finally:
            tree._counting = 0
            del self.counts[ident]
        if count.left:
            await count.done.wait()
        return reached + count.total
