"""Replaying a record: the same inputs, the same clock readings, the same run."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from typing import Any, Final

import attrs

from .._calls import PendingCall
from .._clock import VirtualClock
from .._core import Observer
from .._errors import ReplayError
from .._record import FORMAT, decode, decode_exception, decode_spec, qualified
from .._requests import Listener
from .._spec import Supervisor, check_root
from .._tree import Tree
from ._drive import crash, crash_at, finish

__all__ = ["replay"]


def replay(
    spec: Supervisor,
    path: str | os.PathLike[str],
    *,
    observer: Observer | None = None,
    clock: VirtualClock | None = None,
    strict: bool = True,
) -> Tree:
    """Run a tree again from a record made by ``gensup.start(spec, record=path)``.

    Example:
        >>> import gensup, os, tempfile
        >>> from gensup import Supervisor, VirtualClock, Worker, waitfor
        >>> from gensup.testing import Recorder, replay
        >>> def fragile():
        ...     _, n = yield waitfor("JOB")
        ...     1 / n
        >>> spec = Supervisor("root", [Worker("w", fragile)], intensity=5)
        >>> path = os.path.join(tempfile.mkdtemp(), "incident.jsonl")
        >>> first = Recorder()
        >>> with gensup.start(spec, clock=VirtualClock(), observer=first, record=path) as tree:
        ...     _ = tree.signal("JOB", 0)
        >>> again = Recorder()
        >>> tree = replay(spec, path, observer=again)
        >>> again.lines() == first.lines(), again.lines()[-2:]
        (True, ['stop root/w shutdown', 'stop root shutdown'])

    The tree is started from ``spec`` with the record's seed and options,
    and every recorded input is given to it again, in order: signals, timer
    firings, settled calls, dynamic children, stops, the test kit's crashes.
    Its clock gives back the readings recorded with each input, so the
    observer gets the same reports in the same order.  Workers run for real:
    their code must be the code that was recorded.

    With ``strict=False`` the inputs are given all the same to workers whose
    code has changed since (a fix): each input still gets the readings
    recorded with it, in order (the last one again if it reads the clock more
    often; those left over are skipped), and what a call raises is not
    compared.  This is how a record of an incident becomes a regression test
    of its fix.  The spec must still be the recorded one (the same ``repr``:
    the same ids, options and function names).

    The tree is returned as the record leaves it: stopped, or still running,
    so that a test can go on from there.  Its clock is then ``clock`` (a new
    `VirtualClock` if not given), moved on to the last recorded reading if it
    was behind, and timers fire as it advances.  A call that raised when
    recorded raises the same way here, and is not raised by `replay`.

    Raises:
        ReplayError: the record is not a gensup record, has a format version
            this gensup does not know, was made with another spec (its
            ``repr`` differs), or has a malformed line (the message names
            it); or the run went another way than the recorded one (a call
            raised when it had not, or the tree took more or fewer clock
            readings), which means the workers' code changed (not checked
            with ``strict=False``).
        OSError: the file cannot be read.
    """
    where = os.fspath(path)
    with open(where, encoding="utf-8") as file:
        lines = file.read().splitlines()
    if not lines:
        raise ReplayError(f"{where}: empty: a record starts with a header line")
    header = _parse(where, 1, lines[0])
    if header.get("gensup") != "record":
        raise ReplayError(f"{where}, line 1: not a gensup record header (got {lines[0][:200]!r})")
    if header.get("version") != FORMAT:
        raise ReplayError(
            f"{where}, line 1: record format version {header.get('version')!r}; this gensup "
            f"replays version {FORMAT}"
        )
    if not isinstance(spec, Supervisor):
        raise ReplayError(f"replay: 'spec' must be the root Supervisor spec (got {spec!r})")
    check_root(spec)
    recorded = header.get("spec")
    if recorded != repr(spec):
        raise ReplayError(
            f"{where}, line 1: the record was made with another spec: "
            f"{_difference(str(recorded), repr(spec))}"
        )
    try:
        seed = decode(header.get("seed"))
        max_deliveries = header["max_deliveries"]
        dead_letters = header["dead_letters"]
    except (KeyError, ValueError) as error:
        raise ReplayError(f"{where}, line 1: malformed header: {error}") from None
    for name, value, least in (
        ("max_deliveries", max_deliveries, 1),
        ("dead_letters", dead_letters, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ReplayError(
                f"{where}, line 1: malformed header: {name!r} must be an int >= {least} "
                f"(got {value!r})"
            )
    if seed is not None and not isinstance(seed, (int, str, bytes)):
        raise ReplayError(f"{where}, line 1: malformed header: 'seed' {seed!r}")
    steps = _steps(where, lines)
    replaying = _ReplayClock(where)
    tree = Tree(
        spec,
        clock=replaying,
        observer=observer,
        seed=seed,
        max_deliveries=max_deliveries,
        dead_letters=dead_letters,
    )
    replaying.tree = tree
    state = _State(tree)
    for step in steps:
        replaying.load(step)
        try:
            _run(where, state, step)
        except BaseException as exc:
            raised: str | None = qualified(type(exc)) or type(exc).__qualname__
            if not isinstance(exc, Exception) or isinstance(exc, ReplayError):
                raise
        else:
            raised = None
        if not strict:
            continue
        replaying.check(step)
        if raised != step.raised:
            said = "nothing" if step.raised is None else step.raised
            got = "nothing" if raised is None else raised
            raise ReplayError(
                f"{where}, line {step.line}: the replayed {step.op!r} raised {got}, the "
                f"recorded one {said}: the run went another way (did the workers' code change?)"
            )
    after = VirtualClock() if clock is None else clock
    last = replaying.last
    if last is not None and after.now() < last:
        after.advance(last - after.now())
    replaying.after = after
    if tree.alive:
        after._attach(tree)
    return tree


# ---- Reading the record ----


@attrs.define
class _Step:
    """One recorded input: its line, its fields, the readings and what it raised."""

    line: int
    op: str
    fields: dict[str, Any]
    readings: list[float] = attrs.field(factory=list)
    raised: str | None = None


def _parse(where: str, number: int, text: str) -> dict[str, Any]:
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except ValueError as error:
        raise ReplayError(f"{where}, line {number}: malformed: {error}") from None
    if not isinstance(data, dict):
        raise ReplayError(f"{where}, line {number}: malformed: not a JSON object ({text[:200]!r})")
    return data


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON (a record writes {{'float': ...}})")


def _steps(where: str, lines: list[str]) -> list[_Step]:
    steps: list[_Step] = []
    for number, text in enumerate(lines[1:], 2):
        data = _parse(where, number, text)
        if "op" in data:
            op = data["op"]
            if op not in _OPS:
                raise ReplayError(f"{where}, line {number}: malformed: unknown input {op!r}")
            steps.append(_Step(number, op, data))
            continue
        if not steps:
            raise ReplayError(f"{where}, line {number}: malformed: a record's first input is start")
        step = steps[-1]
        if set(data) == {"now"}:
            reading = data["now"]
            try:
                reading = decode(reading)
            except ValueError:
                reading = None
            if (
                isinstance(reading, bool)
                or not isinstance(reading, (int, float))
                or math.isnan(reading)
            ):
                raise ReplayError(
                    f"{where}, line {number}: malformed: a clock reading is a number "
                    f"(got {data['now']!r})"
                )
            step.readings.append(reading)
        elif set(data) == {"raised"} and isinstance(data["raised"], str):
            step.raised = data["raised"]
        else:
            raise ReplayError(
                f"{where}, line {number}: malformed: expected an input ('op'), a clock "
                f"reading ('now') or what an input raised ('raised') (got {text[:200]!r})"
            )
    if not steps or steps[0].op != "start":
        raise ReplayError(f"{where}, line 2: malformed: a record's first input is start")
    return steps


# ---- The clock of a replay ----


class _ReplayClock:
    """Gives the tree the readings recorded with each input, then ``after``'s."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.tree: Tree | None = None
        self.after: VirtualClock | None = None
        # Invariant: the readings of the input being replayed, not yet taken.
        self.readings: list[float] = []
        self.index = 0
        # Invariant: the latest reading given, or None before any.
        self.last: float | None = None
        self.overrun = False

    def load(self, step: _Step) -> None:
        self.readings = step.readings
        self.index = 0
        self.overrun = False

    def now(self) -> float:
        if self.after is not None:
            return self.after.now()
        tree = self.tree
        # As when recording: readings outside a call were not written.
        if tree is not None and tree._busy:
            if self.index < len(self.readings):
                self.last = self.readings[self.index]
                self.index += 1
            else:
                self.overrun = True
                if self.readings:
                    self.last = self.readings[-1]
        return 0.0 if self.last is None else self.last

    def check(self, step: _Step) -> None:
        if self.overrun or self.index != len(self.readings):
            raise ReplayError(
                f"{self.where}, line {step.line}: the replayed {step.op!r} read the clock "
                f"{'more' if self.overrun else 'fewer'} times than the recorded one "
                f"({len(self.readings)}): the run went another way (did the workers' code "
                f"change?)"
            )


