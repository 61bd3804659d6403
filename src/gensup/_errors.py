"""The exceptions gensup raises.

Every error is a :class:`GensupError` and also an instance of the builtin that
best describes it, so code that already catches ``ValueError`` or
``LookupError`` keeps working.  Each maps to one of OTP's error tuples.
"""

from __future__ import annotations

__all__ = [
    "ChildAlreadyPresent",
    "ChildAlreadyStarted",
    "ChildNotFound",
    "ChildRestarting",
    "ChildRunning",
    "GensupError",
    "InvalidCommand",
    "InvalidSpec",
    "InvalidSpecType",
    "PlacementLost",
    "RecordError",
    "ReentrantCall",
    "RemoteError",
    "ReplayError",
    "ReplyNotReady",
    "RequestFailed",
    "StartFailed",
    "SupervisorGaveUp",
    "TooManyDeliveries",
    "TreeStopped",
]


class GensupError(Exception):
    """Base class of every error gensup raises.

    Example:
        >>> issubclass(ChildNotFound, GensupError)
        True
    """


class InvalidSpec(GensupError, ValueError):
    """A spec was built with a bad value (raised when the spec is built).

    The message names the field, the path of the spec and what was expected.

    Example:
        >>> from gensup import Supervisor
        >>> try:
        ...     Supervisor("root", strategy="one_for_none")
        ... except InvalidSpec as error:
        ...     print(error)
        Supervisor 'root': 'strategy' must be one of 'one_for_one', 'one_for_all', \
'rest_for_one' (got 'one_for_none')
    """


class InvalidSpecType(InvalidSpec, TypeError):
    """A spec field got a value of the wrong type, such as a generator object
    where a function was meant.

    Also the crash of a worker whose ``func`` is not a generator function
    and returned something other than a generator when it was called at a
    start: that can only be seen then.

    Example:
        >>> from gensup import Worker
        >>> try:
        ...     Worker("w", "ticker")
        ... except TypeError as error:
        ...     print(error)
        Worker 'w': 'func' must be a generator function or another callable that \
returns a generator (got 'ticker')
    """


class InvalidCommand(GensupError, TypeError):
    """A worker yielded something that is not a command.

    It is thrown into the worker at the offending ``yield``, so the traceback
    points there; unless the worker catches it, the worker crashes.
    """


class ChildNotFound(GensupError, LookupError):
    """No child at that path in the running tree (OTP's ``{error, not_found}``).

    Also raised for a path under a supervisor that is not running.
    """


class ChildAlreadyPresent(GensupError, ValueError):
    """``start_child`` with an id that a stopped child already has
    (OTP's ``{error, already_present}``)."""


class ChildAlreadyStarted(ChildAlreadyPresent):
    """``start_child`` with an id that a running child already has
    (OTP's ``{error, {already_started, Pid}}``)."""


class ChildRunning(GensupError, RuntimeError):
    """``restart_child`` or ``delete_child`` of a running child
    (OTP's ``{error, running}``)."""


class ChildRestarting(GensupError, RuntimeError):
    """``restart_child`` or ``delete_child`` of a child whose restart is
    pending (OTP's ``{error, restarting}``)."""


class StartFailed(GensupError, RuntimeError):
    """A child, or the root, failed to start.

    The exception is chained (``__cause__``) to what the worker raised.
    """


class SupervisorGaveUp(GensupError, RuntimeError):
    """The root supervisor reached its restart intensity and stopped the tree.

    Raised by the ``Tree`` call during which that happened.
    """


class ReentrantCall(GensupError, RuntimeError):
    """A mutating ``Tree`` method was called while another one was running.

    Either from inside the tree (a worker, an observer, a driver): workers
    change the tree only through commands, so yield ``emit(...)``.  Or from
    a second thread, which the message says: a tree is not thread-safe, so
    call it from one thread, or hold one lock around every call to it.  The
    check is cheap rather than airtight: two threads that enter at the same
    instant may both get in, so do not rely on it as a lock.
    """


class TooManyDeliveries(GensupError, RuntimeError):
    """One call delivered more emitted events than ``max_deliveries``.

    Workers that emit events at each other without end (a PING answered by a
    PONG answered by a PING...) would otherwise keep the call from ever
    returning.  Past the bound (`gensup.start`'s ``max_deliveries``, ten
    million by default), the events still queued and any emitted after are
    reported dropped, while exits and restarts are handled as usual, so the
    tree settles and runs on; then the call raises this.  The message names
    the events most delivered towards the end, and the workers that emitted
    them most.

    Example:
        >>> import gensup
        >>> from gensup import Supervisor, Worker, emit, waitfor
        >>> def echo(hear, say):
        ...     while True:
        ...         yield waitfor(hear)
        ...         yield emit(say)
        >>> spec = Supervisor(
        ...     "root", [Worker("ping", echo, args=("PING", "PONG")),
        ...              Worker("pong", echo, args=("PONG", "PING"))]
        ... )
        >>> with gensup.start(spec, max_deliveries=1000) as tree:
        ...     try:
        ...         tree.signal("PING")
        ...     except TooManyDeliveries as error:
        ...         print(str(error).split(":")[0])
        ...     tree.alive
        more than 1,000 emitted events were delivered in one call (max_deliveries)
        True
    """


class TreeStopped(GensupError, RuntimeError):
    """A mutating call on a tree that is no longer alive."""


class ReplyNotReady(GensupError, RuntimeError):
    """``Tree.request`` got no reply within the call.

    The synchronous core cannot wait: a reply that needs time (a timer, a
    call, another signal) comes only after ``request`` has returned.  Use
    `Tree.send_request` and look at its `PendingRequest` later, or
    ``await tree.request(...)`` under the async driver
    (`gensup.aio.AsyncTree.request`).
    """


class RequestFailed(GensupError, RuntimeError):
    """A request can get no reply: no worker took it, or the worker that took
    it crashed or was stopped before replying (chained to its exception)."""


class PlacementLost(GensupError, RuntimeError):
    """A placed subtree's far end went away: its process died (a crash, an
    out-of-memory kill, ``kill -9``) or its Ray actor was lost.

    The parent sees it as the placed supervisor's crash, with this exception,
    and restarts it by its strategy, in a new process or actor.
    """


class RemoteError(GensupError, RuntimeError):
    """An exception of a placed subtree that could not cross to its parent as
    itself (it does not pickle): its type's name and message, with the far
    end's traceback in its notes."""


class RecordError(GensupError, TypeError):
    """A recorded tree was given something it cannot write down.

    A tree started with ``gensup.start(spec, record=path)`` writes every input
    as JSON (see `gensup.testing.replay`); a value it cannot write (and
    rebuild the same) is refused by the call that was given it, before that
    call changes anything.  The message names the call, the field and the
    value.

    Example:
        >>> import gensup, os, tempfile
        >>> from gensup import Supervisor
        >>> path = os.path.join(tempfile.mkdtemp(), "run.jsonl")
        >>> with gensup.start(Supervisor("root"), record=path) as tree:
        ...     try:
        ...         tree.signal("PING", object)
        ...     except RecordError as error:
        ...         print(error)
        Tree.signal(): cannot record args[0] = <class 'object'>: a record holds None, bool, \
int, float, str, bytes, and lists, tuples and dicts of them
    """


class ReplayError(GensupError, ValueError):
    """A record cannot be replayed: it does not match the spec given, its
    format is unknown, a line is malformed, or the replay went another way
    than the recorded run (the message names the file and the line)."""
