"""Specs: what a tree is made of, as frozen, validated data.

A spec is built once, validated when it is built, and never changes.  The
running tree (``_core``) trusts it and never validates again.
"""

from __future__ import annotations

import contextlib
import enum
import inspect
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from types import FunctionType, MappingProxyType
from typing import Any, Final, TypeAlias

import attrs

from ._backoff import Backoff
from ._commands import Emit, WaitFor
from ._errors import InvalidSpec, InvalidSpecType
from ._placement import Placement

__all__ = [
    "DEFAULTS",
    "AutoShutdown",
    "ChildSpec",
    "Restart",
    "Strategy",
    "Supervisor",
    "Worker",
    "WorkerFunc",
    "WorkerGen",
    "check_root",
    "check_significant_allowed",
    "not_a_generator",
]


class Strategy(enum.StrEnum):
    """How a supervisor restarts its children when one of them ends.

    Example:
        >>> Strategy("rest_for_one") is Strategy.REST_FOR_ONE
        True
    """

    #: Restart only the child that ended.
    ONE_FOR_ONE = "one_for_one"
    #: Stop every other child, then start them all again.
    ONE_FOR_ALL = "one_for_all"
    #: Stop the children started after the one that ended, then start it and them again.
    REST_FOR_ONE = "rest_for_one"


class Restart(enum.StrEnum):
    """When a child is restarted after it ends.

    Example:
        >>> Restart("transient").value
        'transient'
    """

    #: Always restarted, even after a normal exit.
    PERMANENT = "permanent"
    #: Restarted only after a crash.
    TRANSIENT = "transient"
    #: Never restarted; removed from its supervisor when it ends.
    TEMPORARY = "temporary"


class AutoShutdown(enum.StrEnum):
    """When a supervisor ends itself because significant children ended (OTP 24+).

    Example:
        >>> AutoShutdown("any_significant") is AutoShutdown.ANY_SIGNIFICANT
        True
    """

    #: Never: significant children are ignored.
    NEVER = "never"
    #: As soon as any significant child ends on its own and is not restarted.
    ANY_SIGNIFICANT = "any_significant"
    #: When a significant child ends on its own and no significant child is left running.
    ALL_SIGNIFICANT = "all_significant"


_STRATEGY: Final = Strategy.ONE_FOR_ONE
_INTENSITY: Final = 1
_PERIOD: Final = 5
_AUTO_SHUTDOWN: Final = AutoShutdown.NEVER
_RESTART: Final = Restart.PERMANENT
_SIGNIFICANT: Final = False

#: The defaults, as in OTP: one table, used by both spec classes.
DEFAULTS: Final[Mapping[str, object]] = MappingProxyType(
    {
        "strategy": _STRATEGY,
        "intensity": _INTENSITY,
        "period": _PERIOD,
        "auto_shutdown": _AUTO_SHUTDOWN,
        "restart": _RESTART,
        "significant": _SIGNIFICANT,
    }
)

#: The type of a worker's generator, to annotate worker functions with
#: (``def ticker() -> WorkerGen:``).  It yields commands (`waitfor`, `emit`),
#: is sent the tuple ``(event, *args)`` of the event that resumed it, so that
#: ``event, *args = yield waitfor(...)`` type-checks, and returns nothing
#: (a worker ends by returning; a value would be ignored).  The tuple's items
#: are ``Any``: what an event carries is up to the code that signals it.
WorkerGen: TypeAlias = Generator[WaitFor | Emit, tuple[Any, ...], None]

#: The type of a `Worker`'s ``func``: called with the spec's args and kwargs
#: at every start, it returns a `WorkerGen`.
WorkerFunc: TypeAlias = Callable[..., WorkerGen]


# ---- Validators: run once, when a spec is built ----


def _owner(inst: object) -> str:
    return f"{type(inst).__name__} {getattr(inst, 'id', '?')!r}"


def _check_id(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str):
        raise InvalidSpecType(
            f"{type(inst).__name__}: 'id' must be a str (got {value!r} of type "
            f"{type(value).__name__})"
        )
    if not value or "/" in value:
        raise InvalidSpec(
            f"{type(inst).__name__}: 'id' must be a non-empty string without '/' (got {value!r})"
        )


