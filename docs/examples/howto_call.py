"""Do I/O from a worker with call(): results, errors, timeouts, threads."""

import hashlib

import anyio
import anyio.to_thread
from loguru import logger

import gensup.aio
from gensup import Supervisor, Worker, call

PAGES = {"/": "welcome", "/about": "about gensup"}


async def fetch(path, delay=0.001):
    """Stands for real I/O: an HTTP client, a database driver..."""
    await anyio.sleep(delay)
    if path not in PAGES:
        raise LookupError(f"404 {path}")
    return PAGES[path]


def digest(text):
    """Blocking work: it must run in a thread, not in the event loop."""
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def crawler():
    page = yield call(fetch, "/")  # the value of the yield: the result
    print(f"crawler: / is {page!r}")
    try:
        yield call(fetch, "/missing")
    except LookupError as error:  # the call's exception, at the yield
        print(f"crawler: {error}")
    try:
        yield call(fetch, "/about", 10, timeout=0.05)
    except TimeoutError:  # the call was cancelled after 0.05 s
        print("crawler: /about took too long")
    hashed = yield call(anyio.to_thread.run_sync, digest, page)
    print(f"crawler: the digest of / is {hashed}")


SPEC = Supervisor(
    "root",
    [Worker("crawler", crawler, restart="transient", significant=True)],
    auto_shutdown="any_significant",
)


async def main():
    async with gensup.aio.start(SPEC) as tree:
        await tree.wait_stopped()


if __name__ == "__main__":
    logger.remove()
    anyio.run(main)
