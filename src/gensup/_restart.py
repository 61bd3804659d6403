"""Restart decisions: small pure functions, as in OTP's ``supervisor.erl``.

The running tree asks these what to do and then does it; nothing here touches
a generator or a report.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Iterable
from typing import TypeVar

from ._spec import AutoShutdown, Restart, Strategy
from .reports import Reason

__all__ = ["Action", "IntensityWindow", "after_exit", "auto_shutdown_due", "restart_group"]

T = TypeVar("T")


class Action(enum.Enum):
    """What a supervisor does with a child that ended on its own."""

    RESTART = "restart"
    KEEP = "keep"  # keep the spec, nothing running
    REMOVE = "remove"  # forget the child (temporary)


def after_exit(restart: Restart, reason: Reason) -> Action:
    """OTP's ``do_restart/3``: permanent always restarts; transient only after
    a crash; temporary never, and is removed."""
    if restart is Restart.PERMANENT:
        return Action.RESTART
    if reason is Reason.NORMAL or reason is Reason.SHUTDOWN:
        return Action.REMOVE if restart is Restart.TEMPORARY else Action.KEEP
    return Action.RESTART if restart is Restart.TRANSIENT else Action.REMOVE


def restart_group(strategy: Strategy, children: Iterable[T], failed: T) -> list[T]:
    """The children to stop and start again, in child order, when ``failed`` ended.

    One_for_one does not look at the other children, so a restart under a
    supervisor with many of them costs no more than one under a lone child.
    """
    if strategy is Strategy.ONE_FOR_ONE:
        return [failed]
    group = list(children)
    if strategy is Strategy.ONE_FOR_ALL:
        return group
    return group[group.index(failed) :]


def auto_shutdown_due(policy: AutoShutdown, significant_running: bool) -> bool:
    """OTP's ``do_auto_shutdown``, asked after a significant child ended on its
    own and was not restarted; ``significant_running`` tells whether another
    significant child still runs."""
    if policy is AutoShutdown.NEVER:
        return False
    if policy is AutoShutdown.ANY_SIGNIFICANT:
        return True
    return not significant_running


class IntensityWindow:
    """The restarts of one supervisor within its period (OTP's ``add_restart``).

    A past restart counts while ``now - t <= period``; the restart that makes
    the count exceed ``intensity`` is refused.  Old entries are dropped from
    the left as time passes, so each restart costs O(1) amortized however many
    are in the window (OTP filters a list on every restart).

    Example:
        >>> window = IntensityWindow(intensity=1, period=5)
        >>> window.add(0.0), window.add(1.0), window.add(7.0)
        (True, False, True)
    """

    __slots__ = ("_intensity", "_period", "_times")

    def __init__(self, intensity: int, period: float) -> None:
        self._intensity = intensity
        self._period = period
        # Invariant: non-decreasing times, none older than `period` before the last add.
        self._times: deque[float] = deque()

    def add(self, now: float) -> bool:
        """Record a restart at ``now``; return ``False`` when it exceeds the intensity."""
        times = self._times
        period = self._period
        while times and now - times[0] > period:
            times.popleft()
        times.append(now)
        return len(times) <= self._intensity

    def count(self, now: float) -> int:
        """How many restarts the window counts at ``now`` (read-only)."""
        period = self._period
        return sum(1 for t in self._times if now - t <= period)

    def __len__(self) -> int:
        return len(self._times)
