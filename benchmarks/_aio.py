"""Benchmarks of the async driver (gensup.aio): signals from a coroutine, an echo server.

aio-signal
    The same tree, signalled the same number of times from one coroutine,
    once under the async driver and once as a plain tree with no driver (the
    "floor" column), by turns, so that both are measured at the same moments.
    ``AsyncTree.signal`` is the core's own bound method, so what is left to
    measure is what the driver adds: its callbacks (a worker that waits with
    a timeout sets a timer on every wait).  Only the signalling is timed.

echo
    examples/echo_server.py (a supervised session per connection, each read
    and each write a ``call`` run by the driver, each read with an idle
    timeout) against a bare asyncio echo server (``asyncio.start_server``,
    ``readline``, ``write``, ``drain``: no supervision, no timeout), both
    under asyncio, with the same client in a process of its own
    (``_echo_client.py``).  The figure is round trips per second of the
    server's CPU time, so that the client's own speed and the machine's load
    count for little.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import importlib.util
import statistics
import sys
from collections.abc import Callable, Generator
from pathlib import Path
from types import ModuleType
from typing import Any

import _delivery
import anyio
import anyio.abc
from _harness import Report, Run, Side, clock, compare_rates, rate_row
from anyio.abc import SocketAttribute
from anyio.streams.buffered import BufferedByteReceiveStream

import gensup
import gensup.aio
from gensup import Supervisor, Worker, waitfor

HERE = Path(__file__).resolve().parent
CLIENT = HERE / "_echo_client.py"

WorkerGen = Generator[Any, Any, Any]


# ---- aio-signal ----


def tick_with_timeout() -> WorkerGen:
    """Wait for TICK again and again, each wait with a timeout that never fires."""
    tick = waitfor("TICK", timeout=3600)
    while True:
        yield tick


WORKERS: dict[str, Callable[[], WorkerGen]] = {
    "waitfor": _delivery.tick_fast,
    "waitfor with timeout": tick_with_timeout,
}


def signal_pair(spec: Supervisor, rounds: int, backend: str) -> tuple[float, float]:
    """Dispatches per second of a plain tree and of the same tree under the
    driver, signalled from one coroutine, in alternating chunks.

    The two trees are signalled by turns, a hundred signals at a time, the
    order swapped at each turn, and the time of each side summed: both are
    measured at the same moments, so that a slow second of the machine
    slows both alike.  Only the signalling is timed, not the start.
    """
    chunk = 100

    async def body() -> tuple[float, float]:
        plain = gensup.start(spec)
        async with gensup.aio.start(spec) as tree:
            sides = [[plain.signal, 0, 0.0], [tree.signal, 0, 0.0]]
            for turn in range(max(1, rounds // chunk)):
                for side in sides if turn % 2 else reversed(sides):
                    signal = side[0]
                    reached = 0
                    began = clock()
                    for j in range(chunk):
                        reached += signal("TICK", j)
                    side[2] += clock() - began
                    side[1] += reached
        plain.stop()
        return sides[0][1] / sides[0][2], sides[1][1] / sides[1][2]

    return anyio.run(body, backend=backend)


SIGNAL_NOTE = (
    "floor = the same tree without the driver, signalled from the same coroutine "
    "by turns, 100 signals at a time"
)


def aio_signal(report: Report, *, quick: bool, reps: int, peak: bool) -> None:
    """signal() from a coroutine under the driver, against the plain tree."""
    n, rounds = (10, 200) if quick else (100, 10_000)
    for backend in ("asyncio", "trio"):
        for form, func in WORKERS.items():
            spec = Supervisor("root", [Worker(f"w{i}", func) for i in range(n)])
            signal_pair(spec, rounds, backend)  # warm-up
            rates: dict[str, list[float]] = {"floor": [], "gensup": []}
            for _ in range(reps):
                gc.collect()
                floor, driven = signal_pair(spec, rounds, backend)
                rates["floor"].append(floor)
                rates["gensup"].append(driven)
            sides = {
                name: Side(statistics.median(values), values, None)
                for name, values in rates.items()
            }
            case = f"{backend}, N={n} {form}"
            first = not any(row.bench == "aio-signal" for row in report.rows)
            report.rows.append(
                rate_row(
                    "aio-signal",
                    case,
                    "dispatches/s",
                    sides["gensup"],
                    sides["floor"],
                    note=SIGNAL_NOTE if first else "",
                )
            )
            if not quick:
                report.target(
                    "aio-signal",
                    f"{backend}, {form}: under the driver / plain (within 1.1x)",
                    report.row("aio-signal", case).ratio,
                    1 / 1.1,
                    at_least=True,
                )


# ---- echo ----


def load_example() -> ModuleType:
    """examples/echo_server.py, imported from its file."""
    path = HERE.parent / "examples" / "echo_server.py"
    spec = importlib.util.spec_from_file_location("echo_server", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def drive(port: int, connections: int, rounds: int) -> tuple[int, float]:
    """Run the client against ``port``; the round trips and the server's CPU seconds."""
    began = clock()
    client = await asyncio.create_subprocess_exec(
        sys.executable,
        str(CLIENT),
        str(port),
        str(connections),
        str(rounds),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await client.communicate()
    elapsed = clock() - began
    if client.returncode != 0:
        raise RuntimeError(f"the echo client failed ({client.returncode})")
    return int(out), elapsed


async def bare_echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """The bare asyncio echo server's connection handler."""
    try:
        while line := await reader.readline():
            writer.write(line)
            await writer.drain()
    finally:
        writer.close()


def echo_bare(connections: int, rounds: int) -> tuple[Run, Callable[[], None]]:
    """A bare asyncio echo server: the floor."""

    async def main() -> tuple[int, float]:
        server = await asyncio.start_server(bare_echo, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            return await drive(port, connections, rounds)

    return lambda: asyncio.run(main()), lambda: None


async def anyio_echo(stream: anyio.abc.SocketStream) -> None:
    """The session of examples/echo_server.py in plain anyio: a task, no tree."""
    lines = BufferedByteReceiveStream(stream)
    async with stream:
        with contextlib.suppress(anyio.IncompleteRead, anyio.EndOfStream):
            while True:
                with anyio.move_on_after(30):
                    line = await lines.receive_until(b"\n", 4096)
                await stream.send(line + b"\n")


def echo_anyio(connections: int, rounds: int) -> tuple[Run, Callable[[], None]]:
    """The same I/O as the gensup echo server, in plain anyio on asyncio."""

    async def serve(task_status: anyio.abc.TaskStatus[int]) -> None:
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        async with listener:
            task_status.started(listener.extra(SocketAttribute.local_port))
            await listener.serve(anyio_echo)

    async def main() -> tuple[int, float]:
        async with anyio.create_task_group() as group:
            port = await group.start(serve)
            done = await drive(port, connections, rounds)
            group.cancel_scope.cancel()
        return done

    return lambda: anyio.run(main, backend="asyncio"), lambda: None


def echo_gensup(connections: int, rounds: int) -> tuple[Run, Callable[[], None]]:
    """examples/echo_server.py under the async driver on asyncio."""
    echo_server = load_example()

    async def main() -> tuple[int, float]:
        async with anyio.create_task_group() as group:
            port, _tree = await group.start(echo_server.serve)
            done = await drive(port, connections, rounds)
            group.cancel_scope.cancel()
        return done

    return lambda: anyio.run(main, backend="asyncio"), lambda: None


def echo(report: Report, *, quick: bool, reps: int, peak: bool) -> None:
    """Round trips per server CPU-second: the gensup echo server against a bare
    asyncio one, and against the same server in plain anyio."""
    connections, rounds = (2, 5) if quick else (50, 400)
    result = compare_rates(
        {
            "floor": functools.partial(echo_bare, connections, rounds),
            "anyio": functools.partial(echo_anyio, connections, rounds),
            "gensup": functools.partial(echo_gensup, connections, rounds),
        },
        reps,
        peak=peak,
    )
    unit = "round trips/s"
    bare = f"{connections} connections, vs bare asyncio"
    plain = f"{connections} connections, vs plain anyio"
    anyio_ratio = result["anyio"].median / result["floor"].median
    report.rows += [
        rate_row(
            "echo",
            bare,
            unit,
            result["gensup"],
            result["floor"],
            note="per second of the server's CPU; floor = asyncio.start_server, readline, "
            f"write, drain; the same server in plain anyio is at {anyio_ratio:.2f}x of it",
        ),
        rate_row(
            "echo",
            plain,
            unit,
            result["gensup"],
            result["anyio"],
            note="floor = the same sessions in plain anyio, a task per connection, no tree",
        ),
    ]
    if not quick:
        report.target(
            "echo",
            "round trips/s, gensup / bare asyncio",
            report.row("echo", bare).ratio,
            0.7,
            at_least=True,
        )
