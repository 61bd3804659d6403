"""An incident: recorded, replayed, and replayed again to test its fix."""

import tempfile
from pathlib import Path

from loguru import logger

import gensup
from gensup import Supervisor, Worker, emit, waitfor
from gensup.testing import Recorder, replay

# ---- The code as it ran in production ----


def parser():
    while True:
        _, line = yield waitfor("LINE", timeout=30)
        key, value = line.split("=")  # a line without "=" crashes it
        yield emit("PARSED", key, value)


SPEC = Supervisor("ingest", [Worker("parser", parser)], intensity=2, period=60)


def production(record):
    """The run that went wrong, recorded: the real clock, real input."""
    with gensup.start(SPEC, record=record) as tree:
        for line in ["user=ann", "garbage", "user=bob", "garbage", "garbage"]:
            try:
                tree.signal("LINE", line)
            except gensup.SupervisorGaveUp as error:
                print("production:", error)
                break


# ---- The regression test ----


def test_the_incident_replays(record):
    """The same reports, in the same order, from the record alone."""
    seen = Recorder()
    replay(SPEC, record, observer=seen)
    assert seen.gave_up() == ["ingest"]
    return seen.lines()


def test_the_fix_survives_the_incident(record, fixed_spec):
    """The recorded input, given to the fixed code: nothing crashes."""
    seen = Recorder()
    tree = replay(fixed_spec, record, observer=seen, strict=False)
    assert seen.stops("ingest/parser", "crash") == 0
    assert tree.alive  # the record ends on a crash: the fixed tree runs on
    tree.stop()
    return seen.lines()


if __name__ == "__main__":
    logger.remove()
    record = Path(tempfile.mkdtemp()) / "incident.jsonl"
    production(record)
    print("replayed:", *test_the_incident_replays(record), sep="\n  ")

    # The fix, made in the same place: a line without "=" is skipped.
    def parser():
        while True:
            _, line = yield waitfor("LINE", timeout=30)
            key, sep, value = line.partition("=")
            if sep:
                yield emit("PARSED", key, value)

    fixed = Supervisor(
        "ingest", [Worker("parser", parser)], intensity=2, period=60
    )
    print(
        "fixed:",
        *test_the_fix_survives_the_incident(record, fixed),
        sep="\n  ",
    )