# ---- Running the inputs again ----


@attrs.define
class _State:
    tree: Tree
    listeners: list[Listener] = attrs.field(factory=list)


def _run(where: str, state: _State, step: _Step) -> None:
    try:
        _OPS[step.op](state, step.fields)
    except _Malformed as error:
        raise ReplayError(
            f"{where}, line {step.line}: malformed {step.op!r} input: {error}"
        ) from None
    except _Diverged as error:
        raise ReplayError(f"{where}, line {step.line}: {error}") from None


class _Malformed(Exception):
    """A field of an input line is missing or cannot be decoded."""


class _Diverged(Exception):
    """The replay went another way than the recorded run."""


def _field(fields: dict[str, Any], name: str) -> Any:
    if name not in fields:
        raise _Malformed(f"no field {name!r}")
    try:
        return decode(fields[name])
    except ValueError as error:
        raise _Malformed(f"field {name!r}: {error}") from None


def _signal(state: _State, fields: dict[str, Any]) -> None:
    event, args = _field(fields, "event"), _field(fields, "args")
    options: dict[str, Any] = {}
    for name in ("to", "one", "key"):
        if name in fields:
            options[name] = _field(fields, name)
    state.tree.signal(event, *args, **options)


def _request(state: _State, fields: dict[str, Any], send: bool) -> None:
    event, args = _field(fields, "event"), _field(fields, "args")
    options = {name: _field(fields, name) for name in ("to", "one", "timeout")}
    if send:
        state.tree.send_request(event, *args, **options)
    else:
        state.tree.request(event, *args, **options)


