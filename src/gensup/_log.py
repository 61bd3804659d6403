"""Reports through loguru: crash reports, give-ups, progress, dropped events.

Every record carries the same ``extra`` keys: ``path``, ``incarnation``,
``event``, ``reason`` and ``report`` (the `gensup.reports` object a lifecycle
record is about; ``None`` where they do not apply), so users can filter and
route gensup's records with loguru's own calls, or write them as JSON lines.

Dropped events are logged at most ten a second of the tree's clock; past
that, one line (``reason`` ``"dropped"``) says how many more were dropped.  The package never
adds or removes a sink.

Levels, as in OTP's logger, visible or not by default as there: crash
reports, kills and give-ups are ERROR; progress reports (starts and orderly
stops) are TRACE, below the DEBUG of loguru's default sink, as OTP logs them
at ``info`` below its default ``notice``; dropped events are INFO.

A record's source (loguru's ``name``, ``function``, ``line``, ``module`` and
``file``) is the code it is about, not this module: for a worker's crash, the
worker's frame where it crashed; for a worker's other records, its function;
for the rest (supervisors, dropped events), the user's code that called into
the tree.  `logger.disable("gensup")` still silences every record at the
source: loguru decides that by the module that logs, which is this one.
"""

from __future__ import annotations

import functools
import os
import sys
from types import CodeType, FrameType, TracebackType
from typing import Any, Final

import loguru
from loguru import logger

from .reports import Dropped, GaveUp, Reason, Report, Started, Stopped

__all__ = [
    "log_drop_summary",
    "log_listener_error",
    "log_observer_error",
    "log_overflow",
    "log_report",
]


# ---- Where a record comes from ----

_GENSUP: Final = os.path.dirname(os.path.abspath(__file__)) + os.sep
_LOGURU: Final = os.path.dirname(os.path.abspath(loguru.__file__)) + os.sep


def _ours(code: CodeType) -> bool:
    return code.co_filename.startswith((_GENSUP, _LOGURU))


def _frame_source(frame: FrameType, line: int) -> tuple[str | None, CodeType, int]:
    return frame.f_globals.get("__name__"), frame.f_code, line


def _crash_source(tb: TracebackType | None) -> tuple[str | None, CodeType, int] | None:
    """The first frame of a traceback outside gensup: the worker's, where it crashed."""
    while tb is not None:
        if not _ours(tb.tb_frame.f_code):
            return _frame_source(tb.tb_frame, tb.tb_lineno)
        tb = tb.tb_next
    return None


def _func_source(func: object) -> tuple[str | None, CodeType, int] | None:
    """Where a worker's function (or a callable's ``__call__``) is defined."""
    while isinstance(func, functools.partial):
        func = func.func
    code = getattr(func, "__code__", None)
    if not isinstance(code, CodeType):
        if not callable(func):
            return None
        func = type(func).__call__  # an instance with a __call__ written in Python
        code = getattr(func, "__code__", None)
        if not isinstance(code, CodeType):
            return None
    return getattr(func, "__module__", None), code, code.co_firstlineno


