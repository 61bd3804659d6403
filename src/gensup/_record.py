"""Recording a tree's inputs as JSON lines, so that a run can be replayed.

The engine does the same things in the same order given the same spec, the
same calls and the same clock readings (see `_core`).  A record is exactly
that, one JSON object a line:

* a header: ``{"gensup": "record", "version": 1, "spec": repr(root spec),
  "seed": ..., "max_deliveries": ..., "dead_letters": ...}``;
* one line per input, in order, each ``{"op": NAME, ...its arguments}``:
  ``start``, ``signal``, ``fire_due``, ``complete_call``, ``fail_call``,
  ``start_child``, ``terminate_child``, ``restart_child``, ``delete_child``,
  ``stop``, ``request``, ``send_request``, ``listen``, ``unlisten``, and
  the test kit's ``crash``, ``finish`` and ``crash_at``;
* after an input, the clock readings the tree took while handling it,
  ``{"now": 1.5}`` each, and ``{"raised": "module:qualname"}`` if the call
  raised.

`VirtualClock.advance` needs no line of its own: what it does to a tree is
calls of `Tree.fire_due`, which are recorded, and the readings those take.

Values are JSON, with a few tagged forms for what JSON lacks (a JSON object
in a value is always one of these): ``{"tuple": [...]}``, ``{"bytes":
base64}``, ``{"dict": [[key, value], ...]}``, ``{"float": "inf"}`` (also
``"-inf"``, ``"nan"``).  Functions (in specs given to `start_child`) and
exception classes (given to `fail_call`, `crash`) are written
``"module:qualname"`` and must be importable so.  Anything else is refused
with `RecordError`, by the call it was given to, before that call changes
anything.

Recording costs nothing to a tree that does not record: `gensup.start`
builds a `RecordingTree`, a subclass of `Tree` that wraps the public calls,
only when given ``record=``; the delivery hot path is the same in both.
"""

from __future__ import annotations

import base64
import importlib
import json
import math
import os
import random
import weakref
from collections.abc import Callable, Hashable
from typing import Any, Final

from ._backoff import Backoff
from ._calls import Driver, PendingCall
from ._clock import Clock, MonotonicClock
from ._commands import NO_KEY
from ._core import Observer
from ._errors import RecordError
from ._placing import refuse_recording
from ._requests import Listener, PendingRequest
from ._spec import ChildSpec, Supervisor, Worker
from ._tree import Tree

__all__ = [
    "FORMAT",
    "RecordingTree",
    "decode",
    "decode_exception",
    "decode_spec",
    "encode",
    "encode_exception",
    "encode_spec",
    "qualified",
    "start_recording",
]

#: The version of the record format, written in every header.
FORMAT: Final = 1

_KINDS: Final = "None, bool, int, float, str, bytes, and lists, tuples and dicts of them"


# ---- Values as JSON, and back ----


class _Unwritable(Exception):
    """A value `_encode` cannot write: where inside the value, and what."""

    def __init__(self, where: str, value: object, why: str = "") -> None:
        super().__init__(where)
        self.where = where
        self.value = value
        self.why = why


def encode(value: object, call: str, field: str) -> object:
    """``value`` as JSON (with the tagged forms); `RecordError` naming
    ``call`` and ``field`` if it cannot be written.

    Example:
        >>> encode((1, b"a", [2.5, float("inf")]), "Tree.signal()", "args[0]")
        {'tuple': [1, {'bytes': 'YQ=='}, [2.5, {'float': 'inf'}]]}
    """
    try:
        return _encode(value)
    except _Unwritable as error:
        why = error.why or f"a record holds {_KINDS}"
        raise RecordError(
            f"{call}: cannot record {field}{error.where} = {error.value!r}: {why}"
        ) from None


def _encode(value: object) -> object:
    cls = value.__class__
    if value is None or cls is bool or cls is int or cls is str:
        return value
    if cls is float:
        assert isinstance(value, float)
        return value if math.isfinite(value) else {"float": repr(value)}
    if cls is list or cls is tuple:
        assert isinstance(value, (list, tuple))
        items = []
        for index, item in enumerate(value):
            try:
                items.append(_encode(item))
            except _Unwritable as error:
                raise _Unwritable(f"[{index}]{error.where}", error.value, error.why) from None
        return items if cls is list else {"tuple": items}
    if cls is bytes:
        assert isinstance(value, bytes)
        return {"bytes": base64.b64encode(value).decode("ascii")}
    if cls is dict:
        assert isinstance(value, dict)
        pairs = []
        for key, item in value.items():
            try:
                pairs.append([_encode(key), _encode(item)])
            except _Unwritable as error:
                raise _Unwritable(f"[{key!r}]{error.where}", error.value, error.why) from None
        return {"dict": pairs}
    raise _Unwritable("", value)


