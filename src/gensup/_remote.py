"""The far end of a placed subtree: `serve` runs it, in a process or an actor.

(Being written: the interface is fixed, see `gensup._placement`.)
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["serve"]


def serve(
    boot: bytes,
    recv: Callable[[], list[bytes] | None],
    send: Callable[[list[bytes]], None],
) -> None:
    """Run the placed subtree that ``boot`` describes until it stops.

    Runs its own event loop in the calling thread.  ``recv`` is called from a
    thread of its own; ``send`` from the loop's thread.
    """
    raise NotImplementedError
