"""Calls: the I/O a worker asks for, and the driver that carries it out.

A worker that yields `gensup.call` does not run the awaitable itself: the
tree records a `PendingCall` and tells its driver, which awaits
``fn(*args)`` and hands the outcome back with `Tree.complete_call` or
`Tree.fail_call`.  Without a driver the call simply stays pending, and a test
plays the outside world by hand through the same public calls.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import attrs

__all__ = ["Driver", "PendingCall"]


@attrs.frozen(eq=False)
class PendingCall:
    """A call that a worker is waiting on, as `Tree.pending_calls` lists it.

    Example:
        >>> import gensup
        >>> from gensup import Supervisor, Worker, call
        >>> async def fetch(url):
        ...     return url.upper()
        >>> def fetcher():
        ...     body = yield call(fetch, "a")
        ...     yield gensup.waitfor("NEVER")
        >>> with gensup.start(Supervisor("root", [Worker("f", fetcher)])) as tree:
        ...     (pending,) = tree.pending_calls()
        ...     pending.path, pending.args, tree.complete_call(pending, "A")
        ('root/f', ('a',), True)

    Each is a distinct object (compared by identity): a stale one, whose
    worker was stopped since, is refused by `Tree.complete_call`.

    Attributes:
        id: Unique within the tree, increasing in the order calls were made.
        path: The path of the worker that made it.
        incarnation: That worker's incarnation when it made it.
        fn: The function to call; it returns an awaitable.
        args: Its arguments.
        timeout: The call's timeout in seconds, or ``None`` (the tree itself
            fires it and cancels the call).
    """

    id: int
    path: str
    incarnation: int
    fn: Callable[..., Awaitable[Any]]
    args: tuple[Any, ...]
    timeout: float | None


class Driver(Protocol):
    """What a tree tells the driver that carries out its time and I/O.

    Pass one to `gensup.start` (``driver=``); `gensup.aio` is one.  The tree
    calls these methods synchronously, when the thing happens, possibly in the
    middle of a delivery: they must only record or schedule work, never call
    the tree's mutating methods (that raises `ReentrantCall`).
    """

    def call_started(self, call: PendingCall) -> None:
        """A worker yielded `gensup.call`: run ``call.fn(*call.args)``."""

    def call_cancelled(self, call: PendingCall) -> None:
        """The call is void (its worker is being stopped, or its timeout fired):
        cancel it.  Called before the worker's ``finally`` blocks run."""

    def deadline_changed(self, deadline: float) -> None:
        """A timer was set that is due before every other one: wake up by
        ``deadline`` (a reading of the tree's clock) and call `Tree.fire_due`."""

    def tree_stopped(self) -> None:
        """The tree is no longer alive (stopped, gave up or shut down)."""