def decode(data: object) -> Any:
    """A value written by `encode`, rebuilt.

    Example:
        >>> decode({"tuple": [1, {"bytes": "YQ=="}, [2.5, {"float": "inf"}]]})
        (1, b'a', [2.5, inf])

    Raises:
        ValueError: ``data`` is not something `encode` writes.
    """
    if isinstance(data, list):
        return [decode(item) for item in data]
    if isinstance(data, dict):
        if len(data) != 1:
            raise ValueError(f"a tagged value has one key (got {data!r})")
        ((tag, body),) = data.items()
        if tag == "tuple" and isinstance(body, list):
            return tuple(decode(item) for item in body)
        if tag == "bytes" and isinstance(body, str):
            return base64.b64decode(body.encode("ascii"), validate=True)
        if tag == "dict" and isinstance(body, list):
            out = {}
            for pair in body:
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise ValueError(f"a dict's items are [key, value] pairs (got {pair!r})")
                out[decode(pair[0])] = decode(pair[1])
            return out
        if tag == "float" and body in ("inf", "-inf", "nan"):
            return float(body)
        raise ValueError(f"unknown tagged value {data!r}")
    return data


# ---- Functions, classes and exceptions by module:qualname ----


def qualified(obj: object) -> str | None:
    """``"module:qualname"`` of a function or class that can be imported by
    it again (the very same object), else None.

    Example:
        >>> qualified(ValueError), qualified(lambda: 0)
        ('builtins:ValueError', None)
    """
    module = getattr(obj, "__module__", None)
    name = getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(name, str) or "<" in name:
        return None
    try:
        found = _lookup(module, name)
    except (ImportError, AttributeError):
        return None
    return f"{module}:{name}" if found is obj else None


def _lookup(module: str, name: str) -> object:
    found: object = importlib.import_module(module)
    for part in name.split("."):
        found = getattr(found, part)
    return found


def _resolve(text: object, what: str) -> Any:
    """The object that ``"module:qualname"`` names (for replay)."""
    if not isinstance(text, str) or text.count(":") != 1:
        raise ValueError(f"{what} must be 'module:qualname' (got {text!r})")
    module, name = text.split(":")
    try:
        return _lookup(module, name)
    except (ImportError, AttributeError) as error:
        raise ValueError(f"{what} {text!r} cannot be imported: {error}") from None


def encode_exception(exc: BaseException, call: str, field: str) -> dict[str, object]:
    """``exc`` as ``{"type": "module:qualname", "args": [...]}``.

    Example:
        >>> encode_exception(KeyError("k"), "Tree.fail_call()", "error")
        {'type': 'builtins:KeyError', 'args': ['k']}

    Raises:
        RecordError: its class is not importable by module:qualname, its
            args cannot be written, or the class called with them does not
            make the same exception (same type, same ``str``).
    """
    cls = type(exc)
    name = qualified(cls)
    if name is None:
        raise RecordError(
            f"{call}: cannot record {field} = {exc!r}: its class {cls.__qualname__!r} "
            f"cannot be imported by module:qualname (define it at module level)"
        )
    args = encode(list(exc.args), call, f"{field}.args")
    try:
        again = cls(*exc.args)
    except Exception as error:
        again, problem = None, f"{cls.__qualname__}(*args) raised {error!r}"
    else:
        problem = f"{cls.__qualname__}(*args) makes {again!r}"
    if type(again) is not cls or str(again) != str(exc):
        raise RecordError(
            f"{call}: cannot record {field} = {exc!r}: it cannot be rebuilt from its args "
            f"({problem})"
        )
    return {"type": name, "args": args}


def decode_exception(data: object) -> BaseException:
    """An exception written by `encode_exception`, rebuilt."""
    if not isinstance(data, dict) or set(data) != {"type", "args"}:
        raise ValueError(f"an exception is {{'type': ..., 'args': [...]}} (got {data!r})")
    cls = _resolve(data["type"], "an exception's type")
    if not (isinstance(cls, type) and issubclass(cls, BaseException)):
        raise ValueError(f"{data['type']!r} is not an exception class")
    args = decode(data["args"])
    if not isinstance(args, list):
        raise ValueError(f"an exception's args are a list (got {data['args']!r})")
    return cls(*args)


# ---- Specs given to start_child ----


