"""Helpers for testing your own workers and trees.

Example:
    >>> import gensup
    >>> from gensup import Supervisor, Worker, waitfor
    >>> from gensup.testing import Recorder, VirtualClock, crash
    >>> def idle():
    ...     yield waitfor("POKE")
    >>> clock, recorder = VirtualClock(), Recorder()
    >>> spec = Supervisor("root", [Worker("w", idle)], intensity=5)
    >>> with gensup.start(spec, clock=clock, observer=recorder) as tree:
    ...     crash(tree, "root/w", RuntimeError("boom"))
    >>> recorder.starts("root/w")
    2

The helpers drive a tree as its workers' own code and the outside world
would: `crash` and `finish` end a worker, `crash_at` makes it raise at a
later yield, `complete` and `fail` settle its pending `gensup.call`, and
``clock.advance(seconds)`` moves a `VirtualClock` (firing the timers that
fall due).  `replay` runs a tree again from a record made with
``gensup.start(spec, record=path)``.  `Recorder` keeps the reports.
`check_supervision` runs random schedules of these against a spec and checks
OTP's supervision invariants; it needs hypothesis (the ``testing`` extra),
as `gensup.testing.strategies` does, but ``import gensup.testing`` does not.
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from .._clock import VirtualClock
from ..reports import Dropped, GaveUp, Reason, Report, Started, Stopped
from ._check import check_supervision
from ._drive import Advance, Crash, Finish, Signal, Step, complete, crash, crash_at, fail, finish
from ._replay import replay

__all__ = [
    "Advance",
    "Crash",
    "Finish",
    "Recorder",
    "Signal",
    "Step",
    "VirtualClock",
    "check_supervision",
    "complete",
    "crash",
    "crash_at",
    "fail",
    "finish",
    "replay",
]


@attrs.define
class Recorder:
    """An observer that keeps every report, with questions to ask of them.

    Pass it as ``observer=`` to `gensup.start`.

    Attributes:
        reports: Every report received, in order.
    """

    reports: list[Report] = attrs.field(factory=list, init=False)

    def __call__(self, report: Report) -> None:
        """Keep ``report``."""
        self.reports.append(report)

    def __iter__(self) -> Iterator[Report]:
        return iter(self.reports)

    def __len__(self) -> int:
        return len(self.reports)

    def clear(self) -> None:
        """Forget the reports received so far."""
        self.reports.clear()

    def starts(self, path: str) -> int:
        """How many start attempts ``path`` had."""
        return sum(1 for r in self.reports if type(r) is Started and r.path == path)

    def stops(self, path: str, reason: Reason | str | None = None) -> int:
        """How many times ``path`` ended (with ``reason``, if given)."""
        want = None if reason is None else Reason(reason)
        return sum(
            1
            for r in self.reports
            if type(r) is Stopped and r.path == path and (want is None or r.reason is want)
        )

    def gave_up(self) -> list[str]:
        """The paths of the supervisors that gave up, in order."""
        return [r.path for r in self.reports if type(r) is GaveUp]

    def dropped(self) -> list[Dropped]:
        """The dropped-event reports, in order."""
        return [r for r in self.reports if type(r) is Dropped]

    def lines(self) -> list[str]:
        """Every report as a short line, for readable assertions.

        ``"start root/w"``, ``"stop root/w crash"``, ``"gaveup root"``,
        ``"dropped 'PING'"``.
        """
        out = []
        for r in self.reports:
            if type(r) is Started:
                out.append(f"start {r.path}")
            elif type(r) is Stopped:
                out.append(f"stop {r.path} {r.reason.value}")
            elif type(r) is GaveUp:
                out.append(f"gaveup {r.path}")
            elif type(r) is Dropped:
                out.append(f"dropped {r.event!r}")
        return out
