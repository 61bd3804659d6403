"""The wait table and delivery selection (gensup._routing)."""

from __future__ import annotations

from collections.abc import Hashable

import attrs

from gensup._routing import WaitTable, select, select_under, unwait, wait


@attrs.define(eq=False)
class Node:
    """A stand-in for a running worker: what the table needs of one."""

    path: str
    seq: int
    waits: tuple[Hashable, ...] = ()
    multi: bool = False

    @property
    def parent(self) -> Sup:
        """Its supervisor, known by the path above its own."""
        return Sup(self.path.rsplit("/", 1)[0])


@attrs.frozen
class Sup:
    """A stand-in for a supervisor: what `select_under` needs of one."""

    path: str


def entries(table: WaitTable[Node]) -> dict[Hashable, list[str]]:
    return {event: [node.path for node in waiters] for event, waiters in table.items()}


class TestWait:
    def test_registers_for_each_event(self) -> None:
        """A node waiting for several events is in each of their entries."""
        table: WaitTable[Node] = {}
        node = Node("root/a", 1)
        wait(table, node, ("A", "B"))
        assert entries(table) == {"A": ["root/a"], "B": ["root/a"]}
        assert node.waits == ("A", "B")
        assert node.multi is True

    def test_single_event_is_not_multi(self) -> None:
        """A node waiting for one event is not marked as waiting for several."""
        table: WaitTable[Node] = {}
        node = Node("root/a", 1)
        wait(table, node, ("A",))
        assert (node.waits, node.multi) == (("A",), False)

    def test_entry_in_order_of_waiting(self) -> None:
        """An entry lists its waiters in the order they began waiting, not by start order."""
        table: WaitTable[Node] = {}
        late, early = Node("root/late", 9), Node("root/early", 1)
        wait(table, late, ("X",))
        wait(table, early, ("X",))
        assert entries(table) == {"X": ["root/late", "root/early"]}


class TestUnwait:
    def test_removes_from_every_entry(self) -> None:
        """unwait takes the node out of every entry it was in and clears its waits."""
        table: WaitTable[Node] = {}
        node, other = Node("root/a", 1), Node("root/b", 2)
        wait(table, node, ("A", "B"))
        wait(table, other, ("A",))
        unwait(table, node)
        assert entries(table) == {"A": ["root/b"]}
        assert (node.waits, node.multi) == ((), False)

    def test_empty_entries_deleted(self) -> None:
        """An entry left empty is deleted, so waits on ever-new events do not leak."""
        table: WaitTable[Node] = {}
        node = Node("root/a", 1)
        wait(table, node, (("req", 1), ("req", 2)))
        unwait(table, node)
        assert table == {}

    def test_keep_spares_one_entry(self) -> None:
        """unwait(keep=e) leaves the node in e's entry (the one being delivered) only."""
        table: WaitTable[Node] = {}
        node = Node("root/a", 1)
        wait(table, node, ("A", "B", "C"))
        unwait(table, node, keep="B")
        assert entries(table) == {"B": ["root/a"]}

    def test_not_waiting_is_a_no_op(self) -> None:
        """Unwaiting a node that waits for nothing changes nothing."""
        table: WaitTable[Node] = {}
        other = Node("root/b", 2)
        wait(table, other, ("A",))
        unwait(table, Node("root/a", 1))
        assert entries(table) == {"A": ["root/b"]}


def waiters_of(*nodes: Node) -> dict[Node, None]:
    return dict.fromkeys(nodes)


A = Node("root/a", 1)
POOL_B = Node("root/pool/b", 2)
POOL_C = Node("root/pool/c", 5)
POOL2_D = Node("root/pool2/d", 3)
POOL_SUB_E = Node("root/pool/sub/e", 4)
ALL = waiters_of(A, POOL_B, POOL_C, POOL2_D, POOL_SUB_E)


class TestSelect:
    def test_everyone_in_waiting_order(self) -> None:
        """No filter: every waiter, in the entry's order."""
        assert select(ALL, None, None) == [A, POOL_B, POOL_C, POOL2_D, POOL_SUB_E]

    def test_under_selects_subtree(self) -> None:
        """select_under takes the subtree only: 'root/pool' does not match 'root/pool2/...'."""
        assert select_under(ALL, "root/pool", None) == [POOL_B, POOL_C, POOL_SUB_E]

    def test_stamp_filters_later_starts(self) -> None:
        """A stamp selects only workers started before it (seq < stamp, strictly)."""
        assert select(ALL, None, 3) == [A, POOL_B]

    def test_under_and_stamp(self) -> None:
        """A subtree and a stamp combine."""
        assert select_under(ALL, "root/pool", 5) == [POOL_B, POOL_SUB_E]

    def test_only_one_worker(self) -> None:
        """only= selects that worker if it waits, and nothing otherwise."""
        assert select(ALL, POOL_C, None) == [POOL_C]
        assert select(waiters_of(A), POOL_C, None) == []

    def test_only_with_stamp(self) -> None:
        """only= with a stamp selects the worker only if it started before the stamp."""
        assert select(ALL, POOL_C, 6) == [POOL_C]
        assert select(ALL, POOL_C, 5) == []

    def test_returns_a_copy(self) -> None:
        """The selection is a new list: emptying the entry afterwards leaves it whole."""
        waiters = waiters_of(A, POOL_B)
        batch = select(waiters, None, None)
        waiters.clear()
        assert batch == [A, POOL_B]