def encode_spec(spec: ChildSpec, call: str, field: str) -> dict[str, object]:
    """A child spec as JSON, its functions by module:qualname.

    Example:
        >>> from gensup import Worker
        >>> def idle():
        ...     yield
        >>> encode_spec(Worker("w", lambda: idle()), "Tree.start_child()", "spec")
        Traceback (most recent call last):
        ...
        gensup.RecordError: Tree.start_child(): cannot record spec.func = <function \
<lambda> at 0x...>: a function in a recorded spec must be importable by module:qualname \
(no lambda, nested function or partial)

    Raises:
        RecordError: a function cannot be imported by module:qualname (a
            lambda, a nested function, a ``functools.partial``), or an
            argument cannot be written.
    """
    backoff = _encode_backoff(spec.backoff, call, f"{field}.backoff")
    if isinstance(spec, Worker):
        func = qualified(spec.func)
        if func is None:
            raise RecordError(
                f"{call}: cannot record {field}.func = {spec.func!r}: a function in a "
                f"recorded spec must be importable by module:qualname (no lambda, nested "
                f"function or partial)"
            )
        return {
            "worker": spec.id,
            "func": func,
            "args": encode(spec.args, call, f"{field}.args"),
            "kwargs": encode(dict(spec.kwargs), call, f"{field}.kwargs"),
            "restart": spec.restart.value,
            "significant": spec.significant,
            "backoff": backoff,
        }
    return {
        "supervisor": spec.id,
        "children": [
            encode_spec(child, call, f"{field}.children[{index}]")
            for index, child in enumerate(spec.children)
        ],
        "strategy": spec.strategy.value,
        "intensity": spec.intensity,
        "period": encode(spec.period, call, f"{field}.period"),
        "auto_shutdown": spec.auto_shutdown.value,
        "restart": spec.restart.value,
        "significant": spec.significant,
        "backoff": backoff,
        "backlog": spec.backlog,
    }


def _encode_backoff(backoff: Backoff | None, call: str, field: str) -> object:
    if backoff is None:
        return None
    return {
        name: encode(getattr(backoff, name), call, f"{field}.{name}")
        for name in ("initial", "maximum", "factor", "jitter", "reset_after")
    }


def decode_spec(data: object) -> ChildSpec:
    """A child spec written by `encode_spec`, rebuilt."""
    if not isinstance(data, dict):
        raise ValueError(f"a spec is a JSON object (got {data!r})")
    backoff = data.get("backoff")
    built = None if backoff is None else Backoff(**{k: decode(v) for k, v in backoff.items()})
    if "worker" in data:
        return Worker(
            data["worker"],
            _resolve(data["func"], "a worker's func"),
            args=decode(data["args"]),
            kwargs=decode(data["kwargs"]),
            restart=data["restart"],
            significant=data["significant"],
            backoff=built,
        )
    return Supervisor(
        data["supervisor"],
        [decode_spec(child) for child in data["children"]],
        strategy=data["strategy"],
        intensity=data["intensity"],
        period=decode(data["period"]),
        auto_shutdown=data["auto_shutdown"],
        restart=data["restart"],
        significant=data["significant"],
        backoff=built,
        backlog=data["backlog"],
    )


# ---- The recording tree ----


class _Writer:
    """A record file: one line written (and so flushed) per call of `line`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        self.closed = False

    def line(self, data: dict[str, object]) -> None:
        # ASCII only: a str with a lone surrogate is written as an escape
        # rather than failing to encode.
        text = json.dumps(data, allow_nan=False)
        out = memoryview((text + "\n").encode("utf-8"))
        while out:
            out = out[os.write(self.fd, out) :]

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self.fd)


class _RecordingClock:
    """The tree's clock, writing each reading the tree takes inside a call."""

    def __init__(self, clock: Clock, writer: _Writer) -> None:
        self._clock = clock
        self._writer = writer
        self._tree: weakref.ref[RecordingTree] | None = None

    def now(self) -> float:
        reading = self._clock.now()
        tree = None if self._tree is None else self._tree()
        # Readings outside a call (explain, statistics) change nothing: not inputs.
        if tree is not None and tree._busy and not self._writer.closed:
            self._writer.line({"now": encode(reading, "the clock", "now()")})
        return reading


