"""Placed subtrees in Ray actors: `Actor`, a placement for ``Supervisor(..., placement=)``.

Example:
    A supervisor spec with ``placement=gensup.ray.Actor(...)`` runs, with
    everything under it, inside a Ray actor; its parent supervises it as it
    would any child supervisor, under `gensup.aio`:

    ```python
    import ray
    import gensup
    import gensup.aio
    import gensup.ray
    from gensup import Supervisor, Worker

    from shards import shard_worker  # importable by module name on every node

    ray.init()  # or ray.init(address="auto") to join a cluster
    spec = Supervisor(
        "root",
        [
            Supervisor(
                "shard1",
                [Worker("w", shard_worker)],
                placement=gensup.ray.Actor(num_cpus=1),
            )
        ],
    )

    async def main():
        async with gensup.aio.start(spec) as tree:
            ...
    ```

    Building an `Actor` needs no Ray cluster:

    >>> import gensup.ray
    >>> gensup.ray.Actor(num_cpus=2, resources={"shard": 1}).describe()
    "Ray actor (num_cpus=2, resources={'shard': 1})"

What Ray must be able to do, and what it is never asked to do:

* **Import the workers by module name.**  The subtree's spec goes to the
  actor as bytes, with each worker function named by its module and
  qualified name, and is imported there: the modules must be installed on
  every node, or be on the workers' ``sys.path``.  On one machine, Ray adds
  the driver's current directory and script directory to it.
* **Never restart the actor.**  The actor is made with ``max_restarts=0`` and
  ``max_task_retries=0``: when it dies, its link reports the death and the
  parent's supervisor decides, by its strategy and intensity, whether to
  start a new actor.  Ray restarting it too would run the subtree twice.
* **Ray is not started by importing this module.**  Call ``ray.init()``
  (with ``address=`` to join a cluster) before the tree starts.  If Ray is
  not initialised when a placed subtree starts, its link calls ``ray.init()``
  with no arguments, in the link's own thread (so the event loop does not
  wait for it): a local Ray with Ray's defaults.

Importing this module without Ray installed raises `ImportError`; install
the extra with ``pip install 'gensup[ray]'``.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import os
import queue
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from typing import Any, Final

import attrs

try:
    import ray
    import ray.exceptions
except ImportError as error:  # pragma: no cover - exercised in a subprocess
    raise ImportError(
        "gensup.ray needs Ray, which is an optional dependency of gensup: pip install 'gensup[ray]'"
    ) from error

from ._errors import InvalidSpec, InvalidSpecType
from ._placement import Link

__all__ = ["Actor"]

#: Where the actor finds the function that runs the subtree, as
#: "module:function"; read when a link is opened and resolved in the actor.
#: Tests point it at a stand-in.
_SERVE = "gensup._remote:serve"

# What crosses a link: a list of messages, each a picklable tuple (Ray pickles it).
_Batch = list[Any]

#: How long one ``pull`` waits in the actor for a batch before returning none.
_PULL_WAIT: Final = 0.25

#: `Actor.options` keys that gensup sets itself, or that an `Actor` field sets.
_RESERVED_OPTIONS: Final = {
    "max_restarts": "gensup's supervisors decide restarts, never Ray",
    "max_task_retries": "gensup's supervisors decide restarts, never Ray",
    "concurrency_groups": "the link needs its own",
    "max_concurrency": "the link needs its own concurrency groups",
    "num_cpus": "use Actor(num_cpus=...)",
    "num_gpus": "use Actor(num_gpus=...)",
    "resources": "use Actor(resources=...)",
    "memory": "use Actor(memory=...)",
}

# Ray refuses these names in ``resources``: they have fields of their own.
_BUILTIN_RESOURCES: Final = {"CPU": "num_cpus", "GPU": "num_gpus", "memory": "memory"}

# Two links that open at once must not both start Ray.
_init_lock = threading.Lock()


# ---- Validation ----


def _check_amount(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    name = attribute.name
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidSpecType(f"gensup.ray.Actor: {name!r} must be a number (got {value!r})")
    # Written so that NaN, which compares false with everything, fails.
    if not (0 <= value < math.inf):
        raise InvalidSpec(
            f"gensup.ray.Actor: {name!r} must be a finite number >= 0 (got {value!r})"
        )


def _check_resources(_inst: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping):
        raise InvalidSpecType(
            f"gensup.ray.Actor: 'resources' must be a mapping of resource names to "
            f"amounts, or None (got {value!r})"
        )
    for key, amount in value.items():
        if not isinstance(key, str) or not key:
            raise InvalidSpecType(
                f"gensup.ray.Actor: 'resources' keys must be non-empty strings (got {key!r})"
            )
        if key in _BUILTIN_RESOURCES:
            raise InvalidSpec(
                f"gensup.ray.Actor: 'resources' must not name {key!r} "
                f"(use Actor({_BUILTIN_RESOURCES[key]}=...))"
            )
        if isinstance(amount, bool) or not isinstance(amount, (int, float)):
            raise InvalidSpecType(
                f"gensup.ray.Actor: 'resources' amounts must be numbers "
                f"(got {amount!r} for {key!r})"
            )
        if not (0 <= amount < math.inf):
            raise InvalidSpec(
                f"gensup.ray.Actor: 'resources' amounts must be finite numbers >= 0 "
                f"(got {amount!r} for {key!r})"
            )


def _check_memory(_inst: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidSpecType(
            f"gensup.ray.Actor: 'memory' must be an int (bytes) or None (got {value!r})"
        )
    if value <= 0:
        raise InvalidSpec(f"gensup.ray.Actor: 'memory' must be > 0 bytes (got {value!r})")


def _check_options(_inst: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping):
        raise InvalidSpecType(
            f"gensup.ray.Actor: 'options' must be a mapping of keyword arguments for "
            f"Ray's .options(), or None (got {value!r})"
        )
    for key in value:
        if not isinstance(key, str):
            raise InvalidSpecType(f"gensup.ray.Actor: 'options' keys must be strings (got {key!r})")
        if key in _RESERVED_OPTIONS:
            raise InvalidSpec(
                f"gensup.ray.Actor: 'options' must not set {key!r} ({_RESERVED_OPTIONS[key]})"
            )


def _to_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    # A private copy, so that changing the caller's dict later changes nothing.
    return dict(value) if isinstance(value, Mapping) else value


# ---- The placement ----


@attrs.frozen(kw_only=True, repr=False)
class Actor:
    """Run a placed subtree inside a Ray actor: a ``placement=`` for `gensup.Supervisor`.

    Example:
        >>> import gensup.ray
        >>> gensup.ray.Actor().describe()
        'Ray actor (num_cpus=1)'
        >>> gensup.ray.Actor(num_cpus=0.5, num_gpus=1).describe()
        'Ray actor (num_cpus=0.5, num_gpus=1)'
        >>> gensup.ray.Actor(num_cpus=-1)
        Traceback (most recent call last):
        ...
        gensup.InvalidSpec: gensup.ray.Actor: 'num_cpus' must be a finite number >= 0 (got -1)

    Each incarnation of the subtree gets an actor of its own, made when the
    subtree starts and killed (``ray.kill``) when it stops or is restarted.
    The actor asks Ray for the resources below, and is made with
    ``max_restarts=0`` and ``max_task_retries=0``: when the actor or its
    process dies, the parent's supervisor restarts the subtree (in a new
    actor) or gives up, by its own strategy and intensity, as in OTP.

    Args:
        num_cpus: CPUs the actor holds while it lives (Ray's ``num_cpus``).
        num_gpus: GPUs the actor holds (Ray's ``num_gpus``).
        resources: Custom resources the actor holds, such as ``{"shard": 1}``
            (Ray's ``resources``).  Not ``CPU``, ``GPU`` nor ``memory``,
            which have fields of their own.
        memory: Heap memory, in bytes, that Ray reserves for the actor
            (Ray's ``memory``), or None.
        options: Any other keyword arguments for Ray's ``.options()``, such
            as ``{"scheduling_strategy": "SPREAD"}`` or ``{"runtime_env":
            {...}}``.  Not those that gensup sets (``max_restarts``,
            ``max_task_retries``, ``max_concurrency``,
            ``concurrency_groups``) nor the fields above.

    Raises:
        gensup.InvalidSpec: A value is out of range, or an option is one
            that gensup sets (also a `ValueError`).
        gensup.InvalidSpecType: A value has the wrong type (also a
            `TypeError`).
    """

    num_cpus: float = attrs.field(default=1, validator=_check_amount)
    num_gpus: float = attrs.field(default=0, validator=_check_amount)
    resources: Mapping[str, float] | None = attrs.field(
        default=None, converter=_to_mapping, validator=_check_resources
    )
    memory: int | None = attrs.field(default=None, validator=_check_memory)
    options: Mapping[str, Any] | None = attrs.field(
        default=None, converter=_to_mapping, validator=_check_options
    )

    def __repr__(self) -> str:
        # Only what differs from the defaults, as a spec's repr does.
        given = [
            f"{field.name}={getattr(self, field.name)!r}"
            for field in attrs.fields(Actor)
            if getattr(self, field.name) != field.default
        ]
        return f"Actor({', '.join(given)})"

    def describe(self) -> str:
        """A short text for pictures and messages: the resources the actor asks for.

        Example:
            >>> import gensup.ray
            >>> gensup.ray.Actor(num_cpus=1, memory=2**30).describe()
            'Ray actor (num_cpus=1, memory=1073741824)'
        """
        parts = [f"num_cpus={self.num_cpus}"]
        if self.num_gpus:
            parts.append(f"num_gpus={self.num_gpus}")
        if self.resources:
            parts.append(f"resources={dict(self.resources)!r}")
        if self.memory is not None:
            parts.append(f"memory={self.memory}")
        return f"Ray actor ({', '.join(parts)})"

    def open(
        self,
        boot: bytes,
        received: Callable[[_Batch], None],
        ended: Callable[[str], None],
    ) -> Link:
        """Start one incarnation of the subtree in a new actor; return its link.

        Called by gensup's driver (see `gensup.Placement.open`),
        not by users.  Returns at once: the actor is made (and Ray started,
        if it was not) in the link's own thread, and what is sent meanwhile
        is held until the actor exists.
        """
        link = _ActorLink(
            options=self._ray_options(),
            serve=_SERVE,
            boot=boot,
            received=received,
            ended=ended,
        )
        link.start()
        return link

    def _ray_options(self) -> dict[str, Any]:
        """The keyword arguments of the actor's ``.options()``."""
        options: dict[str, Any] = dict(self.options or {})
        options["num_cpus"] = self.num_cpus
        options["num_gpus"] = self.num_gpus
        if self.resources:
            options["resources"] = dict(self.resources)
        if self.memory is not None:
            options["memory"] = self.memory
        return options


# ---- The far end: the actor ----


@attrs.frozen
class _Pulled:
    """What one ``pull`` returns: the batches ready, and whether the runner returned."""

    batches: list[_Batch]
    # Invariant: once True, no batch follows (the runner has returned).
    finished: bool = False
    # Invariant: empty unless the runner raised; then its exception, in one line.
    failure: str = ""


# The end of the outbound queue: the runner returned (failure empty) or raised.
@attrs.frozen
class _Finished:
    failure: str


def _resolve(target: str) -> Callable[..., None]:
    """The function that ``"module:function"`` names."""
    module, _, name = target.partition(":")
    func: Callable[..., None] = getattr(importlib.import_module(module), name)
    return func


# Ray's stubs for ray.remote know neither concurrency_groups nor classes with options.
@ray.remote(  # type: ignore[call-overload]
    concurrency_groups={"push": 1, "pull": 1}, max_restarts=0, max_task_retries=0
)
class _PlacedSubtree:
    """The actor a placed subtree runs in: one thread runs ``serve``, two groups carry batches.

    ``push`` calls run one at a time (group "push"), and carry a sequence
    number besides: Ray does not promise that a threaded actor runs calls in
    the order they were made, so batches that come early wait for their turn.
    ``pull`` runs in a group of its own, so that its long poll never holds up
    a push.
    """

    def __init__(self, serve: str, boot: bytes) -> None:
        run = _resolve(serve)  # an import error here fails the actor's creation, visibly
        self._inbound: queue.Queue[_Batch | None] = queue.Queue()
        self._outbound: queue.Queue[_Batch | _Finished] = queue.Queue()
        # Invariant: the sequence number of the next batch that recv may return.
        self._next = 0
        # Invariant: batches pushed before their turn, by sequence number (all > _next).
        self._early: dict[int, _Batch] = {}
        # Invariant: set once the runner returned; pull then reports it.
        self._finished: _Finished | None = None
        self._runner = threading.Thread(
            target=self._run, args=(run, boot), name="gensup-serve", daemon=True
        )
        self._runner.start()

    def _run(self, run: Callable[..., None], boot: bytes) -> None:
        try:
            run(boot, self._inbound.get, self._outbound.put)
        except BaseException as error:
            traceback.print_exc()  # into the worker's log, with the whole traceback
            self._outbound.put(_Finished(f"{type(error).__name__}: {error}"))
        else:
            self._outbound.put(_Finished(""))

    @ray.method(concurrency_group="push")
    def push(self, number: int, batch: _Batch) -> None:
        """Hand ``batch`` (the parent's ``number``-th) to the runner, in order."""
        if number != self._next:
            self._early[number] = batch
            return
        put = self._inbound.put
        put(batch)
        self._next = number = number + 1
        early = self._early
        while number in early:
            put(early.pop(number))
            self._next = number = number + 1

    @ray.method(concurrency_group="pull")
    def pull(self) -> _Pulled:
        """The batches the runner sent, waiting up to `_PULL_WAIT` for the first."""
        if self._finished is not None:
            return _Pulled([], True, self._finished.failure)
        try:
            item = self._outbound.get(timeout=_PULL_WAIT)
        except queue.Empty:
            return _Pulled([])
        batches: list[_Batch] = []
        get = self._outbound.get_nowait
        while True:
            if isinstance(item, _Finished):
                self._finished = item
                return _Pulled(batches, True, item.failure)
            batches.append(item)
            try:
                item = get()
            except queue.Empty:
                return _Pulled(batches)

    def pid(self) -> int:
        """The id of the actor's process."""
        return os.getpid()


# ---- The near end: the link ----


def _died(error: Exception) -> str:
    """Why an actor died, in a line or two, from Ray's long error text."""
    text = str(getattr(error, "error_msg", "") or error)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    pid = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("pid:")), "")
    cause = next((line for line in lines if line.startswith("The actor is dead because")), "")
    if not cause:
        # An error in the actor's creation: Ray shows the traceback, whose
        # last line is the exception.
        cause = lines[-1] if lines else type(error).__name__
    cause = cause.removeprefix("The actor is dead because ")
    detail = ""
    marker = "Worker exit detail: "
    if marker in cause:
        cause, _, rest = cause.partition(" Worker exit type:")
        detail = rest.split(marker, 1)[1].split(". ", 1)[0].rstrip(".")
    where = f" (process {pid})" if pid else ""
    return cause.rstrip(".") + where + (f": {detail}" if detail else "")


@attrs.define(eq=False)
class _ActorLink:
    """One incarnation of a placed subtree in a Ray actor, as the parent's driver sees it.

    One thread of its own (the reader) makes the actor, then long-polls it
    with ``pull`` and hands what comes to ``received``, in order.  ``send``
    pushes from the loop's thread without waiting.
    """

    options: dict[str, Any]
    serve: str
    boot: bytes
    received: Callable[[_Batch], None]
    ended: Callable[[str], None]
    # Guards the fields below; re-entrant, so that a callback may call close().
    _lock: threading.RLock = attrs.field(factory=threading.RLock, init=False)
    # Invariant: None until the reader made the actor; its handle after.
    _actor: Any = attrs.field(default=None, init=False)
    # Invariant: the batches sent before the actor existed, in order; empty after.
    _held: list[_Batch] = attrs.field(factory=list, init=False)
    # Invariant: the sequence number of the next batch pushed.
    _pushed: int = attrs.field(default=0, init=False)
    # Invariant: True once close() was called: nothing is received or ended after.
    _closed: bool = attrs.field(default=False, init=False)
    # Invariant: True once ended() was called (at most once).
    _ended: bool = attrs.field(default=False, init=False)
    # Invariant: True once a call to the actor failed because it is dead.
    _dead: bool = attrs.field(default=False, init=False)
    _reader: threading.Thread | None = attrs.field(default=None, init=False)

    def start(self) -> None:
        """Start the reader thread, which makes the actor."""
        self._reader = threading.Thread(target=self._read, name="gensup-ray-link", daemon=True)
        self._reader.start()

    # ---- Link ----

    def send(self, batch: _Batch) -> None:
        """Push ``batch`` to the actor, after every batch sent before; never waits."""
        with self._lock:
            if self._closed:
                return
            if self._actor is None:
                self._held.append(batch)
                return
            self._push(batch)

    def close(self) -> None:
        """Kill the actor now (``ray.kill``); nothing is received or ended after."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            actor = self._actor
        if actor is not None:
            _kill(actor)

    def wait_closed(self, timeout: float) -> bool:
        """Block until the actor is dead and the reader has stopped, or ``timeout`` passed."""
        deadline = time.monotonic() + timeout
        assert self._reader is not None
        self._reader.join(timeout)
        if self._reader.is_alive():
            return False
        if self._dead or self._actor is None:
            return True
        # The reader stopped without seeing the death (the runner had
        # returned, or Ray failed).  ray.kill does not wait for the death:
        # ask the actor until a call fails because it is dead.
        while not self._dead:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                ray.get(self._actor.pid.remote(), timeout=left)
            except ray.exceptions.RayActorError:
                self._dead = True
            except Exception:  # a timeout, or Ray shut down: not known to be dead
                return False
            else:
                time.sleep(0.02)
        return True

    # ---- Other ----

    def pid(self, timeout: float = 30.0) -> int:
        """The id of the actor's process (waits for the actor to be made and up)."""
        deadline = time.monotonic() + timeout
        while self._actor is None:
            if time.monotonic() > deadline:
                raise TimeoutError("the Ray actor was not made in time")
            time.sleep(0.01)
        pid: int = ray.get(self._actor.pid.remote(), timeout=max(0.0, deadline - time.monotonic()))
        return pid

    def describe_actor(self) -> str:
        """``Ray actor <id>``, or ``Ray actor (not made yet)``."""
        actor = self._actor
        return "Ray actor (not made yet)" if actor is None else f"Ray actor {_actor_id(actor)}"

    # ---- The reader thread ----

    def _push(self, batch: _Batch) -> None:
        # Called with the lock held, so that numbers go out in order.
        try:
            self._actor.push.remote(self._pushed, batch)
        except Exception as error:
            # Ray could not serialise the batch (the driver checks what it
            # sends, so this is not expected) or is gone: the far end would
            # miss it, so this incarnation ends here.
            self._end(
                f"Ray actor {_actor_id(self._actor)}: a batch could not be sent: "
                f"{type(error).__name__}: {error}"
            )
            _kill(self._actor)
            return
        self._pushed += 1

    def _end(self, why: str) -> None:
        """Call ``ended(why)``, unless the link was closed or it was called before."""
        with self._lock:
            if self._closed or self._ended:
                return
            self._ended = True
            self.ended(why)

    def _read(self) -> None:
        try:
            actor = self._make()
        except Exception as error:  # reported through ended, not lost
            self._end(f"could not make a Ray actor: {type(error).__name__}: {error}")
            return
        with self._lock:
            self._actor = actor
            if self._closed:
                _kill(actor)
            else:
                for batch in self._held:
                    self._push(batch)
                self._held.clear()
        try:
            self._poll(actor)
        except Exception as error:  # Ray itself failed (shut down?)
            self._end(f"Ray actor {_actor_id(actor)} lost: {type(error).__name__}: {error}")

    def _make(self) -> Any:
        with _init_lock:
            if not ray.is_initialized():
                ray.init()
        return _PlacedSubtree.options(**self.options).remote(self.serve, self.boot)  # type: ignore[attr-defined]

    def _poll(self, actor: Any) -> None:
        received = self.received
        while True:
            try:
                pulled: _Pulled = ray.get(actor.pull.remote())
            except ray.exceptions.RayActorError as error:
                self._dead = True
                self._end(f"Ray actor {_actor_id(actor)} died: {_died(error)}")
                return
            with self._lock:
                if self._closed:
                    return
                for batch in pulled.batches:
                    received(batch)
            if pulled.finished:
                # The subtree stopped at the far end: the actor has nothing
                # left to do.
                with self._lock:
                    closed = self._closed
                if not closed:
                    _kill(actor)
                how = f"failed: {pulled.failure}" if pulled.failure else "returned"
                self._end(f"Ray actor {_actor_id(actor)} ended: the subtree's runner {how}")
                return


def _actor_id(actor: Any) -> str:
    """The actor's id in hex, as Ray prints it."""
    return str(actor._actor_id.hex())


def _kill(actor: Any) -> None:
    """Kill ``actor`` for good; a Ray already shut down has killed it too."""
    with contextlib.suppress(Exception):
        ray.kill(actor, no_restart=True)