def _settle(state: _State, fields: dict[str, Any], fail: bool) -> None:
    number = _field(fields, "id")
    found: PendingCall | None = None
    for pending in state.tree.pending_calls():
        if pending.id == number:
            found = pending
    if found is None:
        return  # no longer pending when recorded either: refused, nothing happened
    if (found.path, found.incarnation) != (_field(fields, "path"), _field(fields, "incarnation")):
        raise _Diverged(
            f"call {number} is {found.path!r} (incarnation {found.incarnation}) here; the "
            f"recorded one was {fields.get('path')!r} (incarnation {fields.get('incarnation')})"
        )
    if fail:
        try:
            error = decode_exception(fields.get("error"))
        except ValueError as problem:
            raise _Malformed(f"field 'error': {problem}") from None
        state.tree.fail_call(found, error)
    else:
        state.tree.complete_call(found, _field(fields, "value"))


def _start_child(state: _State, fields: dict[str, Any]) -> None:
    try:
        spec = decode_spec(fields.get("spec"))
    except (KeyError, ValueError, TypeError) as problem:
        raise _Malformed(f"field 'spec': {problem}") from None
    state.tree.start_child(_field(fields, "sup_path"), spec)


def _exception(fields: dict[str, Any]) -> BaseException:
    try:
        return decode_exception(fields.get("exc"))
    except ValueError as problem:
        raise _Malformed(f"field 'exc': {problem}") from None


def _listen(state: _State, fields: dict[str, Any]) -> None:
    state.listeners.append(state.tree.listen(_field(fields, "event"), _ignore))


def _unlisten(state: _State, fields: dict[str, Any]) -> None:
    number = _field(fields, "listener")
    if not isinstance(number, int) or not 1 <= number <= len(state.listeners):
        raise _Malformed(f"no listener {number!r} was added")
    state.listeners[number - 1].cancel()


def _ignore(message: tuple[Any, ...]) -> None:
    """A replayed listener: it is there, so events it heard are not dropped."""


_OPS: Final[dict[str, Callable[[_State, dict[str, Any]], object]]] = {
    "start": lambda state, fields: state.tree._start(),
    "stop": lambda state, fields: state.tree.stop(),
    "signal": _signal,
    "fire_due": lambda state, fields: state.tree.fire_due(),
    "complete_call": lambda state, fields: _settle(state, fields, fail=False),
    "fail_call": lambda state, fields: _settle(state, fields, fail=True),
    "request": lambda state, fields: _request(state, fields, send=False),
    "send_request": lambda state, fields: _request(state, fields, send=True),
    "listen": _listen,
    "unlisten": _unlisten,
    "start_child": _start_child,
    "terminate_child": lambda state, fields: state.tree.terminate_child(_field(fields, "path")),
    "restart_child": lambda state, fields: state.tree.restart_child(_field(fields, "path")),
    "delete_child": lambda state, fields: state.tree.delete_child(_field(fields, "path")),
    "crash": lambda state, fields: crash(state.tree, _field(fields, "path"), _exception(fields)),
    "finish": lambda state, fields: finish(state.tree, _field(fields, "path")),
    "crash_at": lambda state, fields: crash_at(
        state.tree, _field(fields, "path"), _field(fields, "nth_yield"), _exception(fields)
    ),
}


def _difference(recorded: str, given: str) -> str:
    """Where two specs' reprs part, with a little of each."""
    at = next(
        (i for i, (a, b) in enumerate(zip(recorded, given, strict=False)) if a != b),
        min(len(recorded), len(given)),
    )
    start = max(0, at - 30)
    return (
        f"they differ at character {at}: recorded ...{recorded[start : at + 40]!r}..., "
        f"given ...{given[start : at + 40]!r}..."
    )
