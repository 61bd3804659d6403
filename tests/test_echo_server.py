"""examples/echo_server.py with real sockets: many clients, some crashes, a clean shutdown.

The server runs in the test's event loop (asyncio in debug mode, then trio)
on a free port of 127.0.0.1; the clients are plain anyio TCP clients.
"""

from __future__ import annotations

import functools
import importlib.util
import pathlib
from types import ModuleType

import anyio
import anyio.abc
import pytest
from anyio.streams.buffered import BufferedByteReceiveStream

pytestmark = pytest.mark.anyio

PATH = pathlib.Path(__file__).resolve().parent.parent / "examples" / "echo_server.py"
CLIENTS = 100
CRASHING = range(0, CLIENTS, 10)  # every tenth client asks for a crash


def load() -> ModuleType:
    """The example, imported from its file (its main block does not run)."""
    spec = importlib.util.spec_from_file_location("echo_server", PATH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


echo_server = load()


class Client:
    def __init__(self, stream: anyio.abc.SocketStream) -> None:
        self.stream = stream
        self.lines = BufferedByteReceiveStream(stream)

    async def ask(self, line: str) -> str:
        await self.stream.send(line.encode() + b"\n")
        return await self.read()

    async def read(self) -> str:
        """The next line, or "EOF" once the server closed its side of the connection."""
        try:
            return (await self.lines.receive_until(b"\n", 1024)).decode()
        except (anyio.IncompleteRead, anyio.EndOfStream):
            return "EOF"


async def test_a_hundred_clients_crashes_and_shutdown() -> None:
    """Every client whose session did not crash keeps its conversation through the others'
    crashes, and every connection is closed by the server at shutdown."""
    conversations: dict[int, list[str]] = {}
    crashed_ready = anyio.Event()
    crashed = 0

    async with anyio.create_task_group() as server:
        port, tree = await server.start(echo_server.serve)
        clients: dict[int, Client] = {}

        async def talk(n: int) -> None:
            nonlocal crashed
            client = clients[n] = Client(await anyio.connect_tcp("127.0.0.1", port))
            said = conversations[n] = []
            said.append(await client.ask(f"hello from {n}"))
            if n in CRASHING:
                said.append(await client.ask("crash"))
                crashed += 1
                if crashed == len(CRASHING):
                    crashed_ready.set()
                return
            await crashed_ready.wait()  # the crashes are over: the others go on talking
            said.append(await client.ask(f"still {n}"))

        with anyio.fail_after(20):
            async with anyio.create_task_group() as talks:
                for n in range(CLIENTS):
                    talks.start_soon(talk, n)
        assert tree.count_children("root/sessions").active == CLIENTS - len(CRASHING)
        server.cancel_scope.cancel()

    assert not tree.alive
    for n in range(CLIENTS):
        if n in CRASHING:
            assert conversations[n] == [f"hello from {n}", "EOF"]
        else:
            assert conversations[n] == [f"hello from {n}", f"still {n}"]
    # Each surviving connection was closed by the server when it stopped.
    finals = [await clients[n].read() for n in range(CLIENTS)]
    assert finals == ["EOF"] * CLIENTS
    for client in clients.values():
        await client.stream.aclose()


async def test_an_idle_connection_is_told_and_closed() -> None:
    """A client that says nothing for the idle time is told so, then its connection is closed."""
    async with anyio.create_task_group() as server:
        port, tree = await server.start(functools.partial(echo_server.serve, idle=0.05))
        async with await anyio.connect_tcp("127.0.0.1", port) as stream:
            client = Client(stream)
            with anyio.fail_after(5):
                assert await client.read() == "bye: idle for 0.05 s"
                assert await client.read() == "EOF"
        assert tree.count_children("root/sessions").active == 0
        server.cancel_scope.cancel()


async def test_a_client_that_leaves_ends_its_session() -> None:
    """A client that closes its connection ends its session normally (no crash)."""
    stops: list[object] = []

    def observe(report: object) -> None:
        if type(report).__name__ == "Stopped":
            stops.append(report)

    async with anyio.create_task_group() as server:
        port, tree = await server.start(functools.partial(echo_server.serve, observer=observe))
        async with await anyio.connect_tcp("127.0.0.1", port) as stream:
            assert await Client(stream).ask("hi") == "hi"
        with anyio.fail_after(5):
            while tree.count_children("root/sessions").active:
                await anyio.sleep(0.001)
        server.cancel_scope.cancel()
    session_stops = [r for r in stops if "session-" in r.path]  # type: ignore[attr-defined]
    assert [r.reason.value for r in session_stops] == ["normal"]  # type: ignore[attr-defined]
