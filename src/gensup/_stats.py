"""Statistics and dead letters: what a running tree counts about itself.

`Stats` is the engine's side: it is told about restarts, crashes and dropped
events, all off the delivery hot path (a restart, a crash, a drop), and keeps
the dead letters in a bounded store.  The frozen records here are what
`Tree.statistics` and `Tree.dead_letters` return.

Nothing is counted per delivered worker: the tree counts what its deliveries
reached, one addition per delivery (see ``docs/explanation/performance.md``).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Hashable
from typing import Any, Final

import attrs

from ._records import ChildKind, ChildState

__all__ = ["ChildStats", "Crash", "DeadLetter", "DropLog", "Stats", "TreeStatistics"]

#: How many dead letters a tree keeps by default (`gensup.start`'s ``dead_letters``).
DEAD_LETTERS: Final = 1000

#: How many dropped events are logged per second of the tree's clock; past it,
#: one summary line says how many more were dropped.
DROP_LOG_RATE: Final = 10


@attrs.frozen(kw_only=True)
class Crash:
    """A child's latest crash, as `ChildStats.last_crash` holds it.

    Example:
        >>> Crash(type="KeyError", message="'x'", at=2.5)
        Crash(type='KeyError', message="'x'", at=2.5)
    """

    #: The exception's type name.
    type: str
    #: ``str()`` of the exception.
    message: str
    #: The tree's clock when it crashed (NaN if reading the clock raised).
    at: float


@attrs.frozen(kw_only=True)
class ChildStats:
    """What the tree counted about one child (a worker or a supervisor).

    Example:
        >>> stats = ChildStats(path="root/a", kind=ChildKind.WORKER,
        ...     state=ChildState.RUNNING, incarnation=1, restarts=0,
        ...     recent_restarts=0, window=None, last_crash=None, dropped=0)
        >>> stats.incarnation
        1
    """

    #: The child's path.
    path: str
    kind: ChildKind
    state: ChildState
    #: Start attempts since its supervisor (its current incarnation) started.
    incarnation: int
    #: How many times its supervisor restarted it after it ended, since the
    #: tree started (a failed restart tried again counts again).
    restarts: int
    #: Of `restarts`, those within its supervisor's intensity period up to
    #: now (the root: 0, it is never restarted).
    recent_restarts: int
    #: A supervisor's intensity window: the restarts of its children it
    #: counts now against its intensity; None for a worker or a stopped
    #: supervisor.
    window: int | None
    #: Its latest crash since the tree started, or None.
    last_crash: Crash | None
    #: Events dropped whose target was this child's path or a path under it
    #: (for the root: every dropped event, those sent to the whole tree too).
    dropped: int


@attrs.frozen(kw_only=True)
class TreeStatistics:
    """A snapshot of a tree's counters, as `Tree.statistics` returns it.

    Example:
        >>> import gensup
        >>> from gensup import Supervisor, Worker, waitfor
        >>> def idle():
        ...     while True:
        ...         yield waitfor("GO")
        >>> with gensup.start(Supervisor("root", [Worker("a", idle)])) as tree:
        ...     tree.signal("GO"), tree.signal("NOPE")
        ...     stats = tree.statistics()
        (1, 0)
        >>> stats.delivered, stats.dropped, stats["root/a"].incarnation
        (1, 1, 1)
    """

    #: The tree's clock when the snapshot was taken.
    at: float
    #: Workers reached by deliveries, summed over every delivery (a signal
    #: that reaches three workers counts three), since the tree started.
    delivered: int
    #: Events that reached no worker, since the tree started (`Tree.dropped`).
    dropped: int
    #: Dead letters let go from the full store, oldest first.
    dead_letters_lost: int
    #: Every child of the running tree, the root first, in tree order.
    children: tuple[ChildStats, ...]

    def __getitem__(self, path: str) -> ChildStats:
        """The statistics of the child at ``path``.

        Raises:
            KeyError: no child at ``path`` in the snapshot.
        """
        for child in self.children:
            if child.path == path:
                return child
        raise KeyError(path)


@attrs.frozen(kw_only=True)
class DeadLetter:
    """An event that reached nobody, as `Tree.dead_letters` returns it.

    Example:
        >>> DeadLetter(event="GO", args=(1,), to=None, at=0.0).to is None
        True
    """

    #: The event.
    event: Hashable
    #: The arguments it came with.
    args: tuple[Any, ...]
    #: The path it was sent to, or None for the whole tree.
    to: str | None
    #: The tree's clock when it was dropped.
    at: float


class DropLog:
    """Rate limiting of dropped-event log records: at most `DROP_LOG_RATE`
    records per second of the tree's clock, then a count of the rest."""

    __slots__ = ("_count", "_second", "suppressed")

    def __init__(self) -> None:
        # Invariant: the whole second of the clock the latest drop fell in (a
        # NaN reading, from a clock that raised, never equals it: logged).
        self._second: float | None = None
        # Invariant: records logged in `_second`.
        self._count = 0
        # Invariant: drops not logged since the latest summary.
        self.suppressed = 0

    def allow(self, now: float) -> tuple[bool, int]:
        """Whether to log a drop at ``now``, and how many unlogged drops to
        summarize first (0 for none)."""
        second = now // 1
        summary = 0
        if second != self._second:
            self._second = second
            self._count = 0
            summary, self.suppressed = self.suppressed, 0
        if self._count < DROP_LOG_RATE:
            self._count += 1
            return True, summary
        self.suppressed += 1
        return False, summary

    def flush(self) -> int:
        """How many drops are still unsummarized; resets the count."""
        summary, self.suppressed = self.suppressed, 0
        return summary


