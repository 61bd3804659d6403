"""gensup's records as JSON lines: one object per record, with its keys."""

import json
import sys

from loguru import logger

import gensup
from gensup import Supervisor, Worker, waitfor


def fragile():
    while True:
        yield waitfor("CRASH")
        raise RuntimeError("crashed on purpose")


def json_lines(message):
    record = message.record
    extra = record["extra"]
    report = extra["report"]
    line = {
        "level": record["level"].name,
        "message": record["message"],
        "path": extra["path"],
        "incarnation": extra["incarnation"],
        "event": None if extra["event"] is None else repr(extra["event"]),
        "reason": extra["reason"],
        "report": None if report is None else type(report).__name__,
    }
    sys.stdout.write(json.dumps(line) + "\n")


logger.remove()
# gensup's records are those with its extra keys (their "name" is the code
# they are about, not gensup).  Progress reports are TRACE: level="TRACE"
# would add the starts and stops.
logger.add(json_lines, level="DEBUG", filter=lambda r: "report" in r["extra"])

with gensup.start(Supervisor("root", [Worker("a", fragile)])) as tree:
    tree.signal("CRASH")
    tree.signal("NOBODY")
