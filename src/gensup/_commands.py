"""What a worker may yield: the commands.

A worker is a generator.  It talks to its tree only by yielding commands:

* ``yield waitfor(*events)`` blocks until one of the events is signalled; the
  yield expression's value is the tuple ``(event, *args)``.
* ``yield emit(event, *args, to=None)`` publishes an event into the tree; the
  worker continues at once (the yield's value is ``None``), and the event is
  delivered after the current delivery, in order (run to completion).
* ``yield waitfor(*events, timeout=seconds)`` gives up waiting after
  ``seconds``: the yield's value is then ``(TIMEOUT,)``.
* ``yield sleep(seconds)`` resumes the worker with ``(TIMEOUT,)`` after the
  delay; it waits for no event meanwhile.
* ``result = yield call(fn, *args, timeout=None)`` asks the tree's driver to
  await ``fn(*args)``; the yield's value is its result, or its exception is
  raised at the yield.

Anything else yielded is a crash of that worker with a message that says what
was yielded.  Commands are immutable values, so a hot loop can build one once
and yield it again and again (``TICK = waitfor("TICK")``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Final

import attrs

__all__ = [
    "MANY",
    "NO_KEY",
    "TIMEOUT",
    "Call",
    "Emit",
    "Ref",
    "Sleep",
    "WaitFor",
    "WhoAmI",
    "call",
    "emit",
    "ref",
    "sleep",
    "waitfor",
    "whoami",
]


class _Many:
    """The `WaitFor.single` of a wait on several events."""

    def __repr__(self) -> str:
        return "MANY"


MANY: Final = _Many()


class _Timeout:
    """The type of `TIMEOUT`: one instance, hashable, equal only to itself."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "TIMEOUT"

    def __reduce__(self) -> str:
        return "TIMEOUT"


#: The event a worker is resumed with when its wait times out or its sleep ends:
#: ``(TIMEOUT,)``.  Compare with ``is`` or ``==``.
TIMEOUT: Final = _Timeout()


