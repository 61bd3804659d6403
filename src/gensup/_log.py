"""Reports through loguru: crash reports, give-ups, progress, dropped events.

Every record carries the same ``extra`` keys, bound with ``bind()``:
``path``, ``incarnation``, ``event`` and ``reason`` (``None`` where they do not
apply), so users can filter and route gensup's records with loguru's own
calls.  The package never adds or removes a sink.

Levels, as in OTP's logger: crash reports, kills and give-ups are errors and
visible by default; starts and orderly stops are progress reports at DEBUG;
dropped events are INFO.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loguru import logger

if TYPE_CHECKING:
    from loguru import Logger

from .reports import Dropped, GaveUp, Reason, Report, Started, Stopped

__all__ = ["log_observer_error", "log_report"]


def _bound(
    path: str | None, incarnation: int | None, event: object = None, reason: str | None = None
) -> Logger:
    return logger.bind(path=path, incarnation=incarnation, event=event, reason=reason)


def log_report(report: Report, incarnation: int | None = None) -> None:
    """Send one lifecycle report to loguru at its level."""
    if type(report) is Started:
        _bound(report.path, incarnation).debug("started {}", report.path)
    elif type(report) is Stopped:
        reason = report.reason
        log = _bound(report.path, incarnation, reason=reason.value)
        if reason is Reason.CRASH:
            exc = report.exception
            log.opt(exception=exc).error("crash report: {} crashed: {!r}", report.path, exc)
        elif reason is Reason.KILLED:
            log.error(
                "{} was killed: it yielded again while being closed "
                "(a finally block or an except GeneratorExit must not yield)",
                report.path,
            )
        else:
            log.debug("stopped {} ({})", report.path, reason.value)
    elif type(report) is GaveUp:
        _bound(report.path, incarnation, reason="shutdown").error(
            "supervisor report: {} reached its restart intensity and gives up",
            report.path,
        )
    elif type(report) is Dropped:
        _bound(report.to, None, event=report.event).info(
            "event {!r} dropped: no worker{} waits for it",
            report.event,
            "" if report.to is None else f" under {report.to!r}",
        )


def log_observer_error(report: Report, exc: Exception) -> None:
    """Log an exception raised by the user's observer (the tree goes on)."""
    path = getattr(report, "path", None)
    _bound(path, None).opt(exception=exc).error(
        "the observer raised {!r} on {!r}; the tree goes on", exc, report
    )
