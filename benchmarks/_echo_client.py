"""The client of the echo benchmark, run as a process of its own.

    python benchmarks/_echo_client.py PORT CONNECTIONS ROUNDS

Opens CONNECTIONS connections to 127.0.0.1:PORT at once; each sends a
32-byte line and waits for it to come back, ROUNDS times, then closes.
Prints the number of round trips done.  Plain asyncio streams, the same for
every server measured, so that the servers are compared on equal terms.
"""

from __future__ import annotations

import asyncio
import sys

LINE = b"x" * 31 + b"\n"


async def talk(port: int, rounds: int) -> int:
    """One connection's round trips."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for _ in range(rounds):
        writer.write(LINE)
        if await reader.readline() != LINE:
            raise RuntimeError("the server answered something else")
    writer.close()
    await writer.wait_closed()
    return rounds


async def main(port: int, connections: int, rounds: int) -> int:
    done = await asyncio.gather(*(talk(port, rounds) for _ in range(connections)))
    return sum(done)


if __name__ == "__main__":
    port, connections, rounds = map(int, sys.argv[1:4])
    print(asyncio.run(main(port, connections, rounds)))
