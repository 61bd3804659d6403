"""Backlogs: events sent to one worker of a pool, kept until one of them waits.

A supervisor with ``backlog=N`` keeps the events sent to its subtree with
``one=True`` (or ``key=``) that no worker was waiting for, up to ``N`` of
them, in the order they came.  Each held event may be tied to a share: the
position of the child that its key chose.  The engine hands them out as
workers wait (``_core``); this module only keeps them in order and bounded.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterator
from typing import Any

__all__ = ["Backlog", "Held"]

#: One held event: (its args, the child position its key chose or None).
Held = tuple[tuple[Any, ...], int | None]


class Backlog:
    """The held events of one supervisor's incarnation, by event, in arrival order.

    Example:
        >>> backlog = Backlog(2)
        >>> backlog.hold("JOB", (1,), None), backlog.hold("JOB", (2,), None)
        (True, True)
        >>> backlog.hold("JOB", (3,), None), len(backlog)
        (False, 2)
        >>> backlog.take("JOB", 0), list(backlog.held("JOB"))
        (((1,), None), [((2,), None)])
    """

    __slots__ = ("_by_event", "_size", "bound")

    def __init__(self, bound: int) -> None:
        #: How many events it may hold at most.
        self.bound = bound
        # Invariant: event -> its held events, oldest first; no empty deques.
        self._by_event: dict[Hashable, deque[Held]] = {}
        # Invariant: the number of held events, <= bound.
        self._size = 0

    def hold(self, event: Hashable, args: tuple[Any, ...], share: int | None) -> bool:
        """Keep ``(event, *args)``; False, keeping nothing, when the backlog is full."""
        if self._size >= self.bound:
            return False
        queue = self._by_event.get(event)
        if queue is None:
            queue = self._by_event[event] = deque()
        queue.append((args, share))
        self._size += 1
        return True

    def events(self) -> list[Hashable]:
        """The events that have held items, in the order they were first held."""
        return list(self._by_event)

    def held(self, event: Hashable) -> Iterator[Held]:
        """The held items of ``event``, oldest first."""
        return iter(self._by_event.get(event, ()))

    def at(self, event: Hashable, index: int) -> Held | None:
        """The ``index``-th held item of ``event``, or None past the last."""
        queue = self._by_event.get(event)
        if queue is None or index >= len(queue):
            return None
        return queue[index]

    def take(self, event: Hashable, index: int) -> Held:
        """Remove and return the ``index``-th held item of ``event``."""
        queue = self._by_event[event]
        item = queue[index]
        del queue[index]
        if not queue:
            del self._by_event[event]
        self._size -= 1
        return item

    def clear(self) -> list[tuple[Hashable, tuple[Any, ...]]]:
        """Empty it; return what it held, as (event, args), in arrival order per event."""
        out = [(event, args) for event, queue in self._by_event.items() for args, _ in queue]
        self._by_event.clear()
        self._size = 0
        return out

    def __len__(self) -> int:
        return self._size
