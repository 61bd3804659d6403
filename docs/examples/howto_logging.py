"""Route and silence gensup's loguru records: four recipes."""

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


if __name__ == "__main__":
    logger.remove()  # loguru's default sink: stderr, everything from DEBUG up

    print("1. gensup's records from INFO up, with the path they are about:")
    sink = logger.add(
        sys.stdout,
        filter="gensup",  # records emitted by gensup's modules only
        level="INFO",
        format=lambda record: "   {level} [{extra[path]}] {message}\n",
    )
    crash_both()
    logger.remove(sink)

    print("2. only what happens under one subtree:")
    sink = logger.add(
        sys.stdout,
        level="DEBUG",
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
        sink = logger.add(path, filter="gensup", level="ERROR", serialize=True)
        crash_both()
        logger.remove(sink)
        for line in path.read_text().splitlines():
            record = json.loads(line)["record"]
            print(f"   {record['message']}")
            print(f"   extra: {record['extra']}")
            print(f"   exception: {record['exception']['type']}")

    print("4. gensup silenced; other records still go through:")
    sink = logger.add(sys.stdout, format=lambda record: "   {message}\n")
    logger.disable("gensup")
    crash_both()
    logger.info("my own record")
    logger.enable("gensup")
    logger.remove(sink)
