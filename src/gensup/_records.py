"""Snapshots of a running supervisor's children, as returned by the tree."""

from __future__ import annotations

import enum

import attrs

from ._spec import Restart

__all__ = ["ChildCounts", "ChildInfo", "ChildKind", "ChildState"]


class ChildKind(enum.StrEnum):
    """Whether a child is a worker or a supervisor (OTP's child type)."""

    WORKER = "worker"
    SUPERVISOR = "supervisor"


class ChildState(enum.StrEnum):
    """What a child is doing now (OTP's pid, ``undefined`` or ``restarting``)."""

    #: It has a live worker or supervisor.
    RUNNING = "running"
    #: Its spec is kept, but nothing runs (terminated, ignored, or ended without restart).
    STOPPED = "stopped"
    #: Its restart failed and is about to be tried again.
    RESTARTING = "restarting"


@attrs.frozen
class ChildInfo:
    """One child of a supervisor, as ``Tree.which_children`` returns it.

    Example:
        >>> info = ChildInfo("a", ChildKind.WORKER, Restart.PERMANENT, ChildState.RUNNING, 1)
        >>> info.state == "running", info.incarnation
        (True, 1)

    Attributes:
        id: The child's id.
        kind: ``worker`` or ``supervisor``.
        restart: Its restart type.
        state: ``running``, ``stopped`` or ``restarting``.
        incarnation: Its start attempts since its supervisor (this incarnation
            of it) started, failed ones included: 1 after the first start;
            after a crash, 2 if the restart succeeded at the first attempt, 3
            if it took a retry.
    """

    id: str
    kind: ChildKind
    restart: Restart
    state: ChildState
    incarnation: int


@attrs.frozen
class ChildCounts:
    """The counts that ``Tree.count_children`` returns, as OTP's ``count_children``.

    Attributes:
        specs: Children, running or not.
        active: Children running now.
        supervisors: Children that are supervisors, running or not.
        workers: Children that are workers, running or not.
        backlog: Events that the supervisor holds for its workers (see the
            ``backlog`` option of `Supervisor`): 0 without one.  Not in OTP.
    """

    specs: int
    active: int
    supervisors: int
    workers: int
    backlog: int = 0
