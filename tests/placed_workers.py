"""Worker functions for the placement tests: importable by name in another process."""

from __future__ import annotations

import os

from gensup import emit, waitfor, whoami


def echo(reply_event: str = "ECHOED"):
    """Waits for PING and emits ``reply_event`` with its arg and this process's pid."""
    while True:
        _, value = yield waitfor("PING")
        yield emit(reply_event, value, os.getpid())


def crasher():
    """Crashes on BOOM; answers PID with its pid and incarnation."""
    while True:
        event, *args = yield waitfor("BOOM", "PID")
        if event == "BOOM":
            raise ValueError(f"boom {args[0] if args else ''}".strip())
        path, incarnation = yield whoami()
        yield emit("PIDIS", path, os.getpid(), incarnation)


def collector(into: str = "ECHOED"):
    """Keeps what it hears; answers DUMP with the list."""
    seen = []
    while True:
        event, *args = yield waitfor(into, "DUMP")
        if event == "DUMP":
            yield emit("DUMPED", tuple(seen))
        else:
            seen.append(tuple(args))


def burn(n: int) -> int:
    """About n iterations of arithmetic: CPU work."""
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def cruncher(n: int = 2000):
    """Does CPU work per WORK event, emits DONE."""
    while True:
        _, job = yield waitfor("WORK")
        yield emit("DONE", job, burn(n))


def tagged_echo(to: str):
    """Answers each PING to ``to`` with its value, its own path and incarnation."""
    while True:
        _, value = yield waitfor("PING")
        path, incarnation = yield whoami()
        yield emit("ECHOED", value, path, incarnation, to=to)


def gated(to: str):
    """Waits for GO, then answers each JOB with DONE to ``to``."""
    yield waitfor("GO")
    while True:
        _, job = yield waitfor("JOB")
        yield emit("DONE", job, to=to)
