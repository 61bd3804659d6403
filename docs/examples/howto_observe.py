"""Observe a tree: reports to an observer, snapshots, pictures."""

from loguru import logger

import gensup
from gensup import Supervisor, Worker, render, waitfor
from gensup.reports import Dropped, GaveUp, Started, Stopped


def fragile():
    while True:
        event, *args = yield waitfor("WORK", "CRASH")
        if event == "CRASH":
            raise RuntimeError("crashed on purpose")


SPEC = Supervisor(
    "root",
    [
        Worker("a", fragile),
        Supervisor("pool", [Worker("b", fragile)], strategy="one_for_all"),
    ],
    intensity=3,
)


def observer(report):
    """Called synchronously with every lifecycle report, in order."""
    match report:
        case Started(path):
            print(f"observer: started {path}")
        case Stopped(path, reason, exception):
            why = f"{reason}: {exception}" if exception else reason
            print(f"observer: stopped {path} ({why})")
        case GaveUp(path):
            print(f"observer: {path} gave up")
        case Dropped(event, _args, to):
            where = to or "the whole tree"
            print(f"observer: dropped {event!r} sent to {where}")


def snapshot():
    """The running tree after a crash, as SVG (drawn in the docs)."""
    with gensup.start(SPEC) as tree:
        tree.signal("CRASH", to="root/pool/b")
        return render.svg(tree)


if __name__ == "__main__":
    logger.remove()  # quiet: this example is about reports and snapshots
    with gensup.start(SPEC, observer=observer) as tree:
        tree.signal("CRASH", to="root/pool/b")
        tree.signal("NOBODY")
        print("status:", tree.status())
        for info in tree.which_children("root/pool"):
            what = f"{info.id} {info.kind} {info.state} #{info.incarnation}"
            print(f"which_children: {what}")
        print("count_children:", tree.count_children("root"))
        print("dropped:", tree.dropped)
        print(render.text(tree))
        print("stop:")
