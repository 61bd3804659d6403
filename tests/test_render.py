"""gensup.render: the text and mermaid pictures of specs and running trees."""

from __future__ import annotations

import doctest
from collections.abc import Generator
from typing import Any

import pytest

import gensup
from gensup import Supervisor, VirtualClock, Worker, render, waitfor
from gensup.reports import Report, Started


def idle() -> Generator[Any, Any, None]:
    """Wait for PING forever."""
    while True:
        yield waitfor("PING")


def two_events() -> Generator[Any, Any, None]:
    """Wait for either of two events forever."""
    while True:
        yield waitfor("PING", "STOP")


def crash_on_poke() -> Generator[Any, Any, None]:
    """Crash at the first POKE."""
    yield waitfor("POKE")
    raise RuntimeError("poked")


SPEC = Supervisor(
    "shop",
    [
        Worker("flaky", idle),
        Supervisor(
            "pool",
            [Worker("db", idle), Worker("cache", two_events, restart="transient")],
            strategy="one_for_all",
            intensity=3,
            period=10,
        ),
        Worker("audit", idle, restart="temporary"),
    ],
    intensity=2,
    period=2.5,
)


class TestText:
    """render.text: a pstree-like view."""

    def test_spec(self) -> None:
        """A spec shows kinds, strategies, intensities and restart types, with box drawing."""
        assert render.text(SPEC) == (
            "shop [supervisor one_for_one, intensity 2/2.5s]\n"
            "├── flaky [worker, permanent]\n"
            "├── pool [supervisor one_for_all, intensity 3/10s, permanent]\n"
            "│   ├── db [worker, permanent]\n"
            "│   └── cache [worker, transient]\n"
            "└── audit [worker, temporary]"
        )

    def test_spec_without_children(self) -> None:
        """A supervisor with no children is a single line."""
        assert render.text(Supervisor("root")) == "root [supervisor one_for_one, intensity 1/5s]"

    def test_significant_and_auto_shutdown(self) -> None:
        """A spec shows significant children and a supervisor's auto_shutdown."""
        spec = Supervisor(
            "root",
            [Worker("job", idle, restart="transient", significant=True)],
            auto_shutdown="any_significant",
        )
        assert render.text(spec) == (
            "root [supervisor one_for_one, intensity 1/5s, auto_shutdown any_significant]\n"
            "└── job [worker, transient, significant]"
        )

    def test_running_tree(self) -> None:
        """A running tree adds each child's state, incarnation and the events it waits for."""
        with gensup.start(SPEC) as tree:
            tree.terminate_child("shop/flaky")
            assert render.text(tree) == (
                "shop [supervisor one_for_one, intensity 2/2.5s] running\n"
                "├── flaky [worker, permanent] stopped #1\n"
                "├── pool [supervisor one_for_all, intensity 3/10s, permanent] running #1\n"
                "│   ├── db [worker, permanent] running #1 waits for 'PING'\n"
                "│   └── cache [worker, transient] running #1 waits for 'PING', 'STOP'\n"
                "└── audit [worker, temporary] running #1 waits for 'PING'"
            )

    def test_incarnations_count_restarts(self) -> None:
        """A child restarted once shows incarnation 2."""
        spec = Supervisor("root", [Worker("w", crash_on_poke)], intensity=5)
        with gensup.start(spec, clock=VirtualClock()) as tree:
            tree.signal("POKE")
            assert render.text(tree) == (
                "root [supervisor one_for_one, intensity 5/5s] running\n"
                "└── w [worker, permanent] running #2 waits for 'POKE'"
            )

    def test_stopped_supervisor_has_no_children(self) -> None:
        """A stopped child supervisor is drawn without children, as which_children sees it."""
        with gensup.start(SPEC) as tree:
            tree.terminate_child("shop/pool")
            assert render.text(tree).splitlines()[2] == (
                "├── pool [supervisor one_for_all, intensity 3/10s, permanent] stopped #1"
            )
            assert "db" not in render.text(tree)

    def test_dynamic_children(self) -> None:
        """Children added with start_child appear, supervisors with their strategy."""
        with gensup.start(Supervisor("root")) as tree:
            tree.start_child(
                "root", Supervisor("late", [Worker("w", idle)], strategy="rest_for_one")
            )
            assert render.text(tree) == (
                "root [supervisor one_for_one, intensity 1/5s] running\n"
                "└── late [supervisor rest_for_one, intensity 1/5s, permanent] running #1\n"
                "    └── w [worker, permanent] running #1 waits for 'PING'"
            )

    def test_restarting_child_seen_from_an_observer(self) -> None:
        """An observer that draws the tree mid-call sees a child whose restart is pending."""
        attempts = 0

        def fails_second_start() -> Generator[Any, Any, None]:
            nonlocal attempts
            attempts += 1
            if attempts == 2:
                raise RuntimeError("cannot start")
            yield waitfor("POKE")
            raise RuntimeError("poked")

        drawings: list[str] = []
        trees: list[gensup.Tree] = []

        def observer(report: Report) -> None:
            if report == Started("root/b") and trees:
                drawings.append(render.text(trees[0]))

        spec = Supervisor(
            "root", [Worker("a", fails_second_start), Worker("b", crash_on_poke)], intensity=5
        )
        with gensup.start(spec, observer=observer, clock=VirtualClock()) as tree:
            trees.append(tree)
            tree.signal("POKE")
        assert drawings[0].splitlines()[1] == "├── a [worker, permanent] restarting #2"

    def test_stopped_tree(self) -> None:
        """A tree that is no longer alive is drawn as its stopped root."""
        tree = gensup.start(SPEC)
        tree.stop()
        assert render.text(tree) == "shop [supervisor] stopped"

    def test_odd_ids(self) -> None:
        """Ids with spaces, brackets and quotes are drawn as they are."""
        spec = Supervisor("the root", [Worker('a "b" [c]', idle)])
        with gensup.start(spec) as tree:
            assert render.text(tree) == (
                "the root [supervisor one_for_one, intensity 1/5s] running\n"
                "└── a \"b\" [c] [worker, permanent] running #1 waits for 'PING'"
            )

    def test_deep_tree(self) -> None:
        """A tree thousands of levels deep is drawn without recursion."""
        spec = Supervisor("leaf", [Worker("w", idle)])
        for level in range(3000):
            spec = Supervisor(f"s{level}", [spec])
        lines = render.text(spec).splitlines()
        assert len(lines) == 3002
        assert lines[-1] == " " * 4 * 3000 + "└── w [worker, permanent]"
        with gensup.start(spec) as tree:
            assert len(render.text(tree).splitlines()) == 3002

    def test_rejects_other_values(self) -> None:
        """A worker spec or any other value is a TypeError naming what came."""
        with pytest.raises(TypeError, match=r"expected a Supervisor spec .* \(got Worker\('w'"):
            render.text(Worker("w", idle))  # type: ignore[arg-type]


