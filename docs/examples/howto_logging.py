"""Route and silence gensup's loguru records: five recipes."""

import json
import sys
import tempfile
from pathlib import Path

from loguru import logger

import gensup
from gensup import Supervisor, Worker, waitfor


def fragile():
    while True:
        yield waitfor("CRASH")
        raise RuntimeError("crashed on purpose")


SPEC = Supervisor(
    "root",
    [Worker("a", fragile), Supervisor("pool", [Worker("b", fragile)])],
    intensity=10,
)


def crash_both():
    with gensup.start(SPEC) as tree:
        tree.signal("CRASH")
        tree.signal("NOBODY")  # dropped: nobody waits for it


GENSUP_KEYS = {"path", "incarnation", "event", "reason", "report"}


def from_gensup(record):
    """gensup's records: each has these five extra keys."""
    return record["extra"].keys() >= GENSUP_KEYS


def not_dropped(record):
    """Every record but gensup's dropped events (its only INFO records)."""
    return not (from_gensup(record) and record["level"].name == "INFO")


if __name__ == "__main__":
    logger.remove()  # loguru's default sink: stderr, everything from DEBUG up

    print("1. gensup's records from INFO up, with the code they are about:")
    sink = logger.add(
        sys.stdout,
        filter=from_gensup,
        level="INFO",
        format=lambda record: "   {level} {function}:{line} {message}\n",
    )
    crash_both()
    logger.remove(sink)

    print("2. everything under one subtree, progress reports included:")
    sink = logger.add(
        sys.stdout,
        level="TRACE",
        filter=lambda r: (r["extra"].get("path") or "").startswith(
            "root/pool"
        ),
        format=lambda record: "   {level} {message}\n",
    )
    crash_both()
    logger.remove(sink)

    print("3. crash reports to a file of their own, as JSON lines:")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "crashes.log"
        sink = logger.add(
            path, filter=from_gensup, level="ERROR", serialize=True
        )
        crash_both()
        logger.remove(sink)
        for line in path.read_text().splitlines():
            record = json.loads(line)["record"]
            print(f"   {record['message']}")
            print(f"   extra: {record['extra']}")
            print(f"   exception: {record['exception']['type']}")

    print("4. dropped events silenced; the rest goes through:")
    sink = logger.add(
        sys.stdout,
        filter=not_dropped,
        format=lambda record: "   {level} {message}\n",
    )
    crash_both()
    logger.remove(sink)

    print("5. gensup silenced; other records still go through:")
    sink = logger.add(sys.stdout, format=lambda record: "   {message}\n")
    logger.disable("gensup")
    crash_both()
    logger.info("my own record")
    logger.enable("gensup")
    logger.remove(sink)
