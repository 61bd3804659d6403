"""A TCP echo server: every connection is a supervised session worker.

    python examples/echo_server.py           # the demo: clients talk to a server, then it stops
    python examples/echo_server.py 8000      # serve on 127.0.0.1:8000 until Ctrl-C
    python examples/echo_server.py 8000 --trio

The tree:

    root
    └── sessions     one temporary worker per connection, added with start_child

A session reads lines with ``call`` (a connection idle for ``IDLE`` seconds
is told so and closed), answers each line with the line itself, and crashes
on the line ``crash``: its connection is closed, and every other session goes
on, as with any crash under a supervisor.  The task that accepted the
connection owns its socket: it starts the session, waits for it to end, and
closes the socket after it.  When the server stops, each such task stops its
session first, then closes its socket, and the tree is stopped last.

Try it with ``nc 127.0.0.1 8000`` (or ``telnet``) in a few terminals.
"""

from __future__ import annotations

import functools
import itertools
import sys
from collections.abc import Callable, Generator, Iterator
from typing import Any

import anyio
import anyio.abc
from anyio.abc import SocketAttribute
from anyio.streams.buffered import BufferedByteReceiveStream
from loguru import logger

import gensup
import gensup.aio
from gensup import Supervisor, TreeStopped, Worker, call
from gensup.reports import Report, Started, Stopped

#: Seconds a connection may stay silent before it is closed.
IDLE = 30.0
#: The longest line a session reads, in bytes (longer: the session crashes).
MAX_LINE = 4096

SPEC = Supervisor("root", [Supervisor("sessions")])

# What tells a session that its client is gone.
HUNG_UP = (
    anyio.EndOfStream,
    anyio.IncompleteRead,
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
)


def session(
    stream: anyio.abc.ByteStream, idle: float, ended: anyio.Event
) -> Generator[Any, Any, None]:
    """Answer each line of one connection until the client leaves or idles."""
    lines = BufferedByteReceiveStream(stream)
    try:
        while True:
            try:
                line = yield call(lines.receive_until, b"\n", MAX_LINE, timeout=idle)
            except TimeoutError:
                yield call(stream.send, f"bye: idle for {idle:g} s\n".encode())
                return
            except HUNG_UP:
                return
            if line.strip() == b"crash":
                raise RuntimeError("the client asked for a crash")
            yield call(stream.send, line + b"\n")
    finally:
        ended.set()  # the connection's task closes the socket now


async def connection(
    tree: gensup.aio.AsyncTree,
    idle: float,
    names: Iterator[int],
    stream: anyio.abc.SocketStream,
) -> None:
    """Run one connection: start its session, wait for its end, close the socket."""
    name = f"session-{next(names)}"
    ended = anyio.Event()
    async with stream:
        try:
            tree.start_child(
                "root/sessions",
                Worker(name, session, args=(stream, idle, ended), restart="temporary"),
            )
        except TreeStopped:
            return
        try:
            await ended.wait()
        finally:
            if not ended.is_set():
                # The server is stopping: the session first, then its socket.
                tree.terminate_child(f"root/sessions/{name}")


async def serve(
    port: int = 0,
    *,
    idle: float = IDLE,
    observer: Callable[[Report], object] | None = None,
    task_status: anyio.abc.TaskStatus[tuple[int, gensup.aio.AsyncTree]] = (
        anyio.TASK_STATUS_IGNORED
    ),
) -> None:
    """Serve on 127.0.0.1:``port`` (0: a free port) until cancelled or the tree stops.

    With ``task_group.start(serve)``, the caller gets ``(port, tree)`` once
    the server listens.
    """
    names = itertools.count(1)
    async with gensup.aio.start(SPEC, observer=observer) as tree:
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=port)
        async with listener, anyio.create_task_group() as group:
            group.start_soon(listener.serve, functools.partial(connection, tree, idle, names))
            task_status.started((listener.extra(SocketAttribute.local_port), tree))
            await tree.wait_stopped()
            group.cancel_scope.cancel()


# ---- The demo: a few clients, one server, a story printed in order ----


class Client:
    """A client that prints what it says and what it hears."""

    def __init__(self, name: str, stream: anyio.abc.SocketStream) -> None:
        self.name = name
        self.stream = stream
        self.lines = BufferedByteReceiveStream(stream)

    @classmethod
    async def connect(cls, name: str, port: int) -> Client:
        return cls(name, await anyio.connect_tcp("127.0.0.1", port))

    async def say(self, line: str) -> None:
        print(f"{self.name} > {line}")
        await self.stream.send(line.encode() + b"\n")
        await self.listen()

    async def listen(self) -> None:
        try:
            line = (await self.lines.receive_until(b"\n", MAX_LINE)).decode()
        except HUNG_UP:
            line = "(the server closed the connection)"
            await self.stream.aclose()
        print(f"{self.name} < {line}")


async def demo() -> None:
    server_log: list[str] = []

    def observe(report: Report) -> None:
        if type(report) is Started:
            server_log.append(f"started {report.path}")
        elif type(report) is Stopped:
            error = "" if report.exception is None else f": {report.exception!r}"
            server_log.append(f"stopped {report.path} ({report.reason.value}{error})")

    async with anyio.create_task_group() as group:
        port, tree = await group.start(functools.partial(serve, idle=0.5, observer=observe))
        carol = await Client.connect("carol", port)
        await carol.listen()  # she says nothing for half a second
        await carol.listen()
        alice = await Client.connect("alice", port)
        await alice.say("hello")
        bob = await Client.connect("bob", port)
        await bob.say("hi, I am bob")
        await bob.say("crash")
        await alice.say("still there?")
        sessions = [info.id for info in tree.which_children("root/sessions")]
        print(f"sessions running: {sessions}")
        group.cancel_scope.cancel()  # stop the server
    await alice.listen()
    print("server log:")
    for line in server_log:
        print(f"  {line}")


def main(argv: list[str]) -> None:
    """The demo without arguments; a server on a port with one."""
    backend = "trio" if "--trio" in argv else "asyncio"
    ports = [arg for arg in argv if arg.isdigit()]
    if not ports:
        # The demo tells its own story; the crash report would go to stderr.
        logger.remove()
        anyio.run(demo, backend=backend)
        return
    print(f"serving on 127.0.0.1:{ports[0]}; Ctrl-C to stop", flush=True)
    try:
        anyio.run(functools.partial(serve, int(ports[0])), backend=backend)
    except KeyboardInterrupt:
        print("stopped")


if __name__ == "__main__":
    main(sys.argv[1:])
