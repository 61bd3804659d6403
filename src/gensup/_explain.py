"""Looking at a running tree: its statistics and who would get an event.

Read-only: these functions read the engine's nodes and counters and build
frozen records (`_stats` for the counters, here for explanations).  The tree's
public calls (`Tree.statistics`, `Tree.explain`) are thin wrappers.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Final

import attrs

from ._nodes import _RESTARTING, _RUNNING, _STOPPED, _T_SLEEP, _kind, _Node, _SupNode, _WorkerNode
from ._stats import ChildStats, TreeStatistics

if TYPE_CHECKING:
    from ._tree import Tree

__all__ = ["Explanation", "WorkerWhy", "explain", "statistics"]


class _Nothing:
    """The default of `Tree.explain`'s event: every worker's wait is asked for."""

    def __repr__(self) -> str:
        return "<every wait>"


#: `Tree.explain` without an event.
NOTHING: Final = _Nothing()


@attrs.frozen(kw_only=True)
class WorkerWhy:
    """One worker in an `Explanation`: whether it would get the event, and why (not).

    Example:
        >>> WorkerWhy(path="root/a", receives=False, why="sleeping until 5.0", waits=())
        WorkerWhy(path='root/a', receives=False, why='sleeping until 5.0', waits=())
    """

    #: The worker's path.
    path: str
    #: Whether the event would reach it now (for `Tree.explain` without an
    #: event: whether it waits for anything).
    receives: bool
    #: Why, in words: "waits for it", "waits for 'X' (not this)", "busy in a
    #: call to fetch", "sleeping until 5.0", "restarting at 3.0 (backoff)",
    #: "restarting (its restart failed; tried again next)", "stopped",
    #: "outside 'root/pool'".
    why: str
    #: The events it waits for now (empty when it does not wait).
    waits: tuple[Hashable, ...]

    def __str__(self) -> str:
        mark = "+" if self.receives else "-"
        return f"{mark} {self.path}: {self.why}"


@attrs.frozen(kw_only=True)
class Explanation:
    """What `Tree.explain` found; ``str()`` of it is a text report.

    Example:
        >>> import gensup
        >>> from gensup import Supervisor, Worker, waitfor
        >>> def idle(event):
        ...     while True:
        ...         yield waitfor(event)
        >>> spec = Supervisor("root", [Worker("a", idle, args=("GO",)),
        ...                            Worker("b", idle, args=("HALT",))])
        >>> with gensup.start(spec) as tree:
        ...     print(tree.explain("GO"))
        'GO' would reach 1 worker:
        + root/a: waits for it
        - root/b: waits for 'HALT' (not this)
        never signalled or emitted, but waited for: 'GO', 'HALT'
    """

    #: The event asked about, or None for `Tree.explain` without one.
    event: Hashable | None
    #: The event asked about is `event` (False: every wait was asked for).
    asked: bool
    #: The subtree asked about, or None for the whole tree.
    to: str | None
    #: The tree's clock when asked.
    at: float
    #: Every worker of the running tree, in tree order.
    workers: tuple[WorkerWhy, ...]
    #: Events that some worker waits for but that were never signalled or
    #: emitted since the tree started (or since it last forgot the events it
    #: saw, past 65,536 distinct ones): a likely stall.
    never_sent: tuple[Hashable, ...]
    #: The placed subtrees (``placement=``) the event would also be sent to,
    #: whose workers are in another process and answer for themselves there
    #: (for `Tree.explain` without an event: every running one).
    elsewhere: tuple[str, ...] = ()

    @property
    def receivers(self) -> tuple[str, ...]:
        """The paths of the workers that would get the event (or that wait)."""
        return tuple(w.path for w in self.workers if w.receives)

    def __str__(self) -> str:
        if self.asked:
            n = len(self.receivers)
            where = "" if self.to is None else f" under {self.to!r}"
            head = f"{self.event!r} would reach {n} worker{'' if n == 1 else 's'}{where}:"
        else:
            head = f"workers at {self.at:g}:"
        lines = [head, *map(str, self.workers)]
        for path in self.elsewhere:
            verb = "also sent to" if self.asked else "and"
            lines.append(f"{verb} the placed subtree {path!r}: its workers are in another process")
        if self.never_sent:
            events = ", ".join(map(repr, self.never_sent))
            lines.append(f"never signalled or emitted, but waited for: {events}")
        return "\n".join(lines)


def _why(tree: Tree, node: _WorkerNode, waits: tuple[Hashable, ...]) -> str:
    """What a worker that would not get the event is doing instead."""
    if node.state is _STOPPED:
        return "stopped"
    if node.state is _RESTARTING:
        timer = node.timer
        if timer is not None and timer[2] is not None:
            return f"restarting at {timer[0]:g} (backoff)"
        return "restarting (its restart failed; tried again next)"
    if waits:
        return "waits for " + ", ".join(map(repr, waits))
    if node.call is not None:
        fn = node.call.fn
        return f"busy in a call to {getattr(fn, '__qualname__', repr(fn))}"
    timer = node.timer
    if timer is not None and timer[2] == _T_SLEEP:
        return f"sleeping until {timer[0]:g}"
    return "running"


def explain(tree: Tree, event: object, to: str | None, target: _Node | None) -> Explanation:
    """`Tree.explain`'s work: ``target`` is the node at ``to`` (None: the root)."""
    asked = event is not NOTHING
    under = None if target is None or target is tree._root else target.path
    workers = []
    waited: dict[Hashable, None] = {}
    for node, _ in tree._walk():
        if type(node) is not _WorkerNode:
            continue
        waits = tree._waits_of(node) if node.state is _RUNNING else ()
        waited.update(dict.fromkeys(waits))
        path = node.path
        if not asked:
            receives = bool(waits)
            why = _why(tree, node, waits)
        elif under is not None and path != under and not path.startswith(under + "/"):
            receives, why = False, f"outside {under!r}"
        elif event in waits:
            receives, why = True, "waits for it"
        else:
            receives = False
            why = _why(tree, node, waits)
            if waits:
                why += " (not this)"
        workers.append(WorkerWhy(path=path, receives=receives, why=why, waits=waits))
    seen = tree._seen
    elsewhere = tuple(
        node.path
        for node in tree._placed
        if not asked or under is None or node.path == under or node.path.startswith(under + "/")
    )
    return Explanation(
        event=event if asked else None,
        asked=asked,
        to=to,
        at=tree._clock.now(),
        workers=tuple(workers),
        never_sent=tuple(e for e in waited if e not in seen),
        elsewhere=elsewhere,
    )


def statistics(tree: Tree) -> TreeStatistics:
    """`Tree.statistics`'s work."""
    stats = tree._stats
    now = tree._clock.now()
    children = []
    for node, _ in tree._walk():
        path = node.path
        parent = node.parent
        period = parent.spec.period if parent is not None else 0.0  # type: ignore[union-attr]
        crash = stats.crashes.get(path)
        window = None
        if isinstance(node, _SupNode) and node.state is _RUNNING and node.window is not None:
            window = node.window.count(now)
        children.append(
            ChildStats(
                path=path,
                kind=_kind(node),
                state=node.state,
                incarnation=node.incarnation,
                restarts=stats.restart_total[path],
                recent_restarts=stats.recent(path, now, period) if parent is not None else 0,
                window=window,
                last_crash=crash,
                dropped=stats.dropped_under(path, parent is None),
            )
        )
    return TreeStatistics(
        at=now,
        delivered=tree._delivered,
        dropped=tree._dropped,
        dead_letters_lost=stats.lost,
        children=tuple(children),
    )
