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

__all__ = ["MANY", "Emit", "WaitFor", "emit", "waitfor"]


class _Many:
    """The `WaitFor.single` of a wait on several events."""

    def __repr__(self) -> str:
        return "MANY"


MANY: Final = _Many()


def _check_events(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, tuple) or not value:
        raise TypeError(f"WaitFor: 'events' must be a non-empty tuple of events (got {value!r})")
    try:
        hash(value)
    except TypeError:
        raise TypeError(f"WaitFor: every event must be hashable (got {value!r})") from None


def _check_event(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    try:
        hash(value)
    except TypeError:
        raise TypeError(f"Emit: the event must be hashable (got {value!r})") from None


def _check_args(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, tuple):
        raise TypeError(f"Emit: 'args' must be a tuple (got {value!r})")


def _check_to(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"Emit: 'to' must be a path string or None (got {value!r})")


@attrs.frozen(repr=False)
class WaitFor:
    """The command that blocks a worker until one of ``events`` is signalled.

    Build it with `waitfor`; the class is public for type annotations and
    ``isinstance`` checks.

    Attributes:
        events: The events waited for, without duplicates, in the order given.
    """

    events: tuple[Hashable, ...] = attrs.field(validator=_check_events)
    # The event when there is just one, else MANY: lets delivery re-register
    # the most common wait with one identity test (see Tree._deliver).
    single: Hashable = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "single", self.events[0] if len(self.events) == 1 else MANY)

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

    event: Hashable = attrs.field(validator=_check_event)
    args: tuple[Any, ...] = attrs.field(validator=_check_args)
    to: str | None = attrs.field(validator=_check_to)

    def __repr__(self) -> str:
        parts = [repr(self.event), *map(repr, self.args)]
        if self.to is not None:
            parts.append(f"to={self.to!r}")
        return f"emit({', '.join(parts)})"


# waitfor() is called on every wait of a naive worker loop, where a plain
# Python call costs about as much as a whole bare dispatch, so it must cost
# little more than a dict lookup: commands are immutable, so the same instance
# is returned for the same events, looked up by the event itself when there is
# one (no tuple to build or hash).  The caches are bounded so that workers
# waiting on ever-new events (request ids) cannot grow them forever.
_CACHE_SIZE: Final = 4096
_SINGLE: Final[dict[Hashable, WaitFor]] = {}
_MULTI: Final[dict[tuple[Hashable, ...], WaitFor]] = {}


def waitfor(event: Hashable, /, *more: Hashable) -> WaitFor:
    """Block the worker until ``event`` (or one of ``more``) is signalled.

    Example:
        >>> def worker():
        ...     event, *args = yield waitfor("PING", "STOP")
        >>> waitfor("PING", "STOP")
        waitfor('PING', 'STOP')
        >>> waitfor("TICK") is waitfor("TICK")
        True

    The worker is resumed with the tuple ``(event, *args)`` of the first of
    these events signalled after it started waiting (waits are edge-triggered:
    an event signalled earlier is not remembered).  The same command may be
    built once and yielded again and again (``TICK = waitfor("TICK")``).

    Args:
        event: A hashable event, usually a string.
        *more: More events; the first of them all to come resumes the worker.

    Raises:
        TypeError: no event, or an event that is not hashable.
    """
    try:
        if not more:
            return _SINGLE[event]
        return _MULTI[(event, *more)]
    except KeyError:
        pass
    except TypeError:
        raise TypeError(
            f"waitfor(): every event must be hashable (got {(event, *more)!r})"
        ) from None
    return _remember(event, more)


def _remember(event: Hashable, more: tuple[Hashable, ...]) -> WaitFor:
    events = (event, *more)
    command = WaitFor(tuple(dict.fromkeys(events)))
    cache: dict[Any, WaitFor] = _MULTI if more else _SINGLE
    if len(cache) >= _CACHE_SIZE:
        cache.clear()
    cache[events if more else event] = command
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
    # A worker may emit on every event it handles, and Emit(...) would run the
    # three validators again (args is a tuple by construction) and set each
    # field through a bound object.__setattr__: building the frozen instance
    # field by field here costs about half as much.
    command = _new(Emit)
    _set(command, "event", event)
    _set(command, "args", args)
    _set(command, "to", to)
    return command


_new: Final = object.__new__
_set: Final = object.__setattr__
