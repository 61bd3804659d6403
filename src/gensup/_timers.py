"""The deadline schedule: every timer of a running tree, in one heap.

A timer is a small list ``[deadline, seq, kind, a, b]``: heapq orders the
lists by deadline, then by the order they were set (``seq`` is unique, so the
comparison never reaches the payload).  What ``kind``, ``a`` and ``b`` mean is
the engine's business (``_core``): this module only keeps them in order.  A
timer's ``seq`` is 0 once it is out of the heap (fired, popped, or made to
go through the engine's queue instead).

Cancelling a timer marks it (its kind becomes ``None``) instead of searching
the heap for it; marked timers are skipped when they reach the top, and the
heap is rebuilt without them once they are more than half of it, so a worker
that waits with a timeout and is woken by an event every time does not make
the heap grow.
"""

from __future__ import annotations

import heapq
from typing import Any, Final, TypeAlias

__all__ = ["Schedule", "Timer"]

#: ``[deadline, seq, kind, a, b]``; kind ``None`` when cancelled.
Timer: TypeAlias = list[Any]

_SEQ: Final = 1
_KIND: Final = 2
# Below this many cancelled timers the heap is never rebuilt: a rebuild costs
# more than skipping a few.
_MIN_GARBAGE: Final = 64


class Schedule:
    """The timers of one tree, by deadline, ties in the order they were set.

    Example:
        >>> schedule = Schedule()
        >>> a = schedule.add(5.0, "a", None, None)
        >>> b = schedule.add(1.0, "b", None, None)
        >>> schedule.cancel(b)
        >>> schedule.first()[2], schedule.take_due(4.0), [t[2] for t in schedule.take_due(5.0)]
        ('a', [], ['a'])
    """

    __slots__ = ("_cancelled", "_heap", "_seq")

    def __init__(self) -> None:
        # Invariant: a heap of timers; cancelled ones are marked, counted in `_cancelled`.
        self._heap: list[Timer] = []
        # Invariant: how many timers in `_heap` are marked cancelled.
        self._cancelled = 0
        # Invariant: greater than the seq of every timer ever added.
        self._seq = 0

    def add(self, deadline: float, kind: object, a: object, b: object) -> Timer:
        """Add a timer; return it (to cancel it, or to tell it is the first)."""
        self._seq += 1
        timer = [deadline, self._seq, kind, a, b]
        heapq.heappush(self._heap, timer)
        return timer

    @staticmethod
    def make(deadline: float, kind: object, a: object, b: object) -> Timer:
        """A timer that is not in the heap (one that fires through the queue)."""
        return [deadline, 0, kind, a, b]

    def is_first(self, timer: Timer) -> bool:
        """Whether ``timer`` is now the earliest timer."""
        return self._heap[0] is timer

    def cancel(self, timer: Timer) -> None:
        """Mark ``timer`` cancelled; it will never be returned."""
        if timer[_KIND] is not None:
            timer[_KIND] = None
            if not timer[_SEQ]:
                return  # not in the heap: nothing to count
            self._cancelled += 1
            heap = self._heap
            if self._cancelled > _MIN_GARBAGE and self._cancelled * 2 > len(heap):
                heap[:] = [t for t in heap if t[_KIND] is not None]
                heapq.heapify(heap)
                self._cancelled = 0

    def first(self) -> Timer | None:
        """The earliest timer that is not cancelled, left in place."""
        heap = self._heap
        while heap and heap[0][_KIND] is None:
            heapq.heappop(heap)
            self._cancelled -= 1
        return heap[0] if heap else None

    def pop(self) -> None:
        """Remove the earliest timer (the one `first` returned)."""
        heapq.heappop(self._heap)[_SEQ] = 0

    def take_due(self, now: float) -> list[Timer]:
        """Remove and return every timer due by ``now``, in order.

        One list for all of them, rather than a call per timer: firing a
        timer is a few dict operations, and a call would be a good part of
        its cost.  Firing one of them may cancel a later one: its kind is
        then ``None`` when its turn comes.
        """
        heap = self._heap
        pop = heapq.heappop
        due = []
        while heap:
            timer = heap[0]
            if timer[0] > now:
                break
            pop(heap)
            if timer[_KIND] is None:
                self._cancelled -= 1
            else:
                timer[_SEQ] = 0
                due.append(timer)
        return due

    def clear(self) -> None:
        """Forget every timer (the tree stopped)."""
        for timer in self._heap:
            timer[_KIND] = None
        self._heap.clear()
        self._cancelled = 0

    def __len__(self) -> int:
        """How many timers are set, cancelled ones not counted."""
        return len(self._heap) - self._cancelled
