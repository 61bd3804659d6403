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
    "ReentrantCall",
    "StartFailed",
    "SupervisorGaveUp",
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
    """A mutating ``Tree`` method was called from inside a worker or an observer.

    Workers change the tree only through commands: yield ``emit(...)``.
    """


class TreeStopped(GensupError, RuntimeError):
    """A mutating call on a tree that is no longer alive."""