class TestMermaid:
    """render.mermaid: a flowchart for mkdocs-material, GitHub or any mermaid editor."""

    def test_spec(self) -> None:
        """Supervisors are thick rectangles with strategy and intensity; workers are rounded."""
        assert render.mermaid(SPEC) == (
            "flowchart TD\n"
            '    n0["<b>shop</b><br/>one_for_one · intensity 2/2.5s"]\n'
            '    n1("<b>flaky</b><br/>permanent")\n'
            '    n2["<b>pool</b><br/>one_for_all · intensity 3/10s<br/>permanent"]\n'
            '    n3("<b>db</b><br/>permanent")\n'
            '    n4("<b>cache</b><br/>transient")\n'
            '    n5("<b>audit</b><br/>temporary")\n'
            "    n0 --> n1\n"
            "    n0 --> n2\n"
            "    n2 --> n3\n"
            "    n2 --> n4\n"
            "    n0 --> n5\n"
            "    classDef supervisor stroke-width:3px\n"
            "    class n0,n2 supervisor"
        )

    def test_running_tree(self) -> None:
        """A running tree adds state and incarnation; stopped children are dashed."""
        with gensup.start(SPEC) as tree:
            tree.terminate_child("shop/pool")
            assert render.mermaid(tree) == (
                "flowchart TD\n"
                '    n0["<b>shop</b><br/>one_for_one · intensity 2/2.5s<br/>running"]\n'
                '    n1("<b>flaky</b><br/>permanent<br/>running #1")\n'
                '    n2["<b>pool</b><br/>one_for_all · intensity 3/10s<br/>permanent'
                '<br/>stopped #1"]\n'
                '    n3("<b>audit</b><br/>temporary<br/>running #1")\n'
                "    n0 --> n1\n"
                "    n0 --> n2\n"
                "    n0 --> n3\n"
                "    classDef supervisor stroke-width:3px\n"
                "    class n0,n2 supervisor\n"
                "    classDef stopped stroke-dasharray:6 4\n"
                "    class n2 stopped"
            )

    def test_stopped_tree(self) -> None:
        """A tree that is no longer alive is its stopped root alone."""
        tree = gensup.start(SPEC)
        tree.stop()
        assert render.mermaid(tree) == (
            "flowchart TD\n"
            '    n0["<b>shop</b><br/>stopped"]\n'
            "    classDef supervisor stroke-width:3px\n"
            "    class n0 supervisor\n"
            "    classDef stopped stroke-dasharray:6 4\n"
            "    class n0 stopped"
        )

    def test_escapes_labels(self) -> None:
        """Characters that mermaid or HTML would read are written as mermaid entities."""
        spec = Supervisor("root", [Worker('<b title="x">#1&<b>', idle)])
        line = render.mermaid(spec).splitlines()[2]
        assert line == (
            '    n1("<b>#lt;b title=#quot;x#quot;#gt;#35;1#amp;#lt;b#gt;</b><br/>permanent")'
        )

    def test_deep_tree(self) -> None:
        """A tree thousands of levels deep is drawn without recursion."""
        spec = Supervisor("leaf")
        for level in range(3000):
            spec = Supervisor(f"s{level}", [spec])
        assert render.mermaid(spec).splitlines()[-3] == "    n2999 --> n3000"


class TestDocstrings:
    """The module's own examples."""

    def test_doctests_pass(self) -> None:
        """Every example in gensup.render's docstrings runs and prints what it shows."""
        failed, attempted = doctest.testmod(render, optionflags=doctest.ELLIPSIS)
        assert attempted > 0
        assert failed == 0
