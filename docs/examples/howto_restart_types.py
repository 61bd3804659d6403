"""Restart types: what becomes of each after a return, and after a crash."""

from loguru import logger

import gensup
from gensup import Supervisor, Worker, waitfor


def worker():
    event, *args = yield waitfor("RETURN", "CRASH")
    if event == "CRASH":
        raise RuntimeError("crashed")
    # returning is a normal exit


SPEC = Supervisor(
    "root",
    [
        Worker("p", worker, restart="permanent"),
        Worker("t", worker, restart="transient"),
        Worker("tmp", worker, restart="temporary"),
    ],
    intensity=10,
)

if __name__ == "__main__":
    logger.remove()
    for event in ("RETURN", "CRASH"):
        with gensup.start(SPEC) as tree:
            tree.signal(event)
            print(f"after {event}:")
            children = {info.id: info for info in tree.which_children("root")}
            for child in SPEC.children:
                info = children.get(child.id)
                shown = (
                    "removed"
                    if info is None
                    else f"{info.state} #{info.incarnation}"
                )
                print(f"    {child.restart:<9}  {shown}")
