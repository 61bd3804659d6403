"""Run a tree inside an asyncio (or trio) program with gensup.aio."""

import anyio
from loguru import logger

import gensup.aio
from gensup import Supervisor, Worker, emit, sleep, waitfor


def metronome(beats):
    """Emits TICK every 20 ms of real time, `beats` times, then ends."""
    for n in range(1, beats + 1):
        yield sleep(0.02)  # a real timer, fired by the driver
        yield emit("TICK", n)


def listener():
    try:
        while True:
            event, *args = yield waitfor("TICK", "HELLO")
            print(f"listener: {event} {args}")
    finally:
        print("listener: closed")


SPEC = Supervisor(
    "root",
    [
        Worker("listener", listener),
        # When the metronome ends, so does the tree (as in OTP).
        Worker(
            "metronome",
            metronome,
            args=(3,),
            restart="transient",
            significant=True,
        ),
    ],
    auto_shutdown="any_significant",
)


async def main():
    async with gensup.aio.start(SPEC) as tree:
        # signal() is the tree's own, synchronous: call it from any coroutine.
        reached = tree.signal("HELLO", "from main")
        print(f"main: HELLO reached {reached} worker(s)")
        await tree.wait_stopped()
        print(f"main: the tree stopped (alive: {tree.alive})")


if __name__ == "__main__":
    logger.remove()
    anyio.run(main)  # or anyio.run(main, backend="trio")
