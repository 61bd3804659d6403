"""Where a placed subtree runs: the `Placement` a spec names, and its `Link`.

A supervisor spec with ``placement=`` runs, with everything under it, away
from its parent: in another process (`gensup.Process`), in a Ray actor
(`gensup.ray.Actor`), or wherever a `Placement` puts it.  The parent's tree
keeps a stand-in node for it and supervises that like any child supervisor;
the async driver carries messages both ways through a `Link`, one per
incarnation of the subtree.

A placement only moves batches: lists of messages, each a picklable tuple
(the link pickles a batch whole, or has it pickled, as Ray does).  What the
messages say, and the running of the subtree at the far end (`serve`, in
``_remote``), are gensup's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

__all__ = ["Link", "Placement"]


@runtime_checkable
class Link(Protocol):
    """One incarnation of a placed subtree, as its parent's driver sees it.

    Made by `Placement.open`; every method is called in the event loop's
    thread.
    """

    def send(self, batch: list[Any]) -> None:
        """Send ``batch`` to the subtree, after every batch sent before.

        May be called before the far end is up (the link holds the batch
        until it is).  Must not block for long: a slow far end is absorbed
        by a buffer, or by blocking only as long as a pipe's buffer is full.
        """

    def close(self) -> None:
        """End the far end now, whatever it is doing (kill it if need be).

        After it, nothing more is received.  Returns at once; call
        `wait_closed` (in a thread) to know the far end is gone.  Calling it
        again does nothing.
        """

    def wait_closed(self, timeout: float) -> bool:
        """Block until the far end is gone, or ``timeout`` seconds passed.

        Called in a worker thread, never in the loop's.  Returns whether the
        far end is gone (its process reaped, its actor killed).
        """


class Placement(Protocol):
    """Where a placed subtree runs: what ``Supervisor(..., placement=)`` takes.

    `gensup.Process` and `gensup.ray.Actor` are the two that gensup has.
    """

    def open(
        self,
        boot: bytes,
        received: Callable[[list[Any]], None],
        ended: Callable[[str], None],
    ) -> Link:
        """Start one incarnation of the subtree at the far end; return its link.

        At the far end, call ``gensup._remote.serve(boot, recv, send)``:
        ``recv()`` blocks until the next batch the parent sent (a list of
        messages, in order) and returns None once the parent is gone; ``send``
        carries a batch back.  ``serve`` returns when the subtree has
        stopped and its last batch was sent.

        Back at the parent, call ``received(batch)`` with each batch from the
        far end, in order, from any thread; and ``ended(why)`` once, from any
        thread, if the far end goes away without `Link.close` (its process
        died): ``why`` says how, as "process 4121 was killed by SIGKILL".
        Neither is called after `Link.close`.

        Must return quickly: starting a process or an actor goes on after it.
        """
        ...

    def describe(self) -> str:
        """A short text for pictures and messages, such as ``process``."""
        ...