class Stats:
    """The tree's counters, kept by the engine on its slow paths."""

    __slots__ = (
        "crashes",
        "drop_log",
        "dropped_to",
        "letters",
        "lost",
        "restart_total",
        "restarts",
    )

    def __init__(self, dead_letters: int) -> None:
        # Invariant: path -> its restarts since the tree started.
        self.restart_total: Counter[str] = Counter()
        # Invariant: path -> the clock readings of its restarts, newest last,
        # none older than its supervisor's period before the latest.
        self.restarts: dict[str, deque[float]] = {}
        # Invariant: path -> its latest crash.
        self.crashes: dict[str, Crash] = {}
        # Invariant: target path (None: the whole tree) -> events dropped there.
        self.dropped_to: Counter[str | None] = Counter()
        # Invariant: the newest dropped events, at most `dead_letters` of them.
        self.letters: deque[DeadLetter] = deque(maxlen=dead_letters)
        # Invariant: dead letters let go from the full store.
        self.lost = 0
        self.drop_log = DropLog()

    def restarted(self, path: str, now: float, period: float) -> None:
        """The child at ``path`` is restarted at ``now``; its supervisor's period is ``period``."""
        self.restart_total[path] += 1
        times = self.restarts.get(path)
        if times is None:
            times = self.restarts[path] = deque()
        while times and now - times[0] > period:
            times.popleft()
        times.append(now)

    def recent(self, path: str, now: float, period: float) -> int:
        """Restarts of ``path`` within ``period`` before ``now``, as the intensity window counts."""
        return sum(1 for t in self.restarts.get(path, ()) if now - t <= period)

    def crashed(self, path: str, exc: BaseException, now: float) -> None:
        self.crashes[path] = Crash(type=type(exc).__name__, message=str(exc), at=now)

    def dropped(self, event: Hashable, args: tuple[Any, ...], to: str | None, now: float) -> None:
        letters = self.letters
        if len(letters) == letters.maxlen:
            self.lost += 1
        if letters.maxlen:
            letters.append(DeadLetter(event=event, args=args, to=to, at=now))
        self.dropped_to[to] += 1

    def dropped_under(self, path: str, root: bool) -> int:
        """Events dropped whose target was ``path`` or under it."""
        if root:
            return sum(self.dropped_to.values())
        prefix = path + "/"
        return sum(
            n
            for to, n in self.dropped_to.items()
            if to is not None and (to == path or to.startswith(prefix))
        )

    def take(self, letters: list[DeadLetter]) -> None:
        """Remove ``letters`` from the store (they are being redelivered)."""
        chosen = {id(letter) for letter in letters}
        kept = [letter for letter in self.letters if id(letter) not in chosen]
        self.letters.clear()
        self.letters.extend(kept)