class RecordingTree(Tree):
    """A `Tree` that writes its inputs to a record as it takes them.

    `gensup.start` makes one when given ``record=``; everything else is
    `Tree`'s.  Each public call that changes the tree first writes its line
    (so it refuses, with `RecordError`, what it cannot write, before changing
    anything), then runs as `Tree`'s; the readings its clock gives meanwhile
    follow, then what it raised.  A call made while another runs (from a
    worker, an observer) is not an input: it raises `ReentrantCall` as usual.
    The record is closed once the tree is no longer alive.
    """

    _writer: _Writer
    _listened: int
    _in_request: bool

    # ---- Writing ----

    def _idle(self) -> bool:
        """Whether a call now is an input to record: from outside, while recording."""
        return not self._busy and not self._writer.closed

    def _take(self, line: dict[str, object], call: Callable[[], Any]) -> Any:
        """Write ``line``, run ``call``, write what it raised; close the record
        once the tree has stopped."""
        writer = self._writer
        writer.line(line)
        try:
            return call()
        except BaseException as exc:
            if not writer.closed:
                writer.line({"raised": qualified(type(exc)) or type(exc).__qualname__})
            raise
        finally:
            if not self._alive:
                writer.close()

    def _record_input(self, line: dict[str, object], call: Callable[[], Any]) -> Any:
        """`_take` for the test kit's helpers (``crash_at``); ``call`` alone
        when not recording."""
        if not self._idle():
            return call()
        return self._take(line, call)

    # ---- Lifecycle ----

    def _start(self) -> None:
        self._take({"op": "start"}, super()._start)

    def stop(self) -> None:
        if not self._idle():
            super().stop()
            return
        self._take({"op": "stop"}, super().stop)

    # ---- Events ----

    def signal(
        self,
        event: Hashable,
        *args: Any,
        to: str | None = None,
        one: bool = False,
        key: object = NO_KEY,
    ) -> int:
        if not self._idle():
            return super().signal(event, *args, to=to, one=one, key=key)
        name = "Tree.signal()"
        line: dict[str, object] = {
            "op": "signal",
            "event": encode(event, name, "event"),
            "args": encode(list(args), name, "args"),
        }
        if to is not None:
            line["to"] = encode(to, name, "to")
        if one is not False:
            line["one"] = encode(one, name, "one")
        if key is not NO_KEY:
            line["key"] = encode(key, name, "key")
        return self._take(  # type: ignore[no-any-return]
            line, lambda: super(RecordingTree, self).signal(event, *args, to=to, one=one, key=key)
        )

    def listen(self, event: Hashable, callback: Callable[[tuple[Any, ...]], object]) -> Listener:
        if self._writer.closed:
            return super().listen(event, callback)
        if self._busy:
            raise RecordError(
                f"Tree.listen(): cannot record a listener of {event!r} added inside a call "
                f"(from a worker, an observer or a listener); add it from outside"
            )
        line = {"op": "listen", "event": encode(event, "Tree.listen()", "event")}
        listener: Listener = self._take(
            line, lambda: super(RecordingTree, self).listen(event, callback)
        )
        self._listened += 1
        number = self._listened
        forget = listener._forget

        def unlisten(it: Listener) -> None:
            if not self._writer.closed:
                if self._busy:
                    it.active = True  # refused: it still listens
                    raise RecordError(
                        f"Listener.cancel(): cannot record cancelling a listener of "
                        f"{it.event!r} inside a call; cancel it from outside"
                    )
                self._writer.line({"op": "unlisten", "listener": number})
            forget(it)

        listener._forget = unlisten
        return listener

    def send_request(
        self,
        event: Hashable,
        *args: Any,
        to: str | None = None,
        one: bool = True,
        timeout: float | None = None,
    ) -> PendingRequest:
        def call() -> PendingRequest:
            return super(RecordingTree, self).send_request(
                event, *args, to=to, one=one, timeout=timeout
            )

        if self._in_request or not self._idle():
            return call()
        return self._take(  # type: ignore[no-any-return]
            self._request_line("send_request", event, args, to, one, timeout), call
        )

    def request(
        self,
        event: Hashable,
        *args: Any,
        to: str | None = None,
        one: bool = True,
        timeout: float | None = None,
    ) -> object:
        def call() -> object:
            self._in_request = True
            try:
                return super(RecordingTree, self).request(
                    event, *args, to=to, one=one, timeout=timeout
                )
            finally:
                self._in_request = False

        if not self._idle():
            return call()
        return self._take(self._request_line("request", event, args, to, one, timeout), call)

    def _request_line(
        self,
        op: str,
        event: Hashable,
        args: tuple[Any, ...],
        to: str | None,
        one: bool,
        timeout: float | None,
    ) -> dict[str, object]:
        name = f"Tree.{op}()"
        return {
            "op": op,
            "event": encode(event, name, "event"),
            "args": encode(list(args), name, "args"),
            "to": encode(to, name, "to"),
            "one": encode(one, name, "one"),
            "timeout": encode(timeout, name, "timeout"),
        }

    # ---- Time and calls ----

    def fire_due(self) -> int:
        if not self._idle():
            return super().fire_due()
        return self._take({"op": "fire_due"}, super().fire_due)  # type: ignore[no-any-return]

    def complete_call(self, call: PendingCall, value: object) -> bool:
        if not self._idle() or not isinstance(call, PendingCall):
            return super().complete_call(call, value)
        line = self._call_line("complete_call", call)
        line["value"] = encode(value, "Tree.complete_call()", "value")
        return self._take(  # type: ignore[no-any-return]
            line, lambda: super(RecordingTree, self).complete_call(call, value)
        )

    def fail_call(self, call: PendingCall, error: BaseException) -> bool:
        if (
            not self._idle()
            or not isinstance(call, PendingCall)
            or not isinstance(error, BaseException)
        ):
            return super().fail_call(call, error)
        line = self._call_line("fail_call", call)
        line["error"] = encode_exception(error, "Tree.fail_call()", "error")
        return self._take(  # type: ignore[no-any-return]
            line, lambda: super(RecordingTree, self).fail_call(call, error)
        )

    @staticmethod
    def _call_line(op: str, call: PendingCall) -> dict[str, object]:
        # Ids are given in the order calls are made, so the replay's are the same.
        return {"op": op, "id": call.id, "path": call.path, "incarnation": call.incarnation}

    # ---- OTP's dynamic API ----

    def start_child(self, sup_path: str, spec: ChildSpec) -> None:
        refuse_recording([spec], sup_path, "Tree.start_child()")
        if not self._idle() or not isinstance(spec, (Worker, Supervisor)):
            super().start_child(sup_path, spec)
            return
        name = "Tree.start_child()"
        line = {
            "op": "start_child",
            "sup_path": encode(sup_path, name, "sup_path"),
            "spec": encode_spec(spec, name, "spec"),
        }
        self._take(line, lambda: super(RecordingTree, self).start_child(sup_path, spec))

    def terminate_child(self, path: str) -> None:
        self._child_op("terminate_child", path, super().terminate_child)

    def restart_child(self, path: str) -> None:
        self._child_op("restart_child", path, super().restart_child)

    def delete_child(self, path: str) -> None:
        self._child_op("delete_child", path, super().delete_child)

    def _child_op(self, op: str, path: str, call: Callable[[str], None]) -> None:
        if not self._idle():
            call(path)
            return
        line = {"op": op, "path": encode(path, f"Tree.{op}()", "path")}
        self._take(line, lambda: call(path))

    # ---- The test kit: crash and finish ----

    def _end_worker(self, path: str, error: BaseException | None, name: str) -> None:
        def call() -> None:
            super(RecordingTree, self)._end_worker(path, error, name)

        if not self._idle():
            call()
            return
        line: dict[str, object] = {"op": name, "path": encode(path, f"{name}()", "path")}
        if error is not None:
            line["exc"] = encode_exception(error, f"{name}()", "exc")
        self._take(line, call)


