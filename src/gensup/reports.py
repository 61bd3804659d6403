"""Lifecycle reports: what happened in the tree, as frozen values.

A tree started with ``gensup.start(spec, observer=callback)`` calls
``callback(report)`` synchronously, in the order things happen, with one of:

* `Started`: a worker or supervisor begins a start attempt (a supervisor
  before its children).
* `Stopped`: a worker or supervisor has ended, with its reason.
* `GaveUp`: a supervisor reached its restart intensity (reported before it
  stops its children).
* `Dropped`: a signalled or emitted event reached nobody.

The same facts go to loguru, with the fields bound as ``extra``.

Example:
    >>> import gensup
    >>> from gensup import Supervisor, Worker, waitfor
    >>> from gensup.reports import Started
    >>> def idle():
    ...     yield waitfor("NEVER")
    >>> seen = []
    >>> with gensup.start(Supervisor("root", [Worker("w", idle)]), observer=seen.append):
    ...     pass
    >>> seen[:2]
    [Started(path='root'), Started(path='root/w')]
"""

from __future__ import annotations

import enum
from collections.abc import Hashable
from typing import Any, TypeAlias

import attrs

__all__ = ["Dropped", "GaveUp", "Reason", "Report", "Started", "Stopped"]


class Reason(enum.StrEnum):
    """Why a worker or supervisor ended (OTP's exit reasons).

    Example:
        >>> Reason("crash") is Reason.CRASH
        True
    """

    #: A worker returned.
    NORMAL = "normal"
    #: It raised an exception, or yielded something that is not a command.
    CRASH = "crash"
    #: Its supervisor stopped it, or (a supervisor) it gave up or shut itself down.
    SHUTDOWN = "shutdown"
    #: It was being stopped and yielded again instead of ending.
    KILLED = "killed"


@attrs.frozen
class Started:
    """A worker or supervisor begins a start attempt.

    Attributes:
        path: The child's path, such as ``"root/pool/a"``.
    """

    path: str


@attrs.frozen
class Stopped:
    """A worker or supervisor has ended.

    Attributes:
        path: The child's path.
        reason: ``normal``, ``crash``, ``shutdown`` or ``killed``.
        exception: What a crashed worker raised (``None`` for other reasons).
    """

    path: str
    reason: Reason
    exception: BaseException | None = attrs.field(default=None, eq=False)


@attrs.frozen
class GaveUp:
    """A supervisor reached its restart intensity and is about to stop.

    Attributes:
        path: The supervisor's path.
    """

    path: str


@attrs.frozen
class Dropped:
    """A signalled or emitted event reached no worker.

    Attributes:
        event: The event.
        args: Its arguments.
        to: The path it was sent to, or ``None`` for the whole tree.
    """

    event: Hashable
    args: tuple[Any, ...]
    to: str | None


#: Any of the reports an observer receives.
Report: TypeAlias = Started | Stopped | GaveUp | Dropped
