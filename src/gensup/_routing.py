"""Who is waiting for what: the table that makes a signal cost O(its waiters).

The table maps each event to the workers waiting for it, as a dict used as an
insertion-ordered set: a worker is appended when it starts waiting, so the
workers of one event are always in the order they began waiting for it.  That
order is the delivery order.

A signal touches only its own event's entry, never the rest of the tree, so
its cost does not depend on the size of the tree or on workers waiting for
other events.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable
from typing import Final, Protocol, TypeAlias, TypeVar

__all__ = [
    "Supervised",
    "WaitTable",
    "Waiter",
    "first",
    "jump",
    "select",
    "select_under",
    "stable_hash",
    "unwait",
    "wait",
]


class Supervised(Protocol):
    """What `select_under` needs of a waiting worker's supervisor."""

    @property
    def path(self) -> str: ...


class Waiter(Protocol):
    """What the table needs of a waiting worker."""

    @property
    def path(self) -> str: ...

    # The tree-wide sequence number of the worker's start.
    seq: int
    waits: tuple[Hashable, ...]
    # True iff it waits for more than one event.
    multi: bool


W = TypeVar("W", bound=Waiter)

#: event -> the workers waiting for it, in the order they began waiting.
WaitTable: TypeAlias = dict[Hashable, dict[W, None]]


def wait(table: WaitTable[W], node: W, events: tuple[Hashable, ...]) -> None:
    """Register ``node`` as waiting for each of ``events``."""
    node.waits = events
    node.multi = len(events) > 1
    for event in events:
        waiters = table.get(event)
        if waiters is None:
            table[event] = {node: None}
        else:
            waiters[node] = None


def unwait(table: WaitTable[W], node: W, keep: Hashable = None) -> None:
    """Remove ``node`` from every entry it waits in, except ``keep``'s.

    Empty entries are deleted, so that waits on ever-new events do not leak.
    """
    for event in node.waits:
        if event == keep:
            continue
        waiters = table.get(event)
        if waiters is not None:
            waiters.pop(node, None)
            if not waiters:
                del table[event]
    node.waits = ()
    node.multi = False


def select(waiters: dict[W, None], only: W | None, stamp: int | None) -> list[W]:
    """The waiters that an event delivered now must reach (see `select_under`
    for a subtree).

    Args:
        waiters: The event's entry of the table.
        only: Deliver only to this worker, or ``None``.
        stamp: For a queued event, the sequence number it was emitted at:
            workers started after it do not get it.  ``None`` for a signal.
    """
    if only is not None:
        if only in waiters and (stamp is None or only.seq < stamp):
            return [only]
        return []
    if stamp is None:
        return list(waiters)
    return [node for node in waiters if node.seq < stamp]


class Child(Waiter, Protocol):
    """A waiter that knows its supervisor."""

    @property
    def parent(self) -> Supervised | None: ...


C = TypeVar("C", bound=Child)


def select_under(waiters: dict[C, None], under: str, stamp: int | None) -> list[C]:
    """The waiters under the supervisor at path ``under``, started before
    ``stamp`` when it is given.

    A worker is under it when its own supervisor is, or is below it.  The
    supervisor's stored path is tested rather than the worker's, which is
    built only when asked (see ``_core._Node.path``): a subtree signal tests
    every waiter of its event, and building a string for each would double its
    cost.
    """
    prefix = under + "/"
    return [
        node
        for node in waiters
        if (stamp is None or node.seq < stamp)
        and ((path := node.parent.path) == under or path.startswith(prefix))  # type: ignore[union-attr]
    ]


def first(waiters: dict[C, None], under: str | None, stamp: int | None) -> C | None:
    """The waiter that has waited longest, under the supervisor at path ``under``
    (anywhere when None), started before ``stamp`` when it is given: the one an
    event sent to one worker of a pool goes to."""
    if under is None:
        for node in waiters:
            if stamp is None or node.seq < stamp:
                return node
        return None
    prefix = under + "/"
    for node in waiters:
        if (stamp is None or node.seq < stamp) and (
            (path := node.parent.path) == under or path.startswith(prefix)  # type: ignore[union-attr]
        ):
            return node
    return None


# ---- Routing by key: a stable hash, then a consistent choice of child ----

_KEY_TYPES: Final = (str, bytes, int, float, bool, type(None))


def stable_hash(key: object) -> int:
    """A 64-bit hash of ``key`` that is the same in every process and every run.

    Example:
        >>> stable_hash("user-42") == stable_hash("user-42")
        True

    Python's own ``hash`` of a string changes from one interpreter to the
    next, so routing by it would send a user's events to another child after
    a restart of the program.  Keys are strings, bytes, numbers, booleans,
    ``None`` and tuples of them, hashed by their ``repr``.

    Raises:
        TypeError: ``key`` is of another type, whose repr may not be stable.
    """
    stack = [key]
    while stack:
        part = stack.pop()
        if isinstance(part, tuple):
            stack.extend(part)
        elif not isinstance(part, _KEY_TYPES):
            raise TypeError(
                f"a routing key must be a str, bytes, int, float, bool, None or a tuple of "
                f"them (got {key!r}, which holds a {type(part).__name__})"
            )
    digest = hashlib.blake2b(repr(key).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def jump(key: int, buckets: int) -> int:
    """Jump consistent hashing (Lamping and Veach): a bucket in ``range(buckets)``.

    Example:
        >>> [jump(stable_hash(user), 3) for user in ("ann", "bob", "cy")]
        [0, 0, 2]

    When a bucket is added at the end, only about ``1/(buckets + 1)`` of the
    keys move, all to the new bucket; when the last one is removed, only its
    own keys move.
    """
    bucket, j = -1, 0
    while j < buckets:
        bucket = j
        key = (key * 2862933555777941757 + 1) & 0xFFFFFFFFFFFFFFFF
        j = int((bucket + 1) * (float(1 << 31) / float((key >> 33) + 1)))
    return bucket
