"""The floor: the same work in bare Python, with no framework at all.

Each gensup benchmark is measured against what a program would cost that
does the same work by hand, as tightly as Python allows: generators parked
in a list under the event they wait for, resumed with ``gen.send``; those
that wait for the same event again go into a fresh list, found by comparing
the event they yield with the one delivered (`Dispatcher`).  No supervision
tree can beat it, since it does nothing but the work itself; what gensup adds
on top is the price of the tree.

`DictDispatcher` is the seed's dispatcher written the same way but parking
generators in dicts (insertion-ordered sets, as gensup's wait table does),
which lets one of them be found and removed; it is a second, slower floor,
about 1.6x slower than the list on the seed's workload.

The bare workers yield the name of the event they wait for (a string), as the
seed's ``yield("waitfor", event)`` did, and are sent ``(event, *args)``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator, Hashable
from typing import Any

BareGen = Generator[Any, Any, Any]


def ticker() -> BareGen:
    """Wait for TICK forever: the bare twin of the gensup ticker."""
    while True:
        _event, _n = yield "TICK"


def waiter(event: Hashable) -> BareGen:
    """Wait for ``event`` forever (a bystander, or an idle worker)."""
    while True:
        yield event


def process(n: int) -> BareGen:
    """The seed's process: wait for ``n`` TICKs, then end."""
    for _ in range(n):
        _event, _n = yield "TICK"


class Dispatcher:
    """The tightest floor: event -> a list of the generators waiting for it.

    Example:
        >>> floor = Dispatcher()
        >>> floor.introduce(ticker())
        >>> floor.signal("TICK", 1), floor.signal("TOCK")
        (1, 0)
    """

    def __init__(self) -> None:
        # event -> its waiting generators, in the order they began waiting.
        self.waiting: dict[Hashable, list[BareGen]] = {}

    def introduce(self, gen: BareGen) -> None:
        """Run a new generator to its first wait and park it."""
        event = next(gen)
        entry = self.waiting.get(event)
        if entry is None:
            self.waiting[event] = [gen]
        else:
            entry.append(gen)

    def signal(self, event: Hashable, *args: Any) -> int:
        """Resume every generator waiting for ``event``; return how many."""
        waiting = self.waiting
        waiters = waiting.pop(event, None)
        if not waiters:
            return 0
        value = (event, *args)
        again: list[BareGen] = []
        append = again.append
        for gen in waiters:
            try:
                wanted = gen.send(value)
            except StopIteration:
                continue
            if wanted == event:
                append(gen)
                continue
            entry = waiting.get(wanted)
            if entry is None:
                waiting[wanted] = [gen]
            else:
                entry.append(gen)
        if again:
            waiting[event] = again
        return len(waiters)

    def close(self) -> None:
        """Close every parked generator."""
        for entry in self.waiting.values():
            for gen in entry:
                gen.close()
        self.waiting.clear()


class DictDispatcher:
    """The second floor: the seed's dispatcher with dicts as ordered sets.

    Example:
        >>> floor = DictDispatcher()
        >>> floor.introduce(ticker())
        >>> floor.signal("TICK", 1), floor.signal("TOCK")
        (1, 0)
    """

    def __init__(self) -> None:
        # event -> its waiting generators, as an insertion-ordered set.
        self.waiting: dict[Hashable, dict[BareGen, None]] = {}

    def introduce(self, gen: BareGen) -> None:
        """Run a new generator to its first wait and park it."""
        self._park(gen, next(gen))

    def _park(self, gen: BareGen, event: Hashable) -> None:
        entry = self.waiting.get(event)
        if entry is None:
            self.waiting[event] = {gen: None}
        else:
            entry[gen] = None

    def signal(self, event: Hashable, *args: Any) -> int:
        """Resume every generator waiting for ``event``; return how many."""
        waiting = self.waiting
        waiters = waiting.pop(event, None)
        if not waiters:
            return 0
        value = (event, *args)
        for gen in waiters:
            try:
                wanted = gen.send(value)
            except StopIteration:
                continue
            entry = waiting.get(wanted)
            if entry is None:
                waiting[wanted] = {gen: None}
            else:
                entry[gen] = None
        return len(waiters)

    def close(self) -> None:
        """Close every parked generator."""
        for entry in self.waiting.values():
            for gen in entry:
                gen.close()
        self.waiting.clear()


