"""What a worker may yield: the commands.

A worker is a generator.  It talks to its tree only by yielding commands:

* ``yield waitfor(*events)`` blocks until one of the events is signalled; the
  yield expression's value is the tuple ``(event, *args)``.
* ``yield emit(event, *args, to=None)`` publishes an event into the tree; the
  worker continues at once (the yield's value is ``None``), and the event is
  delivered after the current delivery, in order (run to completion).

Anything else yielded is a crash of that worker with a message that says what
was yielded.  Commands are immutable values, so a hot loop can build one once
and yield it again and again (``TICK = waitfor("TICK")``).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, Final

import attrs

__all__ = ["Emit", "WaitFor", "emit", "waitfor"]


@attrs.frozen(repr=False)
class WaitFor:
    """The command that blocks a worker until one of ``events`` is signalled.

    Build it with `waitfor`; the class is public for type annotations and
    ``isinstance`` checks.

    Attributes:
        events: The events waited for, without duplicates, in the order given.
    """

    events: tuple[Hashable, ...]

    def __repr__(self) -> str:
        return f"waitfor({', '.join(map(repr, self.events))})"


@attrs.frozen(repr=False)
class Emit:
    """The command that publishes an event into the tree.

    Build it with `emit`.

    Attributes:
        event: The event.
        args: Its arguments: receivers get ``(event, *args)``.
        to: The path of the subtree (or worker) to deliver to, or ``None`` for
            the whole tree.
    """

    event: Hashable
    args: tuple[Any, ...]
    to: str | None

    def __repr__(self) -> str:
        parts = [repr(self.event), *map(repr, self.args)]
        if self.to is not None:
            parts.append(f"to={self.to!r}")
        return f"emit({', '.join(parts)})"


# waitfor() is called on every wait of a naive worker loop, so it must cost
# about as little as a dict lookup: commands are immutable, so the same
# instance is returned for the same events.  The cache is bounded so that
# workers waiting on ever-new events (request ids) cannot grow it forever.
_WAITFOR_CACHE: Final[dict[tuple[Hashable, ...], WaitFor]] = {}
_WAITFOR_CACHE_SIZE: Final = 4096


def waitfor(*events: Hashable) -> WaitFor:
    """Block the worker until one of ``events`` is signalled.

    Example:
        >>> def worker():
        ...     event, *args = yield waitfor("PING", "STOP")
        >>> waitfor("PING", "STOP")
        waitfor('PING', 'STOP')

    The worker is resumed with the tuple ``(event, *args)`` of the first of
    these events signalled after it started waiting (waits are edge-triggered:
    an event signalled earlier is not remembered).

    Args:
        *events: One or more hashable events, usually strings.

    Raises:
        TypeError: no event, or an event that is not hashable.
    """
    try:
        return _WAITFOR_CACHE[events]
    except KeyError:
        pass
    except TypeError:
        raise TypeError(f"waitfor(): every event must be hashable (got {events!r})") from None
    if not events:
        raise TypeError("waitfor() needs at least one event (got none)")
    command = WaitFor(tuple(dict.fromkeys(events)))
    if len(_WAITFOR_CACHE) >= _WAITFOR_CACHE_SIZE:
        _WAITFOR_CACHE.clear()
    _WAITFOR_CACHE[events] = command
    return command


def emit(event: Hashable, *args: Any, to: str | None = None) -> Emit:
    """Publish ``event`` into the tree; the worker continues at once.

    Example:
        >>> def echo():
        ...     while True:
        ...         event, *args = yield waitfor("PING")
        ...         yield emit("PONG", *args)
        >>> emit("PONG", 1, to="root/pool")
        emit('PONG', 1, to='root/pool')

    The event is queued and delivered, like a signal, once the current
    delivery is over: to every worker of the subtree at path ``to`` (the whole
    tree when ``None``) that was started before the emit and waits for it.

    Args:
        event: A hashable event.
        *args: Arguments that receivers get after the event.
        to: A path such as ``"root/pool"``, or ``None`` for the whole tree.

    Raises:
        TypeError: the event is not hashable or ``to`` is not a string.
    """
    try:
        hash(event)
    except TypeError:
        raise TypeError(f"emit(): the event must be hashable (got {event!r})") from None
    if to is not None and not isinstance(to, str):
        raise TypeError(f"emit(): 'to' must be a path string or None (got {to!r})")
    return Emit(event, args, to)