def _check_func(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    # Only a generator function is known to return a generator before it is
    # called; any other callable (a lambda, a partial, an instance with a
    # generator __call__) is checked at each start (see `not_a_generator`).
    # What can never return a generator is refused here.
    if inspect.isgenerator(value):
        raise InvalidSpecType(
            f"{_owner(inst)}: 'func' must be a generator function or another callable that "
            f"returns a generator (got the generator object {value!r}: pass the function, "
            f"not a call of it)"
        )
    if not callable(value):
        raise InvalidSpecType(
            f"{_owner(inst)}: 'func' must be a generator function or another callable that "
            f"returns a generator (got {value!r})"
        )
    if inspect.iscoroutinefunction(value) or inspect.isasyncgenfunction(value):
        raise InvalidSpecType(
            f"{_owner(inst)}: 'func' must be a generator function or another callable that "
            f"returns a generator (got the async function {value!r}: workers are plain "
            f"generators, def with yield)"
        )


def not_a_generator(path: str, func: object, value: object) -> InvalidSpecType:
    """The error of a worker whose ``func`` returned ``value``, not a generator.

    A coroutine returned by mistake is closed, so that Python does not also
    warn that it was never awaited.
    """
    if inspect.iscoroutine(value):
        value.close()
    name = getattr(func, "__qualname__", None) or repr(func)
    return InvalidSpecType(
        f"worker {path!r}: its func {name} returned {value!r:.200}, not a generator "
        f"(a worker's func must be a generator function or return a generator)"
    )


def check_root(spec: Supervisor) -> None:
    """Refuse the options that mean nothing for a root: no supervisor restarts it.

    ``significant`` is checked first: a significant spec is never permanent,
    so it always sets ``restart`` too.
    """
    if spec.significant:
        raise InvalidSpec(
            f"gensup.start: the root {_owner(spec)} has significant=True, which means "
            f"nothing for a root: it has no supervisor to shut down "
            f"(leave 'significant' at its default)"
        )
    if spec.restart is not _RESTART:
        raise InvalidSpec(
            f"gensup.start: the root {_owner(spec)} has restart={spec.restart.value!r}, "
            f"which means nothing for a root: no supervisor restarts it "
            f"(leave 'restart' at its default)"
        )
    if spec.backoff is not None:
        raise InvalidSpec(
            f"gensup.start: the root {_owner(spec)} has a 'backoff', which means nothing "
            f"for a root: no supervisor restarts it (leave 'backoff' at its default)"
        )
    if spec.placement is not None:
        raise InvalidSpec(
            f"gensup.start: the root {_owner(spec)} has a 'placement': the root runs where "
            f"gensup.start is called (place a child supervisor instead)"
        )


def _check_bool(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidSpecType(f"{_owner(inst)}: {attribute.name!r} must be a bool (got {value!r})")


def _convert_enum(enum_type: type[enum.StrEnum], field: str, value: object) -> Any:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return enum_type(value)
    # A converter does not know the spec's id: the field's validator raises
    # instead, with the id in the message.
    choices = ", ".join(repr(m.value) for m in enum_type)
    return _Invalid(value, field, choices)


# The converters' parameters are annotated with what a user may pass: the
# reference shows them as the spec's signature (see docs/griffe_extensions.py).
# Their bodies take any value, and leave a wrong one to the field's validator.


def _to_strategy(value: Strategy | str) -> Strategy:
    return _convert_enum(Strategy, "strategy", value)  # type: ignore[no-any-return]


def _to_restart(value: Restart | str) -> Restart:
    return _convert_enum(Restart, "restart", value)  # type: ignore[no-any-return]


def _to_auto_shutdown(value: AutoShutdown | str) -> AutoShutdown:
    return _convert_enum(AutoShutdown, "auto_shutdown", value)  # type: ignore[no-any-return]


@attrs.frozen
class _Invalid:
    """A value that a converter could not convert; its field validator reports it."""

    value: object
    field: str
    choices: str


def _check_enum(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, _Invalid):
        raise InvalidSpec(
            f"{_owner(inst)}: {value.field!r} must be one of {value.choices} (got {value.value!r})"
        )


def _check_number(
    minimum: float, *, integral: bool, strict: bool = False
) -> Callable[[object, attrs.Attribute[Any], object], None]:
    def check(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        kinds: tuple[type, ...] = (int,) if integral else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds):
            what = "an int" if integral else "a number"
            raise InvalidSpecType(
                f"{_owner(inst)}: {attribute.name!r} must be {what} (got {value!r})"
            )
        number = float(value)  # type: ignore[arg-type]  # checked just above
        # Written so that NaN, which compares false with everything, fails.
        if not (number > minimum or (not strict and number == minimum)):
            bound = f"> {minimum}" if strict else f">= {minimum}"
            raise InvalidSpec(f"{_owner(inst)}: {attribute.name!r} must be {bound} (got {value!r})")

    return check


def _to_tuple(value: Iterable[Any]) -> object:
    untyped: object = value
    if isinstance(untyped, tuple):
        return untyped
    if isinstance(untyped, (str, bytes, Mapping)) or not isinstance(untyped, Iterable):
        return untyped  # left for the validator to reject
    return tuple(untyped)


def _check_args(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, tuple):
        raise InvalidSpecType(
            f"{_owner(inst)}: 'args' must be a tuple or list of arguments (got {value!r})"
        )


class _Kwargs(Mapping[str, Any]):
    """A read-only copy of a worker's keyword arguments that hashes, so that
    specs hash like the values they are (when the arguments themselves do)."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, Any]) -> None:
        self._items = dict(items)

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(frozenset(self._items.items()))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._items == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return repr(self._items)


_NO_KWARGS: Final = _Kwargs({})


def _to_kwargs(value: Mapping[str, Any] | None) -> object:
    untyped: object = value
    if untyped is None:
        return _NO_KWARGS
    if isinstance(untyped, Mapping):
        return _Kwargs(untyped)
    return untyped


def _check_kwargs(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise InvalidSpecType(
            f"{_owner(inst)}: 'kwargs' must be a mapping of str keys or None (got {value!r})"
        )


def _check_backoff(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, Backoff):
        raise InvalidSpecType(
            f"{_owner(inst)}: 'backoff' must be a gensup.Backoff or None (got {value!r})"
        )


def _check_placement(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not (callable(getattr(value, "open", None)) and callable(getattr(value, "describe", None))):
        raise InvalidSpecType(
            f"{_owner(inst)}: 'placement' must be gensup.Process(), gensup.ray.Actor() or "
            f"another gensup.Placement, or None (got {value!r})"
        )


def _check_significant(inst: Worker | Supervisor) -> None:
    if inst.significant and inst.restart is Restart.PERMANENT:
        raise InvalidSpec(
            f"{_owner(inst)}: 'significant' children must be transient or temporary "
            f"(got restart='permanent'; a permanent child never ends for good, as in OTP)"
        )


def check_significant_allowed(sup: Supervisor, child: Worker | Supervisor, where: str) -> None:
    """OTP rejects a significant child under a supervisor whose auto_shutdown is never."""
    if child.significant and sup.auto_shutdown is AutoShutdown.NEVER:
        raise InvalidSpec(
            f"{_owner(sup)}: {where!s} {child.id!r} is significant, but the supervisor's "
            f"'auto_shutdown' is 'never' (set auto_shutdown='any_significant' or "
            f"'all_significant', as in OTP)"
        )


# ---- The specs ----


# The specs compare, hash and print by value, as attrs would make them, but
# written by hand: attrs' generated methods recurse into the children, and
# specs may be thousands of levels deep.  See `_equal`, `_hash` and `_repr`.


@attrs.frozen(eq=False, repr=False, init=False)
class Worker:
    """A worker: a generator function, started with its args, supervised.

    Example:
        >>> from gensup import Worker, waitfor
        >>> def ticker(limit):
        ...     for _ in range(limit):
        ...         event, n = yield waitfor("TICK")
        >>> Worker("t1", ticker, args=(3,), restart="transient")
        Worker('t1', ticker, args=(3,), restart='transient')

    Args:
        id: The child's name among its siblings: a non-empty string without ``/``.
        func: A generator function, or any other callable that returns a
            generator (a lambda, a ``functools.partial``, an instance with a
            generator ``__call__``): called with ``args`` and ``kwargs`` at
            every start.  A generator function is known to be right when the
            spec is built; any other callable is checked at each start, and
            a result that is not a generator is a crash of the worker
            (`InvalidSpecType`).
        args: Positional arguments passed to ``func`` at every start.
        kwargs: Keyword arguments passed to ``func`` at every start.
        restart: ``permanent`` (default, as in OTP), ``transient`` or ``temporary``.
        significant: Whether this child's own exit may end its supervisor
            through ``auto_shutdown``.  Not allowed for permanent children.
        backoff: Wait before each restart, longer while it keeps failing
            (a `Backoff`); ``None`` (default) restarts at once, as OTP does.

    Raises:
        InvalidSpec: a value is out of range (a ``ValueError``).
        InvalidSpecType: a value has the wrong type (a ``TypeError``).
    """

    id: str = attrs.field(validator=_check_id)
    func: WorkerFunc = attrs.field(validator=_check_func)
    args: tuple[Any, ...] = attrs.field(
        default=(), kw_only=True, converter=_to_tuple, validator=_check_args
    )
    kwargs: Mapping[str, Any] = attrs.field(
        default=None, kw_only=True, converter=_to_kwargs, validator=_check_kwargs
    )
    restart: Restart = attrs.field(
        default=_RESTART,
        kw_only=True,
        converter=_to_restart,
        validator=_check_enum,
    )
    significant: bool = attrs.field(default=_SIGNIFICANT, kw_only=True, validator=_check_bool)
    backoff: Backoff | None = attrs.field(default=None, kw_only=True, validator=_check_backoff)

    def __init__(
        self,
        id: str,
        func: WorkerFunc,
        *,
        args: Iterable[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
        restart: Restart | str = _RESTART,
        significant: bool = _SIGNIFICANT,
        backoff: Backoff | None = None,
    ) -> None:
        # Written out rather than generated by attrs: a program builds a
        # Worker per worker, thousands at a time, and nearly all of them take
        # the fast path here (a plain id, a generator function, the default
        # options), checked with a few identity tests instead of six calls.
        # Any other value goes through its field's converter and validator,
        # in field order, as the generated __init__ would.
        fields = _WORKER_FIELDS
        _setattr(self, "id", id)
        if id.__class__ is not str or not id or "/" in id:
            _check_id(self, fields.id, id)
        _setattr(self, "func", func)
        if func.__class__ is not FunctionType or not func.__code__.co_flags & _CO_GENERATOR:
            _check_func(self, fields.func, func)
        if args.__class__ is not tuple:
            args = _to_tuple(args)  # type: ignore[assignment]
            _check_args(self, fields.args, args)
        _setattr(self, "args", args)
        if kwargs is None:
            kwargs = _NO_KWARGS
        else:
            kwargs = _to_kwargs(kwargs)  # type: ignore[assignment]
            _check_kwargs(self, fields.kwargs, kwargs)
        _setattr(self, "kwargs", kwargs)
        if restart.__class__ is not Restart:
            restart = _to_restart(restart)
            _check_enum(self, fields.restart, restart)
        _setattr(self, "restart", restart)
        if significant is not False:
            _check_bool(self, fields.significant, significant)
            _setattr(self, "significant", significant)
            _check_significant(self)
        else:
            _setattr(self, "significant", False)
        if backoff is not None:
            _check_backoff(self, fields.backoff, backoff)
        _setattr(self, "backoff", backoff)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return _equal(self, other)

    def __hash__(self) -> int:
        return _worker_hash(self)

    def __repr__(self) -> str:
        return _worker_repr(self)


_WORKER_FIELDS: Final = attrs.fields(Worker)
_setattr: Final = object.__setattr__
_CO_GENERATOR: Final = inspect.CO_GENERATOR


def _worker_repr(spec: Worker) -> str:
    name = getattr(spec.func, "__qualname__", None) or repr(spec.func)
    parts = [repr(spec.id), name]
    if spec.args:
        parts.append(f"args={spec.args!r}")
    if spec.kwargs:
        parts.append(f"kwargs={dict(spec.kwargs)!r}")
    if spec.restart is not Restart.PERMANENT:
        parts.append(f"restart={spec.restart.value!r}")
    if spec.significant:
        parts.append("significant=True")
    if spec.backoff is not None:
        parts.append(f"backoff={spec.backoff!r}")
    return f"Worker({', '.join(parts)})"


def _worker_hash(spec: Worker) -> int:
    return hash(
        (
            Worker,
            spec.id,
            spec.func,
            spec.args,
            spec.kwargs,
            spec.restart,
            spec.significant,
            spec.backoff,
        )
    )


def _to_children(value: Iterable[ChildSpec]) -> object:
    untyped: object = value
    if isinstance(untyped, (Worker, Supervisor)):
        return untyped  # a single child passed bare: rejected below with a clear message
    return _to_tuple(value)


def _check_children(inst: Supervisor, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, tuple):
        # A spec passed bare is named, not printed: it may hold a whole tree.
        got = (
            f"the {type(value).__name__} spec {value.id!r}; put it in a list: [spec]"
            if isinstance(value, (Worker, Supervisor))
            else repr(value)
        )
        raise InvalidSpecType(
            f"{_owner(inst)}: 'children' must be a list or tuple of Worker and Supervisor "
            f"specs (got {got})"
        )
    for index, child in enumerate(value):
        cls = child.__class__
        if cls is not Worker and cls is not Supervisor and not isinstance(child, ChildSpec):
            raise InvalidSpecType(
                f"{_owner(inst)}: 'children[{index}]' must be a Worker or Supervisor spec "
                f"(got {child!r})"
            )
    if len({child.id for child in value}) == len(value):
        return
    seen: set[str] = set()
    for index, child in enumerate(value):
        if child.id in seen:
            raise InvalidSpec(
                f"{_owner(inst)}: 'children[{index}]' has the duplicate id {child.id!r} "
                f"(child ids must be unique among siblings; path {inst.id}/{child.id})"
            )
        seen.add(child.id)


@attrs.frozen(eq=False, repr=False)
class Supervisor:
    """A supervisor: children started in order, restarted by a strategy.

    Example:
        >>> from gensup import Supervisor, Worker, waitfor
        >>> def idle():
        ...     yield waitfor("NEVER")
        >>> Supervisor("pool", [Worker("a", idle)], strategy="one_for_all", intensity=3)
        Supervisor('pool', [Worker('a', idle)], strategy='one_for_all', intensity=3)

    Args:
        id: The supervisor's name among its siblings (the root's is the first
            part of every path).
        children: Worker and Supervisor specs, in start order.
        strategy: ``one_for_one`` (default), ``one_for_all`` or ``rest_for_one``.
        intensity: How many restarts are allowed within ``period`` seconds;
            one more and the supervisor gives up (default 1, as in OTP).
        period: The length of the intensity window, in seconds (default 5).
        auto_shutdown: ``never`` (default), ``any_significant`` or
            ``all_significant``, as in OTP 24+.
        restart: How this supervisor's own parent restarts it.
        significant: As for `Worker`.
        backoff: As for `Worker`: how this supervisor's own parent delays
            restarting it.
        backlog: How many events sent to one worker of this subtree
            (``signal(..., one=True)`` or ``key=``) it keeps while no worker
            there waits for them (default 0: such events are dropped).
        placement: Where this supervisor and everything under it run:
            ``None`` (default) for here, `gensup.Process()` for another
            process of this machine, `gensup.ray.Actor()` for a Ray actor.
            A placed subtree needs the async driver (`gensup.aio`); see
            [Placing a subtree elsewhere](../how-to/placement.md).

    Raises:
        InvalidSpec: a bad value or a duplicate child id (a ``ValueError``).
        InvalidSpecType: a value of the wrong type (a ``TypeError``).
    """

    id: str = attrs.field(validator=_check_id)
    children: tuple[ChildSpec, ...] = attrs.field(
        default=(), converter=_to_children, validator=_check_children
    )
    strategy: Strategy = attrs.field(
        default=_STRATEGY,
        kw_only=True,
        converter=_to_strategy,
        validator=_check_enum,
    )
    intensity: int = attrs.field(
        default=_INTENSITY, kw_only=True, validator=_check_number(0, integral=True)
    )
    period: float = attrs.field(
        default=_PERIOD,
        kw_only=True,
        validator=_check_number(0, integral=False, strict=True),
    )
    auto_shutdown: AutoShutdown = attrs.field(
        default=_AUTO_SHUTDOWN,
        kw_only=True,
        converter=_to_auto_shutdown,
        validator=_check_enum,
    )
    restart: Restart = attrs.field(
        default=_RESTART,
        kw_only=True,
        converter=_to_restart,
        validator=_check_enum,
    )
    significant: bool = attrs.field(default=_SIGNIFICANT, kw_only=True, validator=_check_bool)
    backoff: Backoff | None = attrs.field(default=None, kw_only=True, validator=_check_backoff)
    backlog: int = attrs.field(default=0, kw_only=True, validator=_check_number(0, integral=True))
    placement: Placement | None = attrs.field(
        default=None, kw_only=True, validator=_check_placement
    )

    def __attrs_post_init__(self) -> None:
        _check_significant(self)
        if self.auto_shutdown is AutoShutdown.NEVER:
            for index, child in enumerate(self.children):
                if child.significant:
                    check_significant_allowed(self, child, f"children[{index}]")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return _equal(self, other)

    def __hash__(self) -> int:
        return _hash(self)

    def __repr__(self) -> str:
        return _repr(self)

    def _repr_svg_(self) -> str:
        """The picture Jupyter shows for a spec: `gensup.render.svg`, with a background."""
        from .render import svg  # render builds on specs: imported late

        return svg(self, background=True)


#: A child of a supervisor: a worker or another supervisor.
ChildSpec: TypeAlias = Worker | Supervisor


# ---- Value semantics without recursion ----

_SUPERVISOR_OPTIONS: Final = (
    "strategy",
    "intensity",
    "period",
    "auto_shutdown",
    "restart",
    "significant",
)


def _equal(first: ChildSpec, second: ChildSpec) -> bool:
    """Whether two specs are equal field by field, children included, in order."""
    stack = [(first, second)]
    while stack:
        a, b = stack.pop()
        if a is b:
            continue
        if a.__class__ is not b.__class__:
            return False
        if isinstance(a, Worker):
            assert isinstance(b, Worker)
            if not (
                a.id == b.id
                and a.func == b.func
                and a.args == b.args
                and a.kwargs == b.kwargs
                and a.restart == b.restart
                and a.significant == b.significant
                and a.backoff == b.backoff
            ):
                return False
            continue
        assert isinstance(b, Supervisor)
        if a.id != b.id or len(a.children) != len(b.children):
            return False
        if any(getattr(a, name) != getattr(b, name) for name in _SUPERVISOR_OPTIONS):
            return False
        if a.backoff != b.backoff or a.backlog != b.backlog or a.placement != b.placement:
            return False
        # Reversed, so that children are compared first to last, as a tuple would.
        stack.extend(zip(reversed(a.children), reversed(b.children), strict=True))
    return True


def _hash(root: Supervisor) -> int:
    """A supervisor's hash, from its children's, computed children first."""
    hashes: dict[int, int] = {}  # id(spec) -> its hash; a shared subtree is hashed once
    stack: list[tuple[Supervisor, bool]] = [(root, False)]
    while stack:
        sup, children_done = stack.pop()
        if children_done:
            hashes[id(sup)] = hash(
                (
                    Supervisor,
                    sup.id,
                    tuple(hashes[id(child)] for child in sup.children),
                    *(getattr(sup, name) for name in _SUPERVISOR_OPTIONS),
                    sup.backoff,
                    sup.backlog,
                    sup.placement,
                )
            )
            continue
        if id(sup) in hashes:
            continue
        stack.append((sup, True))
        for child in sup.children:
            if type(child) is Worker:
                hashes[id(child)] = _worker_hash(child)
            else:
                stack.append((child, False))  # type: ignore[arg-type]
    return hashes[id(root)]


def _repr(root: Supervisor) -> str:
    """A supervisor's repr, children included, built piece by piece from a stack."""
    out: list[str] = []
    # Specs still to print, and the text between them, last piece first.
    stack: list[ChildSpec | str] = [root]
    while stack:
        item = stack.pop()
        if type(item) is str:
            out.append(item)
        elif type(item) is Worker:
            out.append(_worker_repr(item))
        else:
            assert isinstance(item, Supervisor)
            out.append(f"Supervisor({item.id!r}")
            stack.append(_options_repr(item) + ")")
            if item.children:
                stack.append("]")
                for index in range(len(item.children) - 1, -1, -1):
                    stack.append(item.children[index])
                    stack.append(", " if index else ", [")
    return "".join(out)


def _options_repr(sup: Supervisor) -> str:
    parts = []
    for name in _SUPERVISOR_OPTIONS:
        value = getattr(sup, name)
        if value != DEFAULTS[name]:
            shown = value.value if isinstance(value, enum.Enum) else value
            parts.append(f", {name}={shown!r}")
    if sup.backoff is not None:
        parts.append(f", backoff={sup.backoff!r}")
    if sup.backlog:
        parts.append(f", backlog={sup.backlog!r}")
    if sup.placement is not None:
        parts.append(f", placement={sup.placement!r}")
    return "".join(parts)
