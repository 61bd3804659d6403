"""Send gensup's records to the standard logging module."""

import logging
import sys

from loguru import logger

import gensup
from gensup import Supervisor, Worker, waitfor


def to_logging(message):
    """A loguru sink: hand each record to the standard logger of its name."""
    record = message.record
    std = logging.getLogger(record["name"])
    level = record["level"].no
    if not std.isEnabledFor(level):
        return
    exc = record["exception"]
    std.handle(
        std.makeRecord(
            record["name"],
            level,
            record["file"].path,
            record["line"],
            record["message"],
            (),
            (exc.type, exc.value, exc.traceback) if exc else None,
            record["function"],
            {"extra": record["extra"]},
        )
    )


def fragile():
    while True:
        yield waitfor("CRASH")
        raise RuntimeError("crashed on purpose")


SPEC = Supervisor("root", [Worker("a", fragile)], intensity=0)


class OneLineErrors(logging.Formatter):
    """Exceptions on one line, so that this page's output is the same on
    every machine; a real program keeps the whole traceback."""

    def formatException(self, ei):
        return f"    ({ei[0].__name__}: {ei[1]}; traceback left out)"


if __name__ == "__main__":
    # The standard side: what a program that uses logging already has.
    handler = logging.StreamHandler(sys.stdout)
    fields = "%(levelname)s %(name)s:%(funcName)s:%(lineno)d %(message)s"
    handler.setFormatter(OneLineErrors(fields))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.addLevelName(5, "TRACE")  # loguru's TRACE, for progress reports

    # The loguru side: instead of its default sink, one sink into logging.
    logger.remove()
    logger.add(to_logging, level="TRACE", format="{message}")

    tree = gensup.start(SPEC)
    tree.signal("NOBODY")
    try:
        tree.signal("CRASH")
    except gensup.SupervisorGaveUp as error:
        logging.getLogger("app").warning("the tree stopped: %s", error)

    print("Progress reports too, for one module's workers:")
    logging.getLogger("__main__").setLevel("TRACE")
    gensup.start(SPEC).stop()