def start_recording(
    spec: Supervisor,
    path: str | os.PathLike[str],
    *,
    clock: Clock | None,
    observer: Observer | None,
    seed: int | str | bytes | None,
    driver: Driver | None,
    max_deliveries: int,
    dead_letters: int,
) -> RecordingTree:
    """A `RecordingTree`, not started yet, with its record's header written.

    An unseeded tree gets a seed drawn here, and written, so that backoff
    jitter replays the same.
    """
    if seed is None:
        seed = random.SystemRandom().getrandbits(64)
    header = {
        "gensup": "record",
        "version": FORMAT,
        "spec": repr(spec),
        "seed": encode(seed, "gensup.start()", "seed"),
        "max_deliveries": max_deliveries,
        "dead_letters": dead_letters,
    }
    writer = _Writer(path)
    try:
        writer.line(header)
    except BaseException:
        writer.close()
        raise
    recording = _RecordingClock(MonotonicClock() if clock is None else clock, writer)
    tree = RecordingTree(
        spec,
        clock=recording,
        observer=observer,
        seed=seed,
        driver=driver,
        max_deliveries=max_deliveries,
        dead_letters=dead_letters,
    )
    tree._writer = writer
    tree._listened = 0
    tree._in_request = False
    recording._tree = weakref.ref(tree)
    # A tree dropped while running still lets its record file go.
    weakref.finalize(tree, writer.close)
    return tree
