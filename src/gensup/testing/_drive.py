"""Driving a tree from a test: end workers, settle calls, and the steps of a schedule."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, TypeAlias

import attrs

from .._calls import PendingCall
from .._clock import VirtualClock
from .._errors import ChildNotFound
from .._tree import Tree

__all__ = ["Advance", "Crash", "Finish", "Signal", "Step", "complete", "crash", "fail", "finish"]


# ---- Driving a tree by hand ----


def crash(tree: Tree, path: str, exc: BaseException) -> None:
    """Raise ``exc`` in the worker at ``path``, at the yield where it waits.

    Example:
        >>> import gensup
        >>> from gensup import Supervisor, Worker, waitfor
        >>> def idle():
        ...     yield waitfor("NEVER")
        >>> with gensup.start(Supervisor("root", [Worker("w", idle)])) as tree:
        ...     crash(tree, "root/w", ValueError("bad input"))
        ...     tree.which_children("root")[0].incarnation
        2

    As if the worker's own code had raised it there: what it waited on (its
    events, a timeout, a sleep, a pending call) is void, a ``try`` around the
    yield may catch it, and otherwise it is a crash that its supervisor
    handles as any other, before this returns.  (OTP's ``exit(Pid, Reason)``
    from outside is a signal, not an exception; this is the nearer thing in
    gensup, where a worker is code, not a process.)

    Raises:
        TypeError: ``exc`` is not an exception instance.
        ChildNotFound: no running worker at ``path`` (the message says what
            is there instead).
        SupervisorGaveUp: the root gave up as a consequence.
    """
    if not isinstance(exc, BaseException):
        raise TypeError(f"crash: 'exc' must be an exception instance (got {exc!r})")
    tree._end_worker(path, exc, "crash")


def finish(tree: Tree, path: str) -> None:
    """End the worker at ``path`` as if it returned.

    Example:
        >>> import gensup
        >>> from gensup import Supervisor, Worker, waitfor
        >>> def idle():
        ...     yield waitfor("NEVER")
        >>> spec = Supervisor("root", [Worker("w", idle, restart="transient")])
        >>> with gensup.start(spec) as tree:
        ...     finish(tree, "root/w")
        ...     tree.which_children("root")[0].state.value
        'stopped'

    Its generator is closed (its ``finally`` blocks run) and the end is a
    normal exit: a permanent worker is restarted, a transient one is kept
    stopped, a temporary one is removed, as in OTP when a child returns.
    This is not OTP's ``exit(Pid, normal)``, which does nothing to a
    process that does not trap exits.  A worker that yields again while
    being closed has crashed instead.

    Raises:
        ChildNotFound: no running worker at ``path``.
        SupervisorGaveUp: the root gave up as a consequence.
    """
    tree._end_worker(path, None, "finish")


def complete(tree: Tree, path: str, value: object) -> None:
    """Settle the pending `gensup.call` of the worker at ``path`` with ``value``.

    Example:
        >>> import gensup
        >>> from gensup import Supervisor, Worker, call, waitfor
        >>> async def lookup(key):
        ...     return key * 2
        >>> def client():
        ...     value = yield call(lookup, 21)
        ...     print("got", value)
        ...     yield waitfor("NEVER")
        >>> with gensup.start(Supervisor("root", [Worker("c", client)])) as tree:
        ...     complete(tree, "root/c", 42)
        got 42

    `Tree.complete_call`, with the call looked up by its worker's path in
    `Tree.pending_calls`.

    Raises:
        LookupError: no call of ``path`` is pending (the message lists the
            paths whose calls are).
    """
    tree.complete_call(_pending(tree, path, "complete"), value)


def fail(tree: Tree, path: str, exc: BaseException) -> None:
    """Fail the pending `gensup.call` of the worker at ``path`` with ``exc``.

    `Tree.fail_call`, with the call looked up by path as `complete` does:
    ``exc`` is raised at the worker's yield.

    Raises:
        TypeError: ``exc`` is not an exception instance.
        LookupError: no call of ``path`` is pending.
    """
    tree.fail_call(_pending(tree, path, "fail"), exc)


def _pending(tree: Tree, path: str, name: str) -> PendingCall:
    pending = tree.pending_calls()
    for found in pending:
        if found.path == path:
            return found
    listed = ", ".join(repr(c.path) for c in pending) or "none"
    raise ChildNotFound(f"{name}: no call of {path!r} is pending (pending calls: {listed})")


# ---- Steps: what a schedule does to a tree ----


@attrs.frozen
class Crash:
    """Crash the worker at ``path`` (with `crash`), if it runs.

    Attributes:
        path: The worker's path.
    """

    path: str

    def apply(self, tree: Tree, clock: VirtualClock) -> bool:
        """Carry the step out; False if there was nothing to do."""
        if not _running_worker(tree, self.path):
            return False
        crash(tree, self.path, RuntimeError(f"crash injected at {self.path}"))
        return True

    def __str__(self) -> str:
        return f"crash {self.path}"


@attrs.frozen
class Finish:
    """End the worker at ``path`` normally (with `finish`), if it runs.

    Attributes:
        path: The worker's path.
    """

    path: str

    def apply(self, tree: Tree, clock: VirtualClock) -> bool:
        """Carry the step out; False if there was nothing to do."""
        if not _running_worker(tree, self.path):
            return False
        finish(tree, self.path)
        return True

    def __str__(self) -> str:
        return f"finish {self.path}"


@attrs.frozen
class Advance:
    """Move the clock ``seconds`` on, firing the timers that fall due.

    Attributes:
        seconds: How far.
    """

    seconds: float

    def apply(self, tree: Tree, clock: VirtualClock) -> bool:
        """Carry the step out (always something to do)."""
        clock.advance(self.seconds)
        return True

    def __str__(self) -> str:
        return f"advance {self.seconds:g} s"


@attrs.frozen
class Signal:
    """Signal ``event`` with ``args`` to the whole tree.

    Attributes:
        event: The event.
        args: Its arguments.
    """

    event: Hashable
    args: tuple[Any, ...] = ()

    def apply(self, tree: Tree, clock: VirtualClock) -> bool:
        """Carry the step out (always something to do)."""
        tree.signal(self.event, *self.args)
        return True

    def __str__(self) -> str:
        return "signal " + ", ".join(map(repr, (self.event, *self.args)))


#: One step of a schedule.
Step: TypeAlias = Crash | Finish | Advance | Signal


def _running_worker(tree: Tree, path: str) -> bool:
    return path in tree.status()
