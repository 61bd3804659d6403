"""`Process`: a placed subtree in another process of this machine.

Each incarnation of the subtree gets a fresh process, started with the
``spawn`` method (a new interpreter: safe beside threads and event loops, and
the same on every platform), connected by a pipe.  Two threads per link keep
the parent's event loop from ever blocking on the pipe: a writer, which also
starts the process, and a reader.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import pickle
import queue
import signal
import threading
from collections.abc import Callable
from typing import Any

import attrs

__all__ = ["Process"]


@attrs.frozen
class Process:
    """Run a subtree in another process of this machine: ``placement=Process()``.

    Example:
        >>> import gensup
        >>> spec = gensup.Supervisor("shard", [], placement=gensup.Process())
        >>> spec.placement
        Process()

    Each incarnation of the subtree runs in a new process, started with
    ``multiprocessing``'s ``spawn`` method: the subtree's spec, its workers'
    functions and their args are pickled, so they must be importable by name
    (a function at the top level of a module, not a lambda or a closure);
    the tree refuses one that is not when it starts.  The process ignores
    Ctrl-C (its parent stops it), and ends when its parent's tree stops it or
    goes away.
    """

    def describe(self) -> str:
        """``process``: how pictures and messages name this placement."""
        return "process"

    def open(
        self,
        boot: bytes,
        received: Callable[[list[Any]], None],
        ended: Callable[[str], None],
    ) -> _ProcessLink:
        """Start a process running the subtree; return its link at once."""
        return _ProcessLink(boot, received, ended)


class _ProcessLink:
    """The parent's end of one subtree process (see `gensup.Placement`)."""

    def __init__(
        self,
        boot: bytes,
        received: Callable[[list[Any]], None],
        ended: Callable[[str], None],
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child_conn = context.Pipe(duplex=True)
        self.process = context.Process(
            target=_main, args=(child_conn, boot), name="gensup subtree", daemon=True
        )
        self.child_conn = child_conn
        self.received = received
        self.ended = ended
        # Batches for the writer thread; None: write no more.
        self.outbox: queue.SimpleQueue[list[Any] | None] = queue.SimpleQueue()
        # Guards `closed` and the process's start and kill.
        self.lock = threading.Lock()
        self.closed = False
        self.started = False
        self.reader = threading.Thread(target=self._read, name="gensup link in", daemon=True)
        self.writer = threading.Thread(target=self._write, name="gensup link out", daemon=True)
        self.writer.start()

    # ---- The link (called in the event loop's thread) ----

    def send(self, batch: list[Any]) -> None:
        self.outbox.put(batch)

    def close(self) -> None:
        with self.lock:
            self.closed = True
            if self.started and self.process.is_alive():
                self.process.kill()
        self.outbox.put(None)  # the writer ends (more than one None does no harm)

    def wait_closed(self, timeout: float) -> bool:
        self.writer.join(timeout)
        with self.lock:
            started = self.started
        if started:
            self.process.join(timeout)
            self.reader.join(timeout)
            gone = not self.process.is_alive()
            if gone:
                self.conn.close()
            return gone
        return True

    # ---- Its threads ----

    def _write(self) -> None:
        with self.lock:
            if self.closed:
                return
            try:
                self.process.start()
            except Exception as exc:
                why = f"its process could not be started: {type(exc).__name__}: {exc}"
                self.closed = True
                self.ended(why)
                return
            self.started = True
        self.child_conn.close()  # the child has its own: EOF here once it is gone
        self.reader.start()
        send = self.conn.send_bytes
        while True:
            batch = self.outbox.get()
            if batch is None:
                return
            try:
                send(pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))
            except OSError:
                return  # the process is gone: the reader says so

    def _read(self) -> None:
        recv = self.conn.recv_bytes
        while True:
            try:
                data = recv()
            except (EOFError, OSError):
                break
            with self.lock:
                if self.closed:
                    return
            self.received(pickle.loads(data))
        with self.lock:
            if self.closed:
                return
            self.closed = True
        self.process.join(5.0)
        self.ended(_describe_exit(self.process))


def _describe_exit(process: multiprocessing.process.BaseProcess) -> str:
    code = process.exitcode
    if code is None:
        return f"process {process.pid} closed its pipe"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"process {process.pid} was killed by {name}"
    return f"process {process.pid} exited with code {code}"


def _main(conn: multiprocessing.connection.Connection, boot: bytes) -> None:
    """The subtree's process: serve the subtree until it ends, or its parent does."""
    from ._remote import serve

    # Ctrl-C at a terminal reaches the whole process group, and it is the
    # parent that stops the subtree.  (Its parent logs what it reports.)
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def recv() -> list[Any] | None:
        try:
            batch: list[Any] = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return None
        return batch

    def send(batch: list[Any]) -> None:
        conn.send_bytes(pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))

    serve(boot, recv, send)
