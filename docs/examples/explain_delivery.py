"""Run to completion: the order in which one signal's consequences happen."""

import gensup
from gensup import Supervisor, Worker, emit, waitfor
from gensup.reports import Started, Stopped


def a():
    while True:
        yield waitfor("GO")
        print("a: GO")


def b():
    print("b: waiting for GO and STEP")
    event, *args = yield waitfor("GO", "STEP")
    print(f"b: {event}, and now I crash")
    raise RuntimeError("b crashed")


def c():
    while True:
        event, *args = yield waitfor("GO", "STEP")
        print(f"c: {event}")
        if event == "GO":
            yield emit(
                "STEP"
            )  # queued: delivered once GO has reached everyone
            print("c: emitted STEP, and carried on at once")


def show(report):
    """The observer: b's lifecycle reports."""
    if isinstance(report, Started) and report.path == "root/b":
        print("   (b started)")
    elif isinstance(report, Stopped) and report.path == "root/b":
        print(f"   (b stopped: {report.reason})")


SPEC = Supervisor(
    "root", [Worker("a", a), Worker("b", b), Worker("c", c)], intensity=5
)

if __name__ == "__main__":
    from loguru import logger

    logger.remove()
    with gensup.start(SPEC, observer=show) as tree:
        print("-- signal GO")
        reached = tree.signal("GO")
        print(f"-- signal returned {reached}")
