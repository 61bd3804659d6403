"""Listeners and pending requests: the handles that `Tree.listen` and
`Tree.send_request` return.

Both are plain objects that the engine (``_dispatch``) keeps in its tables;
they hold no reference to the engine's internals beyond a callback that takes
them out of those tables when they are cancelled.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from . import _log
from ._commands import Ref
from ._errors import ReplyNotReady, RequestFailed

__all__ = ["Listener", "PendingRequest"]


class Listener:
    """A callback that hears every occurrence of an event; `Tree.listen` returns it.

    Example:
        >>> import gensup
        >>> from gensup import Supervisor
        >>> heard = []
        >>> with gensup.start(Supervisor("root")) as tree:
        ...     listener = tree.listen("DONE", heard.append)
        ...     _ = tree.signal("DONE", 1)
        ...     listener.cancel()
        ...     _ = tree.signal("DONE", 2)
        >>> heard
        [('DONE', 1)]
    """

    __slots__ = ("_forget", "active", "callback", "event")

    def __init__(
        self,
        event: Hashable,
        callback: Callable[[tuple[Any, ...]], object],
        forget: Callable[[Listener], None],
    ) -> None:
        #: The event it listens to.
        self.event = event
        #: Called with ``(event, *args)``.
        self.callback = callback
        # Invariant: true iff it is in its tree's table of listeners.
        #: Whether it still listens (false once cancelled).
        self.active = True
        self._forget = forget

    def cancel(self) -> None:
        """Stop listening; cancelling twice does nothing."""
        if self.active:
            self.active = False
            self._forget(self)

    def __repr__(self) -> str:
        state = "active" if self.active else "cancelled"
        return f"<gensup.Listener {self.event!r} {state}>"


class PendingRequest:
    """A request sent into the tree, and its reply once it comes.

    `Tree.send_request` returns it; `Tree.request` is built on it.

    Example:
        >>> import gensup
        >>> from gensup import Supervisor, Worker, emit, waitfor
        >>> def doubler():
        ...     while True:
        ...         _, n, reply = yield waitfor("DOUBLE")
        ...         yield emit(reply, 2 * n)
        >>> with gensup.start(Supervisor("root", [Worker("d", doubler)])) as tree:
        ...     pending = tree.send_request("DOUBLE", 21)
        ...     pending.done, pending.result()
        (True, 42)

    The reply is the value the worker emits to `ref`: its single argument, or
    the tuple of its arguments if there are several (``None`` if none).
    """

    __slots__ = ("_callbacks", "_error", "_forget", "_value", "done", "event", "handler", "ref")

    def __init__(self, event: Hashable, ref: Ref, forget: Callable[[PendingRequest], None]) -> None:
        #: The event of the request.
        self.event = event
        #: The fresh `Ref` sent as the request's last argument, where the reply goes.
        self.ref = ref
        # Invariant: true once it has a reply, failed or was cancelled.
        #: Whether it is settled: replied to, failed or cancelled.
        self.done = False
        #: The path of the worker that took the request (one-of-N only), once one did.
        self.handler: str | None = None
        self._value: object = None
        self._error: BaseException | None = None
        self._callbacks: list[Callable[[PendingRequest], object]] = []
        self._forget = forget

    def result(self) -> object:
        """The reply.

        Raises:
            RequestFailed: no worker took it, or the one that did crashed or
                was stopped before replying, or it was cancelled.
            ReplyNotReady: no reply yet.
        """
        if not self.done:
            raise ReplyNotReady(
                f"the request {self.event!r} ({self.ref!r}) has no reply yet: the reply "
                f"needs time (a timer, a call, a later signal); wait for it with gensup.aio's "
                f"awaitable request, or look at this PendingRequest again later"
            )
        if self._error is not None:
            raise self._error
        return self._value

    def add_done_callback(self, fn: Callable[[PendingRequest], object]) -> None:
        """Call ``fn(self)`` once it is settled (at once if it is already).

        A callback that raises is logged, and the tree goes on.
        """
        if not self.done:
            self._callbacks.append(fn)
            return
        try:
            fn(self)
        except Exception as exc:
            _log.log_listener_error(self.ref, exc)

    def cancel(self) -> bool:
        """Give up on the reply: a reply that comes later is reported `Dropped`.

        Returns:
            Whether it was pending (False if it was settled already).
        """
        if self.done:
            return False
        self._settle(
            None, RequestFailed(f"the request {self.event!r} ({self.ref!r}) was cancelled")
        )
        return True

    def _settle(self, value: object, error: BaseException | None) -> list[Exception]:
        """Settle it; return what its callbacks raised."""
        self.done = True
        self._value, self._error = value, error
        self._forget(self)
        errors: list[Exception] = []
        callbacks, self._callbacks = self._callbacks, []
        for fn in callbacks:
            try:
                fn(self)
            except Exception as exc:
                errors.append(exc)
        return errors

    def __repr__(self) -> str:
        if not self.done:
            state = "pending"
        elif self._error is not None:
            state = f"failed: {self._error}"
        else:
            state = f"replied {self._value!r}"
        return f"<gensup.PendingRequest {self.event!r} {self.ref!r} {state}>"