class _NoKey:
    """The type of `NO_KEY`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_KEY"

    def __reduce__(self) -> str:
        # Pickled by name, so that it is still NO_KEY in a placed subtree.
        return "NO_KEY"


#: The ``key`` of a signal or emit that has none (routed by ``one`` or to all).
NO_KEY: Final = _NoKey()


def _check_seconds(where: str, name: str, value: object) -> float:
    """A delay given by a user: a real number, not NaN, not negative."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{where}: {name!r} must be a number of seconds (got {value!r})")
    seconds = float(value)
    # Written so that NaN, which compares false with everything, fails.
    if not seconds >= 0:
        raise ValueError(f"{where}: {name!r} must be >= 0 seconds (got {value!r})")
    return seconds


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
        timeout: Seconds after which the wait gives up, or ``None``.
    """

    events: tuple[Hashable, ...] = attrs.field(validator=_check_events)
    # The event when there is just one, else MANY: lets delivery re-register
    # the most common wait with one identity test (see Tree._deliver).
    single: Hashable = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "single", self.events[0] if len(self.events) == 1 else MANY)

    # Seconds after which the wait gives up (None: never).  Only the commands
    # that waitfor(..., timeout=...) builds have one (see _TimedWaitFor).
    timeout: float | None = attrs.field(default=None, init=False)

    def __repr__(self) -> str:
        return f"waitfor({', '.join(map(repr, self.events))})"


@attrs.frozen(repr=False)
class _TimedWaitFor(WaitFor):
    """A `WaitFor` with a timeout.

    A class of its own, so that delivery's fast path, which re-registers a
    worker when its command's class is exactly `WaitFor`, never sees one and
    pays nothing for timeouts: these go through the general path, which sets
    the timer.
    """

    timeout: float | None = attrs.field(kw_only=True, default=None)

    def __repr__(self) -> str:
        return f"waitfor({', '.join(map(repr, self.events))}, timeout={self.timeout!r})"


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


def waitfor(event: Hashable, /, *more: Hashable, timeout: float | None = None) -> WaitFor:
    """Block the worker until ``event`` (or one of ``more``) is signalled.

    Example:
        >>> def worker():
        ...     event, *args = yield waitfor("PING", "STOP")
        >>> waitfor("PING", "STOP")
        waitfor('PING', 'STOP')
        >>> waitfor("TICK") is waitfor("TICK")
        True
        >>> waitfor("REPLY", timeout=5)
        waitfor('REPLY', timeout=5.0)

    The worker is resumed with the tuple ``(event, *args)`` of the first of
    these events signalled after it started waiting (waits are edge-triggered:
    an event signalled earlier is not remembered).  The same command may be
    built once and yielded again and again (``TICK = waitfor("TICK")``).

    With a ``timeout``, the worker is resumed with ``(TIMEOUT,)`` if none of
    the events comes within that many seconds of the tree's clock; an event
    that comes first cancels the timer.  ``timeout=0`` times out at once,
    within the same call, queued like an emitted event (Erlang's
    ``receive ... after 0``); ``math.inf`` never times out.

    Args:
        event: A hashable event, usually a string.
        *more: More events; the first of them all to come resumes the worker.
        timeout: Seconds to wait at most, or ``None`` to wait for ever.

    Raises:
        TypeError: no event, an event that is not hashable, or a timeout that
            is not a number.
        ValueError: a negative or NaN timeout.
    """
    if timeout is None:
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
    return _timed(event, more, timeout)


_TIMED: Final[dict[tuple[tuple[Hashable, ...], float], WaitFor]] = {}


def _timed(event: Hashable, more: tuple[Hashable, ...], timeout: object) -> WaitFor:
    seconds = _check_seconds("waitfor()", "timeout", timeout)
    if seconds == math.inf:
        return waitfor(event, *more)
    events = (event, *more)
    key = (events, seconds)
    try:
        return _TIMED[key]
    except KeyError:
        pass
    except TypeError:
        raise TypeError(f"waitfor(): every event must be hashable (got {events!r})") from None
    # The events tuple is built afresh, so that it is never the same object as
    # an untimed command's: the core tells a live timeout from a stale one by
    # the identity of the events a worker waits for.
    command = _TimedWaitFor(tuple(dict.fromkeys(events)), timeout=seconds)
    if len(_TIMED) >= _CACHE_SIZE:
        _TIMED.clear()
    _TIMED[key] = command
    return command


def _remember(event: Hashable, more: tuple[Hashable, ...]) -> WaitFor:
    events = (event, *more)
    command = WaitFor(tuple(dict.fromkeys(events)))
    cache: dict[Any, WaitFor] = _MULTI if more else _SINGLE
    if len(cache) >= _CACHE_SIZE:
        cache.clear()
    cache[events if more else event] = command
    return command


def emit(
    event: Hashable,
    *args: Any,
    to: str | None = None,
    one: bool = False,
    key: object = NO_KEY,
) -> Emit:
    """Publish ``event`` into the tree; the worker continues at once.

    Example:
        >>> def echo():
        ...     while True:
        ...         event, *args = yield waitfor("PING")
        ...         yield emit("PONG", *args)
        >>> emit("PONG", 1, to="root/pool")
        emit('PONG', 1, to='root/pool')
        >>> emit("JOB", 7, to="root/pool", one=True)
        emit('JOB', 7, to='root/pool', one=True)

    The event is queued and delivered, like a signal, once the current
    delivery is over: to every worker of the subtree at path ``to`` (the whole
    tree when ``None``) that was started before the emit and waits for it.
    With ``one=True`` or a ``key``, it goes to one worker only, as
    `Tree.signal` says.

    The path is checked when the worker yields the command, against the
    tree's specs: one that names no child (a typo, an empty part) raises
    `ChildNotFound` at the ``yield``, naming the children that are there, as
    Erlang's send to an unregistered name raises ``badarg``; uncaught, it
    crashes the worker.  A child that is merely not running (stopped,
    restarting, below a stopped supervisor) is a valid target: the event
    reaches nobody there and is reported dropped.

    Args:
        event: A hashable event.
        *args: Arguments that receivers get after the event.
        to: A path such as ``"root/pool"``, or ``None`` for the whole tree.
        one: Deliver to one waiting worker only: the one that has waited
            longest (or hold it in the supervisor's backlog).
        key: Deliver to the child of the supervisor at ``to`` that the key
            chooses (a stable hash of it), so that events with the same key
            always go to the same child.  With ``to`` naming a worker, the
            event is dropped (`Tree.signal` raises ``ValueError`` instead:
            a path in an emit is checked against specs only).

    Raises:
        TypeError: the event is not hashable, ``to`` is not a string, or the
            key is not a str, bytes, number, bool, None or tuple of them.
    """
    try:
        hash(event)
    except TypeError:
        raise TypeError(f"emit(): the event must be hashable (got {event!r})") from None
    if to is not None and not isinstance(to, str):
        raise TypeError(f"emit(): 'to' must be a path string or None (got {to!r})")
    if one or key is not NO_KEY:
        return _emit_one(event, args, to, one, key)
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


@attrs.frozen(repr=False)
class _EmitOne(Emit):
    """An `Emit` to one worker: the longest waiting (``one=True``) or the
    one a key chooses.  A class of its own, so that broadcast emits pay
    nothing for it."""

    key: object = attrs.field(kw_only=True, default=NO_KEY)

    def __repr__(self) -> str:
        text = super().__repr__()[:-1]
        extra = "one=True" if self.key is NO_KEY else f"key={self.key!r}"
        return f"{text}, {extra})"


def _emit_one(
    event: Hashable, args: tuple[Any, ...], to: str | None, one: object, key: object
) -> Emit:
    if not isinstance(one, bool):
        raise TypeError(f"emit(): 'one' must be a bool (got {one!r})")
    if key is not NO_KEY:
        from ._routing import stable_hash  # a leaf module: imported here, once

        stable_hash(key)  # checks the key's type
    return _EmitOne(event, args, to, key=key)


@attrs.frozen
class WhoAmI:
    """The command that resumes a worker at once with ``(path, incarnation)``.

    Build it with `whoami`.
    """


_WHOAMI: Final = WhoAmI()


def whoami() -> WhoAmI:
    """Ask the tree who this worker is: resumed at once with ``(path, incarnation)``.

    Example:
        >>> def worker():
        ...     path, incarnation = yield whoami()
        ...     yield emit("HELLO", path)
        >>> whoami()
        WhoAmI()

    Useful to give a reply address, or to tell incarnations apart in logs.
    The worker runs on at once, as after an `emit`.
    """
    return _WHOAMI


class Ref:
    """A unique event: a private channel for one reply.

    Build one with `ref`.  Each is equal only to itself, so a worker that
    waits for it gets only what is emitted to it.
    """

    __slots__ = ("id",)

    def __init__(self, id: int) -> None:
        #: A number unique in this process, for reading logs.
        self.id = id

    def __repr__(self) -> str:
        return f"ref#{self.id}"


_refs = itertools.count(1)


def ref() -> Ref:
    """A fresh, unique event, to use as a reply address.

    Example:
        >>> def client(pool):
        ...     reply = ref()
        ...     yield emit("GET", "key", reply, to=pool, one=True)
        ...     event, *value = yield waitfor(reply, timeout=5)
        >>> a, b = ref(), ref()
        >>> a == a, a == b
        (True, False)

    The requester sends the ref with its request and waits for it; the
    replier emits the ref as an event with the answer
    (``yield emit(reply, value)``).  A reply to a requester that gave up or
    died reaches nobody and is reported `Dropped`; it can never reach a later
    incarnation, which waits for refs of its own.
    """
    return Ref(next(_refs))


@attrs.frozen
class Sleep:
    """The command that resumes a worker after a delay, with ``(TIMEOUT,)``.

    Build it with `sleep`.

    Attributes:
        seconds: The delay, in seconds of the tree's clock.
    """

    seconds: float


def sleep(seconds: float) -> Sleep:
    """Resume the worker after ``seconds``; it waits for no event meanwhile.

    Example:
        >>> def poller():
        ...     while True:
        ...         yield sleep(1.5)  # resumed with (TIMEOUT,)
        ...         yield emit("POLL")
        >>> sleep(1.5)
        Sleep(seconds=1.5)

    The delay is measured on the tree's clock, so under a `VirtualClock` it
    passes when the test advances the clock.  ``sleep(0)`` resumes the worker
    within the same call, after what is already queued.  Events signalled
    while a worker sleeps do not reach it.

    Raises:
        TypeError: ``seconds`` is not a number.
        ValueError: ``seconds`` is negative or NaN.
    """
    return Sleep(_check_seconds("sleep()", "seconds", seconds))


@attrs.frozen(repr=False)
class Call:
    """The command that has the driver await ``fn(*args)`` for the worker.

    Build it with `call`.

    Attributes:
        fn: A function that returns an awaitable.
        args: Its arguments.
        timeout: Seconds after which the call is cancelled and `TimeoutError`
            raised at the worker's yield, or ``None``.
    """

    fn: Callable[..., Awaitable[Any]]
    args: tuple[Any, ...]
    timeout: float | None = None

    def __repr__(self) -> str:
        name = getattr(self.fn, "__qualname__", None) or repr(self.fn)
        parts = [name, *map(repr, self.args)]
        if self.timeout is not None:
            parts.append(f"timeout={self.timeout!r}")
        return f"call({', '.join(parts)})"


def call(fn: Callable[..., Awaitable[Any]], *args: Any, timeout: float | None = None) -> Call:
    """Await ``fn(*args)`` outside the tree and resume the worker with its result.

    Example:
        >>> import anyio
        >>> def fetcher(url):
        ...     try:
        ...         body = yield call(download, url, timeout=10)
        ...     except TimeoutError:
        ...         body = None
        >>> call(anyio.sleep, 0.5)
        call(sleep, 0.5)

    A driver (`gensup.aio`) runs the awaitable as a task; a test can play the
    driver by hand with `Tree.pending_calls`, `Tree.complete_call` and
    `Tree.fail_call`.  The worker waits for no event while the call runs.  An
    exception from the call, or `TimeoutError` once ``timeout`` seconds of
    the tree's clock pass, is raised at the worker's yield, so ``try`` around
    the yield works and an uncaught one is a crash.  When the worker is
    stopped, its call is cancelled first, then its ``finally`` blocks run.

    Pass the function and its arguments, never a coroutine object
    (``call(fetch, url)``, not ``call(fetch(url))``): a worker that dies
    before its call starts then leaves nothing un-awaited.  Blocking work runs
    in a thread with ``call(anyio.to_thread.run_sync, fn, *args)``.

    Raises:
        TypeError: ``fn`` is not callable (a coroutine object, for instance),
            or ``timeout`` is not a number.
        ValueError: ``timeout`` is negative or NaN.
    """
    untyped: object = fn  # callers without type checking may pass anything
    if not callable(untyped):
        close = getattr(fn, "close", None)
        if callable(close) and hasattr(fn, "cr_frame"):
            close()  # a coroutine object: closed, so it never warns "never awaited"
            raise TypeError(
                f"call(): pass the function and its arguments, not a coroutine object "
                f"(call(fn, *args), not call(fn(*args))); got {fn!r}"
            )
        raise TypeError(f"call(): 'fn' must be a callable returning an awaitable (got {fn!r})")
    seconds = None if timeout is None else _check_seconds("call()", "timeout", timeout)
    if seconds == math.inf:
        seconds = None
    return Call(fn, args, seconds)
