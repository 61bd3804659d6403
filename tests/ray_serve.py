"""Stand-ins for ``gensup._remote.serve`` that the Ray link's tests run inside actors.

Ray's workers import this module by name: the session's Ray is started with
this directory on their ``PYTHONPATH`` (see ``ray_cluster`` in conftest.py).
"""

from __future__ import annotations

from collections.abc import Callable

Recv = Callable[[], "list[bytes] | None"]
Send = Callable[[list[bytes]], None]


def echo(boot: bytes, recv: Recv, send: Send) -> None:
    """Send ``[boot]`` first, then every batch received back as it came, until recv ends."""
    send([boot])
    while (batch := recv()) is not None:
        send(batch)


def stop_on(boot: bytes, recv: Recv, send: Send) -> None:
    """Echo batches until one holds ``boot``, then return."""
    while (batch := recv()) is not None:
        send(batch)
        if boot in batch:
            return


def fail(boot: bytes, recv: Recv, send: Send) -> None:
    """Send ``[boot]``, then raise."""
    send([boot])
    raise RuntimeError("the runner broke")
