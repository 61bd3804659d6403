"""Clocks: where the tree takes its time from.

The core never reads the time itself; it asks the clock it was given.  Tests
and simulations use `VirtualClock` and never sleep: advancing it fires the
timers of the trees started on it.
"""

from __future__ import annotations

import math
import time
import weakref
from typing import Protocol, runtime_checkable

import attrs

__all__ = ["Clock", "MonotonicClock", "VirtualClock"]


@runtime_checkable
class Clock(Protocol):
    """Anything with a ``now()`` method returning monotonic seconds.

    Example:
        >>> isinstance(VirtualClock(), Clock)
        True

    `gensup.start` reads a clock once and refuses it unless it gets a real
    number.  A clock that raises later, while the tree uses it, stops the
    tree: see `gensup.Tree`.
    """

    def now(self) -> float:
        """Return the current time in seconds; it never goes backwards."""
        ...


@attrs.define
class MonotonicClock:
    """The default clock: ``time.monotonic``.

    Example:
        >>> clock = MonotonicClock()
        >>> clock.now() <= clock.now()
        True
    """

    def now(self) -> float:
        """Return ``time.monotonic()``."""
        return time.monotonic()


class _Timed(Protocol):
    """What `VirtualClock` needs of a tree started on it."""

    @property
    def alive(self) -> bool: ...

    def next_deadline(self) -> float | None: ...

    def fire_due(self) -> int: ...


@attrs.define
class VirtualClock:
    """A clock that moves only when told to: for tests and simulations.

    Example:
        >>> clock = VirtualClock()
        >>> clock.advance(2.5)
        >>> clock.now()
        2.5

    Trees started on it (``gensup.start(spec, clock=clock)``) have their
    timers fired by `advance`, so a test of timeouts, sleeps and backoff runs
    in no time and the same way every time.

    Args:
        start: The initial reading, in seconds.
    """

    # Invariant: never decreases.
    _now: float = attrs.field(default=0.0, alias="start")
    # Invariant: the trees started on this clock that may still have timers.
    _trees: list[weakref.ref[_Timed]] = attrs.field(init=False, factory=list, repr=False)

    def now(self) -> float:
        """Return the current virtual time."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``, firing timers on the way.

        Example:
            >>> import gensup
            >>> from gensup import Supervisor, Worker, sleep
            >>> def ticker():
            ...     while True:
            ...         yield sleep(1)
            ...         print("tick at", clock.now())
            >>> clock = VirtualClock()
            >>> with gensup.start(Supervisor("root", [Worker("t", ticker)]), clock=clock):
            ...     clock.advance(2.5)
            tick at 1.0
            tick at 2.0

        The clock stops at each deadline that falls within the step, in
        order (across all the trees started on it, ties in the order the trees
        were started), and the trees' `fire_due` fires what is due there,
        each timer run to completion; then the clock reaches its target.  If
        a timer's firing raises (`SupervisorGaveUp`), the clock stays at that
        timer's deadline and the exception propagates.

        Raises:
            ValueError: ``seconds`` is negative, NaN or infinite (a monotonic
                clock never goes back, and never gets to infinity).
            TypeError: ``seconds`` is not a number.
        """
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise TypeError(f"VirtualClock.advance: 'seconds' must be a number (got {seconds!r})")
        if not 0 <= seconds < math.inf:
            raise ValueError(
                f"VirtualClock.advance: 'seconds' must be >= 0 and finite (got {seconds!r})"
            )
        target = self._now + seconds
        while True:
            tree, deadline = self._next(target)
            if tree is None:
                break
            if deadline > self._now:
                self._now = deadline
            tree.fire_due()
        self._now = target

    def _next(self, target: float) -> tuple[_Timed | None, float]:
        """The tree with the earliest timer due by ``target``, and its deadline."""
        best: _Timed | None = None
        best_deadline = target
        live = []
        for ref in self._trees:
            tree = ref()
            if tree is None or not tree.alive:
                continue
            live.append(ref)
            deadline = tree.next_deadline()
            if (
                deadline is not None
                and deadline <= best_deadline
                and (best is None or deadline < best_deadline)
            ):
                best, best_deadline = tree, deadline
        self._trees[:] = live
        return best, best_deadline

    def _attach(self, tree: _Timed) -> None:
        """Fire ``tree``'s timers as this clock advances (called by gensup.start)."""
        self._trees.append(weakref.ref(tree))
