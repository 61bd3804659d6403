"""What crosses to and from a placed subtree: messages, reports and errors.

A message is a tuple; a batch, a list of them, pickled whole by the link.
What cannot cross (an argument that does not pickle) must fail where it was
sent, not later in a batch: `dump` lets plain data through at once (strings,
numbers, bytes, None, and tuples of them: the common case, checked in a
fraction of what pickling costs), and pickles anything else once on its own,
to raise there.  Both ends run the same gensup, so the format needs no
version.
"""

from __future__ import annotations

import pickle
import traceback
from typing import Any, Final

import attrs

from ._commands import _NoKey
from ._errors import RemoteError
from ._spec import Supervisor
from .reports import Dropped, GaveUp, Reason, Report, Started, Stopped

# Parent to subtree.
SIGNAL: Final = 0  # (SIGNAL, event, args, to, one, key, count id or 0)
STOP: Final = 1  # (STOP,): stop the subtree and end
# Subtree to parent.
REPORT: Final = 2  # (REPORT, report with its exception made portable, incarnation)
EMIT: Final = 3  # (EMIT, event, args, to, one, key, workers it reached in the subtree)
COUNT: Final = 4  # (COUNT, count id, workers reached)
EXIT: Final = 5  # (EXIT, reason, portable exception or None): the subtree ended

#: The most messages a batch holds: a long turn of the loop (a signal per
#: job in a loop, a big batch handled at the far end) sends as it goes, so
#: that the other side starts working before the turn ends.
BATCH: Final = 256

#: A message: a tuple whose first item is its kind.
Message = tuple[Any, ...]


@attrs.frozen
class Boot:
    """What the far end needs to run a placed subtree."""

    spec: Supervisor  # with placement None: at the far end it runs here
    prefix: str  # the parent's path: the subtree's paths are prefix/spec.id/...
    incarnation: int  # the placed supervisor's, in its parent
    seed: int | str | bytes | None
    max_deliveries: int


def dump(message: Message) -> Message:
    """``message``, once it is sure to pickle (what does not raises here)."""
    if not plain(message):
        pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return message


def plain(value: object) -> bool:
    """Whether ``value`` is plain data that surely pickles (written out: it
    runs for every message sent)."""
    cls = value.__class__
    if cls in _PLAIN:
        return True
    if cls is not tuple:
        return False
    for item in value:  # type: ignore[attr-defined]
        kind = item.__class__
        if kind not in _PLAIN and not (kind is tuple and plain(item)):
            return False
    return True


_PLAIN: Final = frozenset({str, int, float, bool, bytes, type(None), _NoKey})


def dump_boot(boot: Boot) -> bytes:
    return pickle.dumps(boot, protocol=pickle.HIGHEST_PROTOCOL)


def load_boot(data: bytes) -> Boot:
    boot = pickle.loads(data)
    assert isinstance(boot, Boot)
    return boot


def portable(exc: BaseException | None, where: str) -> tuple[Any, ...] | None:
    """An exception as it can cross: itself if it pickles, and its traceback's text."""
    if exc is None:
        return None
    text = "".join(traceback.format_exception(exc))
    try:
        data: bytes | None = pickle.dumps(exc, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(data)  # type: ignore[arg-type]  # some pickle but do not unpickle
    except Exception:
        data = None
    return (data, f"{type(exc).__module__}.{type(exc).__qualname__}", str(exc), text, where)


def restore(payload: tuple[Any, ...] | None) -> BaseException | None:
    """The exception `portable` made crossable: the same class if it pickled,
    else a `RemoteError`; either way with the far end's traceback as a note."""
    if payload is None:
        return None
    data, name, message, text, where = payload
    exc: BaseException
    if data is not None:
        try:
            exc = pickle.loads(data)
        except Exception:
            exc = RemoteError(f"{name}: {message}")
    else:
        exc = RemoteError(f"{name}: {message}")
    exc.add_note(f"raised {where}; its traceback there:\n{text.rstrip()}")
    return exc


def report_message(report: Report, incarnation: int | None, where: str) -> Message:
    """A report of the far end, for its parent's observer and log."""
    if type(report) is Stopped:
        return dump(
            (
                REPORT,
                "stopped",
                report.path,
                report.reason.value,
                portable(report.exception, where),
                incarnation,
            )
        )
    if type(report) is Dropped:
        try:
            return dump((REPORT, "dropped", report.event, report.args, report.to, incarnation))
        except Exception:
            # It was dropped where it could not cross: say so in words.
            return dump(
                (
                    REPORT,
                    "dropped",
                    repr(report.event),
                    (repr(report.args),),
                    report.to,
                    incarnation,
                )
            )
    kind = "gave up" if type(report) is GaveUp else "started"
    return (REPORT, kind, report.path, None, None, incarnation)  # type: ignore[union-attr]


def load_report(message: Message) -> tuple[Report, int | None]:
    _, kind, a, b, c, incarnation = message
    report: Report
    if kind == "stopped":
        report = Stopped(a, Reason(b), restore(c))
    elif kind == "dropped":
        report = Dropped(a, b, c)
    elif kind == "gave up":
        report = GaveUp(a)
    else:
        report = Started(a)
    return report, incarnation
