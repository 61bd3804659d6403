"""Ask a pool for answers that take time, and read results as they come."""

import anyio
from loguru import logger

import gensup.aio
from gensup import Supervisor, Worker, call, emit, waitfor


async def lookup(key):
    await anyio.sleep(0.01)  # a real wait, as a service would take
    return key.upper()


def service():
    """Answers each GET after a lookup, and announces it as ANSWERED."""
    while True:
        _, key, reply = yield waitfor("GET")
        value = yield call(lookup, key)
        yield emit(reply, value)
        yield emit("ANSWERED", key, value)


POOL = [Worker("a", service), Worker("b", service)]
SPEC = Supervisor("root", [Supervisor("svc", POOL, backlog=10)])


async def ask(tree, key, replies):
    replies[key] = await tree.request("GET", key, to="root/svc", timeout=5)


async def main():
    async with (
        gensup.aio.start(SPEC) as tree,
        tree.events("ANSWERED") as answered,
    ):
        # Two requests at once: each goes to one worker of the pool.
        replies = {}
        async with anyio.create_task_group() as tg:
            for key in ("alpha", "beta"):
                tg.start_soon(ask, tree, key, replies)
        for key in sorted(replies):
            print(f"request {key!r} -> {replies[key]!r}")
        seen = []
        async for key, value in answered:
            seen.append(f"{key}={value}")
            if len(seen) == 2:
                break
        print("answered:", ", ".join(sorted(seen)))


if __name__ == "__main__":
    logger.remove()
    anyio.run(main)
