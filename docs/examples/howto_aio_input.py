"""Events from other threads and from async iterables, into a running tree."""

import anyio
import anyio.to_thread
from loguru import logger

import gensup.aio
from gensup import Supervisor, Worker, waitfor


def printer():
    while True:
        event, *args = yield waitfor("LINE", "KEY", "QUIT")
        print(f"printer: {event} {args}")
        if event == "QUIT":
            return


def producer(tree):
    """Runs in a thread of its own: it must not call tree.signal()."""
    futures = [tree.signal_threadsafe("LINE", n) for n in (1, 2)]
    # Each future resolves to what signal() returned there: workers reached.
    print(f"thread: reached {[future.result() for future in futures]}")


async def keys():
    """Any async iterable will do: a socket, a channel, a message queue."""
    for key in "ab":
        await anyio.sleep(0.001)
        yield ("KEY", key)  # with feed(..., event=None): (event, *args)
    yield ("QUIT",)


SPEC = Supervisor(
    "root",
    [Worker("printer", printer, restart="transient", significant=True)],
    auto_shutdown="any_significant",
)


async def main():
    async with gensup.aio.start(SPEC) as tree:
        await anyio.to_thread.run_sync(producer, tree)
        tree.feed(keys())
        await tree.wait_stopped()  # QUIT ends the printer, and the tree
        print("main: stopped")


if __name__ == "__main__":
    logger.remove()
    anyio.run(main)
