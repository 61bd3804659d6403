"""The running tree's data: one node per child slot, and the engine's shared constants.

A node is what a supervisor keeps for each of its children: the spec, the
state, the incarnation, and what runs (a worker's generator, a supervisor's
own children).  The engine (``_core``, with ``_timing`` and ``_dispatch``)
changes nodes; the public calls (``_tree``) read them.  Nothing here acts.
"""

from __future__ import annotations

from collections.abc import Generator, Hashable
from typing import TYPE_CHECKING, Any, Final, Literal

import attrs

from ._backlog import Backlog
from ._calls import PendingCall
from ._commands import TIMEOUT
from ._records import ChildKind, ChildState
from ._restart import IntensityWindow
from ._spec import ChildSpec, Worker
from ._timers import Timer
from .reports import Reason

if TYPE_CHECKING:
    from _collections_abc import dict_values  # what dict.values() returns: reversible

_RUNNING: Final = ChildState.RUNNING
_STOPPED: Final = ChildState.STOPPED
_RESTARTING: Final = ChildState.RESTARTING
_NORMAL: Final = Reason.NORMAL
_CRASH: Final = Reason.CRASH
_SHUTDOWN: Final = Reason.SHUTDOWN
_KILLED: Final = Reason.KILLED

# What a start attempt came to.
_STARTED: Final = "started"
_IGNORED: Final = "ignored"  # a worker that returned before its first wait: OTP's `ignore`
_FAILED: Final = "failed"
_Outcome = Literal["started", "ignored", "failed"]

# What a worker's run came to when it stopped running: None (it waits),
# _RETURNED, or the exception it raised.
_RETURNED: Final = object()
# The command that `_advance` starts a worker with: none yet.
_FIRST: Final = object()

# Kinds of queued follow-ups.
_DELIVER: Final = 0  # (_DELIVER, event, args, to, stamp, the worker that emitted it)
_EXIT: Final = 1  # (_EXIT, node, seq, reason)
_RETRY: Final = 2  # (_RETRY, sup, sup_seq, node)
_TIMER: Final = 3  # (_TIMER, timer): a timer due at once (timeout=0, sleep(0), no delay)
# (_ONE, event, args, to, stamp, the worker that emitted it, key): emit(one=/key=)
_ONE: Final = 4

# Kinds of timers, with their payload (a, b).
_T_WAIT: Final = "wait"  # (worker, the events it waits for): a waitfor's timeout
_T_SLEEP: Final = "sleep"  # (worker, None)
_T_CALL: Final = "call"  # (worker, its PendingCall): a call's timeout
# (supervisor, (its seq, the children to start, the child whose delay it is)): backoff
_T_RESTART: Final = "restart"

# What a worker is resumed with when its wait times out or its sleep ends.
_TIMED_OUT: Final = (TIMEOUT,)


# ---- The nodes: one per child slot of a running supervisor ----


@attrs.define(eq=False)
class _Node:
    spec: ChildSpec
    parent: _SupNode | None
    # Invariant: RUNNING iff a live generator (worker) or started supervisor is here.
    state: ChildState = _STOPPED
    # Invariant: start attempts since the parent (its current incarnation) started.
    incarnation: int = 0
    # Invariant: the tree-wide sequence number taken at the latest start attempt.
    seq: int = 0
    # Invariant: true between the child's own end and its parent handling it.
    exit_pending: bool = False
    # Invariant: while RESTARTING by backoff, the timer that will start it; for
    # a running worker, its latest wait, sleep or call timer (possibly stale:
    # see Core._live); else None.
    timer: Timer | None = None
    # Invariant: None unless the spec has a backoff and the child was started.
    backoff: _BackoffState | None = None

    @property
    def path(self) -> str:
        """The parent's path, "/", the spec's id.

        A worker's is built when asked (a report, a message) rather than
        stored: a string per worker would be about a ninth of an idle
        worker's memory.  Supervisors store theirs (`_SupNode.path`).
        """
        return f"{self.parent.path}/{self.spec.id}"  # type: ignore[union-attr]


@attrs.define(eq=False)
class _WorkerNode(_Node):
    # Invariant: not None iff state is RUNNING.
    gen: Generator[Any, Any, Any] | None = None
    # Invariant: the events this worker is registered for in the wait table
    # (empty when it is not waiting).
    waits: tuple[Hashable, ...] = ()
    # Invariant: len(waits) > 1.
    multi: bool = False
    # Invariant: the call it waits on, also in Core._calls; None when it has none.
    call: PendingCall | None = None


@attrs.define(eq=False)
class _SupNode(_Node):
    # Invariant: the parent's path, "/", the spec's id (the root: its id).
    path: str = attrs.field(kw_only=True)
    # Invariant: the children by id, in child order (spec order, then
    # start_child order: a dict keeps insertion order, and removing a child
    # costs O(1) wherever it is); empty when stopped.
    by_id: dict[str, _Node] = attrs.Factory(dict)
    # Invariant: set while running; a fresh window at every start.
    window: IntensityWindow | None = None
    # Invariant: while running with a spec's backlog > 0, this incarnation's
    # held events (see _dispatch); else None.
    backlog: Backlog | None = None

    @property
    def children(self) -> dict_values[str, _Node]:
        """The children in child order (a view of `by_id`)."""
        return self.by_id.values()


@attrs.define(eq=False)
class _PlacedNode(_SupNode):
    """A supervisor whose subtree runs elsewhere (``placement=``).

    Here it has no children: the driver carries what is routed under it to
    where it runs, and brings back what happens there (see ``_placing``).
    Its incarnation's `seq` names that incarnation in the driver.
    """


class _BackoffState:
    """A child's consecutive restarts, for its `Backoff`."""

    __slots__ = ("n", "started_at")

    def __init__(self) -> None:
        # Invariant: delayed restarts since the delay was last reset.
        self.n = 0
        # Invariant: the clock reading of its latest successful start, until
        # its next delayed restart reads it; None after a failed start.
        self.started_at: float | None = None


def _make_node(spec: ChildSpec, parent: _SupNode) -> _Node:
    if type(spec) is Worker:
        return _WorkerNode(spec, parent)
    if spec.placement is not None:  # type: ignore[union-attr]
        return _PlacedNode(spec, parent, path=f"{parent.path}/{spec.id}")
    return _SupNode(spec, parent, path=f"{parent.path}/{spec.id}")


def _kind(node: _Node) -> ChildKind:
    return ChildKind.WORKER if type(node) is _WorkerNode else ChildKind.SUPERVISOR
