"""Driving a tree from a test: end workers, settle calls, and the steps of a schedule."""

from __future__ import annotations

from collections.abc import Generator, Hashable
from typing import Any, TypeAlias, cast

import attrs

from .._calls import PendingCall
from .._clock import VirtualClock
from .._errors import ChildNotFound
from .._nodes import _WorkerNode
from .._record import RecordingTree, encode_exception
from .._tree import Tree

__all__ = [
    "Advance",
    "Crash",
    "Finish",
    "Signal",
    "Step",
    "complete",
    "crash",
    "crash_at",
    "fail",
    "finish",
]


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


def crash_at(tree: Tree, path: str, nth_yield: int, exc: BaseException) -> None:
    """Raise ``exc`` in the worker at ``path`` at its ``nth_yield``-th yield from now.

    Example:
        >>> import gensup
        >>> from gensup import Supervisor, Worker, emit, waitfor
        >>> def relay():
        ...     while True:
        ...         _, job = yield waitfor("JOB")
        ...         yield emit("LOG", job)
        ...         yield emit("DONE", job)
        >>> with gensup.start(Supervisor("root", [Worker("r", relay)])) as tree:
        ...     _ = tree.listen("DONE", print)
        ...     crash_at(tree, "root/r", 2, ValueError("before DONE"))
        ...     _ = tree.signal("JOB", 1)
        ...     _ = tree.signal("JOB", 2)
        ...     tree.statistics()["root/r"].last_crash.message
        ('DONE', 2)
        'before DONE'

    The worker runs on as before until it makes its ``nth_yield``-th yield
    counted from now: the yield where it waits now is the 0th, the next one it
    makes is the 1st.  There, instead of carrying out what it yielded, the
    tree throws ``exc`` in at that yield, as `crash` does: a ``try`` around
    it may catch it (the worker then goes on from there); otherwise it is a
    crash, which its supervisor handles as any other.  In the example, job 1
    is logged, then the worker crashes at the yield that would have emitted
    its ``DONE``; the restarted worker takes job 2 as usual.

    Counting from now, not from the start of the incarnation: the tree does
    not count a worker's yields (that would cost every delivery), so the
    yields it made before are unknown.  To count from the start of an
    incarnation, call `crash_at` right after it started (after `crash`,
    `finish` or the restart that a `signal` caused): the worker then waits at
    its first wait, and ``nth_yield`` 1 is the yield that follows it.  Calls
    stack: each counts on its own.

    The worker's generator is wrapped for this incarnation only: once
    ``exc`` is thrown, or when the incarnation ends, the wrapper is gone, and
    a restarted worker runs unwrapped.  On a tree started with ``record=``,
    the call is recorded, and replayed.

    Raises:
        TypeError: ``exc`` is not an exception instance, or ``nth_yield`` is
            not an int.
        ValueError: ``nth_yield`` is less than 1.
        ChildNotFound: no running worker at ``path``.
        ReentrantCall: called from inside a worker or an observer.
    """
    if not isinstance(exc, BaseException):
        raise TypeError(f"crash_at: 'exc' must be an exception instance (got {exc!r})")
    if isinstance(nth_yield, bool) or not isinstance(nth_yield, int):
        raise TypeError(f"crash_at: 'nth_yield' must be an int (got {nth_yield!r})")
    if nth_yield < 1:
        raise ValueError(
            f"crash_at: 'nth_yield' must be >= 1, counted from the yield where the worker "
            f"waits now (got {nth_yield!r})"
        )
    tree._check_not_busy("crash_at")
    node = tree._resolve(path, "crash_at")
    if not isinstance(node, _WorkerNode):
        raise ChildNotFound(f"crash_at: {path!r} is a supervisor; name a worker")
    if node.gen is None:
        raise ChildNotFound(f"crash_at: the worker {path!r} is {node.state.value}")
    gen = node.gen

    def arm() -> None:
        node.gen = cast(Generator[Any, Any, Any], _CrashAt(node, gen, nth_yield, exc))

    if isinstance(tree, RecordingTree):
        line = {
            "op": "crash_at",
            "path": path,
            "nth_yield": nth_yield,
            "exc": encode_exception(exc, "crash_at()", "exc"),
        }
        tree._record_input(line, arm)
    else:
        arm()


class _CrashAt:
    """A worker's generator, counting its yields until the one where ``exc`` is thrown.

    The engine calls ``send``, ``throw`` and ``close`` on a worker's generator,
    and asks `inspect.getgeneratorstate` of it while closing it; the rest is
    the generator's own.  Once it has thrown, it takes itself out of the node
    (the engine may still hold it for the commands that follow: it passes
    them through).
    """

    __slots__ = ("_exc", "_gen", "_left", "_node")

    def __init__(
        self, node: _WorkerNode, gen: Generator[Any, Any, Any], n: int, exc: BaseException
    ) -> None:
        self._node = node
        self._gen = gen
        # Invariant: the yields still to pass through before throwing; 0 once thrown.
        self._left = n
        self._exc = exc

    def send(self, value: object) -> object:
        return self._count(self._gen.send(value))

    def throw(self, exc: BaseException) -> object:
        return self._count(self._gen.throw(exc))

    def close(self) -> None:
        self._detach()
        self._gen.close()

    def _count(self, command: object) -> object:
        left = self._left
        if not left:
            return command
        left -= 1
        self._left = left
        if left:
            return command
        self._detach()
        return self._gen.throw(self._exc)

    def _detach(self) -> None:
        node = self._node
        gen: object = node.gen
        if gen is self:
            node.gen = self._gen

    def __getattr__(self, name: str) -> object:
        # gi_running, gi_suspended, gi_frame...: what inspect asks of a generator.
        return getattr(self._gen, name)


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