def _caller_source() -> tuple[str | None, CodeType, int] | None:
    """The innermost frame on the stack outside gensup and loguru: the user's call."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and _ours(frame.f_code):
        frame = frame.f_back
    return None if frame is None else _frame_source(frame, frame.f_lineno)


def _locate(record: Any) -> None:
    """A loguru patcher: set the record's source to the code it is about.

    It runs only for records that some sink takes, so a report that nobody
    listens to costs nothing here.
    """
    # A worker's spec (a supervisor's has no func): see `log_report`.
    func = getattr(record["extra"].pop("gensup_about", None), "func", None)
    source = None
    if record["exception"] is not None:
        source = _crash_source(record["exception"].traceback)
    if source is None and func is not None:
        source = _func_source(func)
    if source is None:
        source = _caller_source()
    if source is None:
        return
    name, code, line = source
    filename = os.path.basename(code.co_filename)
    record["name"] = name
    record["function"] = code.co_name
    record["line"] = line
    record["module"] = os.path.splitext(filename)[0]
    record["file"] = type(record["file"])(filename, code.co_filename)


# Made once: patch() builds a new Logger, and a report may be made per start.
_logger: Final = logger.patch(_locate)


# ---- Reports ----

# The fixed keys are passed to each logging call as keyword arguments, which
# loguru captures into the record's `extra` just as bind() would (see
# `logger.opt(capture=...)`).  bind() builds a new Logger at every call, which
# costs more than the rest of a report when no sink takes the record, and a
# start and a stop are reported on every restart.  `gensup_about` (the
# child's spec, for `_locate`) is taken out of `extra` again.


def log_report(report: Report, incarnation: int | None = None, spec: object = None) -> None:
    """Send one lifecycle report to loguru at its level.

    Args:
        report: The report.
        incarnation: The child's incarnation, for its records.
        spec: The child's spec: a worker's records come from its function.
    """
    if type(report) is Started:
        path = report.path
        _logger.trace(
            "started {}",
            path,
            path=path,
            incarnation=incarnation,
            event=None,
            reason=None,
            report=report,
            gensup_about=spec,
        )
    elif type(report) is Stopped:
        path, reason = report.path, report.reason
        if reason is Reason.CRASH:
            exc = report.exception
            _logger.opt(exception=exc).error(
                "crash report: {} crashed: {!r}",
                path,
                exc,
                path=path,
                incarnation=incarnation,
                event=None,
                reason="crash",
                report=report,
                gensup_about=spec,
            )
        elif reason is Reason.KILLED:
            _logger.error(
                "{} was killed: it yielded again while being closed "
                "(a finally block or an except GeneratorExit must not yield)",
                path,
                path=path,
                incarnation=incarnation,
                event=None,
                reason="killed",
                report=report,
                gensup_about=spec,
            )
        else:
            # The str value itself, not the enum member: `_value_` is a
            # plain attribute, where `.value` goes through a descriptor.
            value = reason._value_
            _logger.trace(
                "stopped {} ({})",
                path,
                value,
                path=path,
                incarnation=incarnation,
                event=None,
                reason=value,
                report=report,
                gensup_about=spec,
            )
    elif type(report) is GaveUp:
        _logger.error(
            "supervisor report: {} reached its restart intensity and gives up",
            report.path,
            path=report.path,
            incarnation=incarnation,
            event=None,
            reason="shutdown",
            report=report,
        )
    elif type(report) is Dropped:
        to = report.to
        _logger.info(
            "event {!r} dropped: no worker{} waits for it",
            report.event,
            "" if to is None else f" under {to!r}",
            path=to,
            incarnation=None,
            event=report.event,
            reason=None,
            report=report,
        )


def log_observer_error(report: Report, exc: Exception) -> None:
    """Log an exception raised by the user's observer (the tree goes on)."""
    path = getattr(report, "path", None)
    _logger.opt(exception=exc).error(
        "the observer raised {!r} on {!r}; the tree goes on",
        exc,
        report,
        path=path,
        incarnation=None,
        event=None,
        reason=None,
        report=None,
    )


def log_listener_error(event: object, exc: Exception) -> None:
    """Log an exception raised by a listener or a request's callback (the tree goes on)."""
    _logger.opt(exception=exc).error(
        "a listener of {!r} raised {!r}; the tree goes on",
        event,
        exc,
        path=None,
        incarnation=None,
        event=event,
        reason=None,
        report=None,
    )


def log_overflow(event: object, overflowed: int) -> None:
    """Log an item dropped because an async reader of ``event`` fell behind."""
    _logger.warning(
        "a reader of {!r} fell behind its buffer: an item was dropped ({} so far)",
        event,
        overflowed,
        path=None,
        incarnation=None,
        event=event,
        reason="overflow",
        report=None,
    )


def log_drop_summary(count: int) -> None:
    """Log how many dropped events were not logged, past the rate limit."""
    _logger.info(
        "... and {} more dropped",
        count,
        path=None,
        incarnation=None,
        event=None,
        reason="dropped",
        report=None,
    )


def log_placement_error(
    what: str, exc: BaseException, path: str | None = None, event: object = None
) -> None:
    """Log what went wrong in carrying a placed subtree's messages (the tree goes on)."""
    _logger.opt(exception=exc).error(
        "{}",
        what,
        path=path,
        incarnation=None,
        event=event,
        reason=None,
        report=None,
    )
