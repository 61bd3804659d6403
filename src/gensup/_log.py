"""Reports through loguru: crash reports, give-ups, progress, dropped events.

Every record carries the same ``extra`` keys: ``path``, ``incarnation``,
``event`` and ``reason`` (``None`` where they do not apply), so users can
filter and route gensup's records with loguru's own calls.  The package never
adds or removes a sink.

Levels, as in OTP's logger: crash reports, kills and give-ups are errors and
visible by default; starts and orderly stops are progress reports at DEBUG;
dropped events are INFO.
"""

from __future__ import annotations

from loguru import logger

from .reports import Dropped, GaveUp, Report, Started, Stopped

__all__ = ["log_observer_error", "log_report"]


# The fixed keys are passed to each logging call as keyword arguments, which
# loguru captures into the record's `extra` just as bind() would (see
# `logger.opt(capture=...)`).  bind() builds a new Logger at every call, which
# costs more than the rest of a report when no sink takes the record, and a
# start and a stop are reported on every restart.


def log_report(report: Report, incarnation: int | None = None) -> None:
    """Send one lifecycle report to loguru at its level."""
    if type(report) is Started:
        path = report.path
        logger.debug(
            "started {}", path, path=path, incarnation=incarnation, event=None, reason=None
        )
    elif type(report) is Stopped:
        path, reason = report.path, report.reason.value
        if reason == "crash":
            exc = report.exception
            logger.opt(exception=exc).error(
                "crash report: {} crashed: {!r}",
                path,
                exc,
                path=path,
                incarnation=incarnation,
                event=None,
                reason=reason,
            )
        elif reason == "killed":
            logger.error(
                "{} was killed: it yielded again while being closed "
                "(a finally block or an except GeneratorExit must not yield)",
                path,
                path=path,
                incarnation=incarnation,
                event=None,
                reason=reason,
            )
        else:
            logger.debug(
                "stopped {} ({})",
                path,
                reason,
                path=path,
                incarnation=incarnation,
                event=None,
                reason=reason,
            )
    elif type(report) is GaveUp:
        logger.error(
            "supervisor report: {} reached its restart intensity and gives up",
            report.path,
            path=report.path,
            incarnation=incarnation,
            event=None,
            reason="shutdown",
        )
    elif type(report) is Dropped:
        to = report.to
        logger.info(
            "event {!r} dropped: no worker{} waits for it",
            report.event,
            "" if to is None else f" under {to!r}",
            path=to,
            incarnation=None,
            event=report.event,
            reason=None,
        )


def log_observer_error(report: Report, exc: Exception) -> None:
    """Log an exception raised by the user's observer (the tree goes on)."""
    path = getattr(report, "path", None)
    logger.opt(exception=exc).error(
        "the observer raised {!r} on {!r}; the tree goes on",
        exc,
        report,
        path=path,
        incarnation=None,
        event=None,
        reason=None,
    )
