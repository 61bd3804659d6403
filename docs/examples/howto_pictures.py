"""Draw a tree as text: its spec before it runs, then the running tree."""

from loguru import logger

import gensup
from gensup import Backoff, Supervisor, VirtualClock, Worker, render, waitfor


def server():
    while True:
        event, *args = yield waitfor("REQUEST", "CRASH")
        if event == "CRASH":
            raise RuntimeError("crashed on purpose")


SPEC = Supervisor(
    "shop",
    [
        # Restarted after 2 s, then 4 s, 8 s, ... up to 60 s.
        Worker("web", server, backoff=Backoff(2, 60)),
        Supervisor(
            "pool",
            [Worker("db", server), Worker("cache", server)],
            strategy="one_for_all",
            intensity=3,
            period=10,
        ),
        Worker("audit", server, restart="transient"),
    ],
    intensity=5,
)


def crashed(clock):
    """Start the tree on ``clock``, then crash web and db."""
    tree = gensup.start(SPEC, clock=clock)
    tree.signal("CRASH", to="shop/web")  # restarted in 2 s
    tree.signal("CRASH", to="shop/pool/db")  # restarted with cache
    return tree


def snapshot():
    """The running tree after the crashes, as SVG (drawn in the docs)."""
    with crashed(VirtualClock()) as tree:
        return render.svg(tree)


if __name__ == "__main__":
    logger.remove()  # quiet: this example is about pictures
    print(render.text(SPEC))
    print()
    with crashed(VirtualClock()) as tree:
        print(render.text(tree))  # print(tree) prints the same
