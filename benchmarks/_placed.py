"""Worker functions of the placement benchmarks: imported by name in the subtree's process."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from gensup import emit, waitfor


def burn(n: int) -> int:
    """``n`` iterations of arithmetic: work for one core."""
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def cruncher(n: int, to: str) -> Generator[Any, Any, None]:
    """Work ``n`` iterations per WORK event, then say DONE to ``to``."""
    while True:
        _, job = yield waitfor("WORK")
        yield emit("DONE", job, burn(n), to=to)


def counter() -> Generator[Any, Any, None]:
    """Take every DONE."""
    while True:
        yield waitfor("DONE")


def echo() -> Generator[Any, Any, None]:
    """Answer each PING with ECHOED."""
    while True:
        _, value = yield waitfor("PING")
        yield emit("ECHOED", value)
