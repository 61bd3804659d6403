"""Clocks: where the tree takes its time from.

The core never reads the time itself; it asks the clock it was given.  Tests
and simulations use `VirtualClock` and never sleep.
"""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable

import attrs

__all__ = ["Clock", "MonotonicClock", "VirtualClock"]


@runtime_checkable
class Clock(Protocol):
    """Anything with a ``now()`` method returning monotonic seconds.

    Example:
        >>> isinstance(VirtualClock(), Clock)
        True
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


@attrs.define
class VirtualClock:
    """A clock that moves only when told to: for tests and simulations.

    Example:
        >>> clock = VirtualClock()
        >>> clock.advance(2.5)
        >>> clock.now()
        2.5

    Args:
        start: The initial reading, in seconds.
    """

    # Invariant: never decreases.
    _now: float = attrs.field(default=0.0, alias="start")

    def now(self) -> float:
        """Return the current virtual time."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``.

        Raises:
            ValueError: ``seconds`` is negative (a monotonic clock never goes back).
        """
        if seconds < 0:
            raise ValueError(f"VirtualClock.advance: 'seconds' must be >= 0 (got {seconds!r})")
        self._now += seconds