#: Either floor.
class PoolDispatcher:
    """The floor of one-of-N delivery: one event, a deque of the generators
    waiting for it, each signal popping the one that waited longest.

    Example:
        >>> floor = PoolDispatcher()
        >>> floor.introduce(ticker()); floor.introduce(ticker())
        >>> floor.signal("TICK", 1), len(floor.waiting)
        (1, 2)
    """

    def __init__(self) -> None:
        # The waiting generators, the one that waited longest first.
        self.waiting: deque[BareGen] = deque()

    def introduce(self, gen: BareGen) -> None:
        """Run a new generator to its first wait and park it."""
        next(gen)
        self.waiting.append(gen)

    def signal(self, event: Hashable, *args: Any) -> int:
        """Resume the generator that waited longest; return 1, or 0 if none waits."""
        waiting = self.waiting
        if not waiting:
            return 0
        gen = waiting.popleft()
        try:
            gen.send((event, *args))
        except StopIteration:
            return 1
        waiting.append(gen)
        return 1

    def close(self) -> None:
        """Close every parked generator."""
        for gen in self.waiting:
            gen.close()
        self.waiting.clear()


Floor = Dispatcher | DictDispatcher | PoolDispatcher


# ---- Emit chains: a ring passing a token through a run-to-completion queue ----


def ring_member(me: str, after: str) -> BareGen:
    """Wait for ``me``; pass the token on to ``after`` while hops remain.

    Yielding a tuple stands for gensup's ``emit``: the dispatcher queues it
    and resumes the generator at once.
    """
    while True:
        _event, hops = yield me
        if hops:
            yield (after, hops - 1)


class QueueDispatcher(Dispatcher):
    """A `Dispatcher` with a FIFO queue of emitted events, drained before
    `signal` returns."""

    def signal(self, event: Hashable, *args: Any) -> int:
        """Deliver ``event``, then every event emitted meanwhile; return the deliveries."""
        waiting = self.waiting
        queue: deque[tuple[Hashable, tuple[Any, ...]]] = deque([(event, (event, *args))])
        delivered = 0
        while queue:
            event, value = queue.popleft()
            waiters = waiting.pop(event, None)
            if not waiters:
                continue
            delivered += len(waiters)
            again: list[BareGen] = []
            for gen in waiters:
                wanted = gen.send(value)
                while wanted.__class__ is tuple:
                    queue.append((wanted[0], wanted))
                    wanted = gen.send(None)
                if wanted == event:
                    again.append(gen)
                    continue
                entry = waiting.get(wanted)
                if entry is None:
                    waiting[wanted] = [gen]
                else:
                    entry.append(gen)
            if again:
                entry = waiting.get(event)
                if entry is None:
                    waiting[event] = again
                else:
                    entry.extend(again)
        return delivered


# ---- Restarts: a generator that crashes, replaced by a new one ----


class Crash(Exception):
    """What a crashing worker raises."""


def crasher() -> BareGen:
    """Wait for CRASH once, then raise."""
    yield "CRASH"
    raise Crash("crash")


def restart_one(rounds: int) -> int:
    """One_for_one by hand: resume the crasher, catch its crash, start a new one."""
    gen = crasher()
    next(gen)
    value = ("CRASH",)
    for _ in range(rounds):
        try:
            gen.send(value)
        except Crash:
            gen = crasher()
            next(gen)
    gen.close()
    return rounds


def restart_all(rounds: int, siblings: int) -> int:
    """One_for_all by hand: on a crash, close the other siblings last to first,
    then start all of them again in order."""
    gens = [crasher()]
    gens.extend(waiter("IDLE") for _ in range(siblings - 1))
    for gen in gens:
        next(gen)
    value = ("CRASH",)
    for _ in range(rounds):
        try:
            gens[0].send(value)
        except Crash:
            for gen in reversed(gens[1:]):
                gen.close()
            gens = [crasher()]
            gens.extend(waiter("IDLE") for _ in range(siblings - 1))
            for gen in gens:
                next(gen)
    for gen in gens:
        gen.close()
    return rounds
