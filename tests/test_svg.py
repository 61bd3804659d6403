"""gensup.render.svg: the SVG picture of specs and running trees, drawn by gensup itself."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from collections.abc import Generator
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gensup
from gensup import Backoff, Supervisor, VirtualClock, Worker, render, waitfor
from model import Shape, SupervisorShape
from strategies import tree_shapes

SVG = "{http://www.w3.org/2000/svg}"


def idle() -> Generator[Any, Any, None]:
    """Wait for PING forever."""
    while True:
        yield waitfor("PING")


def crash_on_poke() -> Generator[Any, Any, None]:
    """Wait for PING or POKE; crash at a POKE."""
    while True:
        event, *_ = yield waitfor("PING", "POKE")
        if event == "POKE":
            raise RuntimeError("poked")


def make_spec() -> Supervisor:
    """A shop: a worker with a backoff, a one_for_all pool, a temporary worker."""
    return Supervisor(
        "shop",
        [
            Worker("web", crash_on_poke, backoff=Backoff(5, 5)),
            Supervisor(
                "pool",
                [Worker("db", crash_on_poke), Worker("cache", idle, restart="transient")],
                strategy="one_for_all",
                intensity=3,
                period=10,
            ),
            Worker("audit", idle, restart="temporary"),
        ],
        intensity=5,
        period=2.5,
    )


SPEC = make_spec()


@attrs.frozen
class Node:
    """One node of a parsed picture."""

    path: str
    classes: frozenset[str]
    lines: list[str]
    tip: list[str]
    rect: dict[str, str]

    @property
    def box(self) -> tuple[float, float, float, float]:
        """left, top, right, bottom"""
        x, y = float(self.rect["x"]), float(self.rect["y"])
        return x, y, x + float(self.rect["width"]), y + float(self.rect["height"])


def parse(svg: str) -> tuple[ET.Element, list[Node]]:
    """The document's root element and its nodes, in document order."""
    root = ET.fromstring(svg)
    nodes = []
    for group in root.iter(f"{SVG}g"):
        classes = frozenset(group.get("class", "").split())
        if "gensup-node" not in classes:
            continue
        title = group.find(f"{SVG}title")
        rect = group.find(f"{SVG}rect")
        text = group.find(f"{SVG}text")
        assert title is not None
        assert rect is not None
        assert text is not None
        tip = (title.text or "").split("\n")
        lines = [span.text or "" for span in text.iter(f"{SVG}tspan")]
        nodes.append(Node(tip[0], classes, lines, tip[1:], dict(rect.attrib)))
    return root, nodes


def by_path(svg: str) -> dict[str, Node]:
    return {node.path: node for node in parse(svg)[1]}


def view_box(root: ET.Element) -> tuple[float, float, float, float]:
    x, y, width, height = map(float, root.get("viewBox", "").split())
    return x, y, x + width, y + height


def overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def check_geometry(svg: str) -> list[Node]:
    """No two boxes overlap, every child is below its parent, the viewBox holds every box."""
    root, nodes = parse(svg)
    boxes = {node.path: node.box for node in nodes}
    left, top, right, bottom = view_box(root)
    for node in nodes:
        x0, y0, x1, y1 = node.box
        assert left <= x0 < x1 <= right
        assert top <= y0 < y1 <= bottom
        if "/" in node.path:
            parent = boxes[node.path.rpartition("/")[0]]
            assert y0 > parent[3], node.path
    # Boxes of one level share their top: compare neighbours on each level.
    levels: dict[float, list[tuple[float, ...]]] = {}
    for box in boxes.values():
        levels.setdefault(box[1], []).append(box)
    for level in levels.values():
        level.sort()
        for a, b in itertools.pairwise(level):
            assert a[2] < b[0], (a, b)
    return nodes


def crashed_tree(clock: VirtualClock) -> gensup.Tree:
    """SPEC running: web crashed and waits for its backoff, db crashed and
    restarted (with cache, one_for_all), audit terminated (temporary: gone)."""
    tree = gensup.start(SPEC, clock=clock)
    tree.signal("POKE", to="shop/web")
    tree.signal("POKE", to="shop/pool/db")
    return tree


class TestSpec:
    """A spec: one box per child, with what the spec says."""

    def test_one_node_per_child(self) -> None:
        """Each child is one node, in tree order, labelled with its id."""
        _, nodes = parse(render.svg(SPEC))
        assert [node.path for node in nodes] == [
            "shop",
            "shop/web",
            "shop/pool",
            "shop/pool/db",
            "shop/pool/cache",
            "shop/audit",
        ]
        assert [node.lines[0] for node in nodes] == ["shop", "web", "pool", "db", "cache", "audit"]

    def test_labels(self) -> None:
        """Supervisors show strategy and intensity; every child its restart type."""
        nodes = by_path(render.svg(SPEC))
        assert nodes["shop"].lines == ["shop", "one_for_one · intensity 5/2.5s"]
        assert nodes["shop/pool"].lines == ["pool", "one_for_all · intensity 3/10s", "permanent"]
        assert nodes["shop/pool/cache"].lines == ["cache", "transient"]
        assert nodes["shop/audit"].lines == ["audit", "temporary"]

    def test_tooltips(self) -> None:
        """A node's title gives its path and each fact in full."""
        nodes = by_path(render.svg(SPEC))
        assert nodes["shop/pool"].tip == [
            "supervisor one_for_all, intensity 3/10s "
            "(gives up after more than 3 restarts within 10s)",
            "restart: permanent",
        ]
        assert nodes["shop/audit"].tip == ["worker", "restart: temporary"]

    def test_shapes(self) -> None:
        """Supervisors are square with a thick border; workers are rounded and thin."""
        for node in parse(render.svg(SPEC))[1]:
            if "gensup-supervisor" in node.classes:
                assert "rx" not in node.rect
                assert node.rect["stroke-width"] == "2.5"
            else:
                assert "gensup-worker" in node.classes
                assert node.rect["rx"] == "12"
                assert node.rect["stroke-width"] == "1.5"

    def test_no_state_follows_the_page(self) -> None:
        """A spec has no states: its boxes are drawn in the page's text colour."""
        for node in parse(render.svg(SPEC))[1]:
            assert not node.classes & {"gensup-running", "gensup-stopped", "gensup-restarting"}
            assert node.rect["stroke"] == "currentColor"
            assert "stroke-dasharray" not in node.rect

    def test_backoff(self) -> None:
        """A child with a backoff is marked, with its delays; others are not."""
        nodes = by_path(render.svg(SPEC))
        assert "gensup-backoff" in nodes["shop/web"].classes
        assert nodes["shop/web"].lines == ["web", "permanent", "backoff 5s"]
        assert "restarted after a delay: Backoff(5, 5)" in nodes["shop/web"].tip
        assert [path for path, node in nodes.items() if "gensup-backoff" in node.classes] == [
            "shop/web"
        ]
        growing = Supervisor("r", [Worker("w", idle, backoff=Backoff(0.5, 30))])
        assert by_path(render.svg(growing))["r/w"].lines[-1] == "backoff 0.5s → 30s"

    def test_significant_and_auto_shutdown(self) -> None:
        """A spec shows significant children and a supervisor's auto_shutdown."""
        spec = Supervisor(
            "root",
            [Worker("job", idle, restart="transient", significant=True)],
            auto_shutdown="any_significant",
        )
        nodes = by_path(render.svg(spec))
        assert nodes["root"].lines[1:] == [
            "one_for_one · intensity 1/5s",
            "auto_shutdown any_significant",
        ]
        assert nodes["root/job"].lines == ["job", "transient, significant"]

    def test_long_lines_are_cut(self) -> None:
        """A line too long for a box is cut with an ellipsis; the tooltip has it whole."""
        long_id = "a-worker-whose-name-goes-on-and-on"
        node = by_path(render.svg(Supervisor("r", [Worker(long_id, idle)])))[f"r/{long_id}"]
        assert node.lines[0] == long_id[:29] + "…"
        assert node.path == f"r/{long_id}"

    def test_document(self) -> None:
        """A standalone SVG document with a viewBox and a title, with no style or id
        attribute and no style element (strict content policies, several per page)."""
        svg = render.svg(SPEC)
        root, _ = parse(svg)
        assert root.tag == f"{SVG}svg"
        assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
        assert root.findtext(f"{SVG}title") == "supervision tree shop"
        assert not [e for e in root.iter() if "style" in e.attrib or "id" in e.attrib]
        assert root.find(f".//{SVG}style") is None
        assert "\n\n" not in svg  # Markdown would end a raw HTML block there
        assert not svg.endswith("\n")

    def test_rejects_other_values(self) -> None:
        """A worker spec or any other value is a TypeError naming what came."""
        with pytest.raises(TypeError, match=r"expected a Supervisor spec .* \(got Worker\('w'"):
            render.svg(Worker("w", idle))  # type: ignore[arg-type]


class TestBackground:
    """background=True: a picture that reads wherever it is shown as an image."""

    def test_paper_and_ink(self) -> None:
        """A white rounded panel fills the whole view, 8 px beyond the plain picture on
        each side, under everything; currentColor is set to a dark ink."""
        plain = ET.fromstring(render.svg(SPEC))
        root = ET.fromstring(render.svg(SPEC, background=True))
        assert root.get("color") == "#1f2328"
        width, height = int(plain.get("width", "")) + 16, int(plain.get("height", "")) + 16
        assert root.get("viewBox") == f"-8 -8 {width} {height}"
        assert (root.get("width"), root.get("height")) == (str(width), str(height))
        panel = root[1]
        assert panel.tag == f"{SVG}rect"
        assert panel.attrib == {
            "x": "-8",
            "y": "-8",
            "width": str(width),
            "height": str(height),
            "rx": "6",
            "fill": "#ffffff",
        }
        check_geometry(render.svg(SPEC, background=True))

    def test_same_drawing_otherwise(self) -> None:
        """The edges and boxes are the plain picture's; the plain one has no paper or ink."""
        plain = render.svg(SPEC).splitlines()
        with_background = render.svg(SPEC, background=True).splitlines()
        assert "color=" not in plain[0]
        assert not [line for line in plain if "#ffffff" in line]
        assert with_background[2].startswith("<rect")
        assert with_background[1] == plain[1]
        assert with_background[3:] == plain[2:]


class TestRunningTree:
    """A running tree: states in colour, incarnations, what workers wait for."""

    def test_states(self) -> None:
        """Running is green, a restart delayed by backoff amber and dashed, stopped grey
        and dashed; each has its class."""
        with crashed_tree(VirtualClock()) as tree:
            tree.start_child("shop", Worker("late", idle))
            tree.terminate_child("shop/late")
            nodes = by_path(render.svg(tree))
        states = {path: node.classes - {"gensup-node"} for path, node in nodes.items()}
        assert states == {
            "shop": {"gensup-supervisor", "gensup-running"},
            "shop/web": {"gensup-worker", "gensup-restarting", "gensup-backoff"},
            "shop/pool": {"gensup-supervisor", "gensup-running"},
            "shop/pool/db": {"gensup-worker", "gensup-running"},
            "shop/pool/cache": {"gensup-worker", "gensup-running"},
            "shop/audit": {"gensup-worker", "gensup-running"},
            "shop/late": {"gensup-worker", "gensup-stopped"},
        }
        looks = {
            path: (node.rect["stroke"], node.rect.get("stroke-dasharray"))
            for path, node in nodes.items()
        }
        assert looks["shop/pool/db"] == ("#2e9e5b", None)
        assert looks["shop/web"] == ("#d9890b", "3 3")
        assert looks["shop/late"] == ("#8b949e", "6 4")
        assert nodes["shop/web"].rect["fill"] == "#d9890b"

    def test_lines(self) -> None:
        """Each box shows its state, incarnation, restarts and what a worker waits for."""
        with crashed_tree(VirtualClock()) as tree:
            nodes = by_path(render.svg(tree))
        assert nodes["shop"].lines == ["shop", "one_for_one · intensity 5/2.5s", "running"]
        assert nodes["shop/web"].lines == ["web", "permanent", "backoff 5s", "restarting #1"]
        assert nodes["shop/pool"].lines[-1] == "running #1"
        assert nodes["shop/pool/db"].lines == [
            "db",
            "permanent",
            "running #2 · 1 restart",
            "waits for 'PING', 'POKE'",
        ]
        assert nodes["shop/pool/cache"].lines[2:] == [
            "running #2 · 1 restart",
            "waits for 'PING'",
        ]
        assert nodes["shop/pool/db"].tip[-2:] == [
            "running, incarnation 2 (1 restart since its supervisor started)",
            "waits for 'PING', 'POKE'",
        ]

    def test_restarts_counted(self) -> None:
        """After the backoff, the child runs again: incarnation 2, one restart; two
        more crashes make three restarts."""
        clock = VirtualClock()
        with crashed_tree(clock) as tree:
            clock.advance(5)
            assert by_path(render.svg(tree))["shop/web"].lines[-2:] == [
                "running #2 · 1 restart",
                "waits for 'PING', 'POKE'",
            ]
            for _ in range(2):
                tree.signal("POKE", to="shop/web")
                clock.advance(5)
            assert by_path(render.svg(tree))["shop/web"].lines[-2] == "running #4 · 3 restarts"

    def test_stopped_supervisor_has_no_children(self) -> None:
        """A stopped child supervisor is drawn without children."""
        with gensup.start(SPEC) as tree:
            tree.terminate_child("shop/pool")
            nodes = by_path(render.svg(tree))
        assert list(nodes) == ["shop", "shop/web", "shop/pool", "shop/audit"]
        assert "gensup-stopped" in nodes["shop/pool"].classes

    def test_stopped_tree(self) -> None:
        """A tree that is no longer alive is drawn as its stopped root alone."""
        tree = gensup.start(SPEC)
        tree.stop()
        (node,) = parse(render.svg(tree))[1]
        assert node.lines == ["shop", "stopped"]
        assert node.classes == {"gensup-node", "gensup-supervisor", "gensup-stopped"}


class TestEscaping:
    """Ids and events are the user's strings."""

    HOSTILE = 'a<b&"c"'

    def test_hostile_ids(self) -> None:
        """Ids with markup characters are escaped: the document parses and shows them."""
        spec = Supervisor(self.HOSTILE, [Supervisor("<svg>", [Worker(self.HOSTILE, idle)])])
        with gensup.start(spec) as tree:
            for svg in (render.svg(spec), render.svg(tree)):
                assert self.HOSTILE not in svg
                root, nodes = parse(svg)
                assert [node.lines[0] for node in nodes] == [self.HOSTILE, "<svg>", self.HOSTILE]
                assert nodes[2].path == f"{self.HOSTILE}/<svg>/{self.HOSTILE}"
                assert root.findtext(f"{SVG}title") == f"supervision tree {self.HOSTILE}"

    def test_hostile_events(self) -> None:
        """Events a worker waits for are escaped too."""

        def waits_oddly() -> Generator[Any, Any, None]:
            yield waitfor("</text><script>", "'&'")

        with gensup.start(Supervisor("r", [Worker("w", waits_oddly)])) as tree:
            node = by_path(render.svg(tree))["r/w"]
        assert node.tip[-1] == "waits for '</text><script>', \"'&'\""

    def test_characters_xml_forbids(self) -> None:
        """Control characters, which XML cannot carry even escaped, are written as
        Python writes them."""
        node = by_path(render.svg(Supervisor("r", [Worker("bell\x07\x00", idle)])))[
            r"r/bell\x07\x00"
        ]
        assert node.lines[0] == r"bell\x07\x00"

    @given(
        st.text(
            st.characters(exclude_characters="/", exclude_categories=()), min_size=1, max_size=20
        )
    )
    def test_any_id_parses(self, name: str) -> None:
        """Whatever the id (surrogates and control characters included), the document
        parses, with one node for the worker."""
        _, nodes = parse(render.svg(Supervisor("r", [Worker(name, idle)])))
        assert len(nodes) == 2


class TestSize:
    """Big trees are drawn without recursion."""

    def test_deep_chain(self) -> None:
        """A chain 3,000 supervisors deep is drawn, each level below the one above."""
        spec = Supervisor("leaf", [Worker("w", idle)])
        for level in range(3000):
            spec = Supervisor(f"s{level}", [spec])
        root, nodes = parse(render.svg(spec))
        assert len(nodes) == 3002
        tops = [node.box[1] for node in nodes]
        assert tops == sorted(set(tops))
        assert view_box(root)[3] >= nodes[-1].box[3]

    def test_wide_tree(self) -> None:
        """A running tree of 10,000 workers is drawn, side by side without overlap."""
        spec = Supervisor("root", [Worker(f"w{i}", idle) for i in range(10_000)])
        with gensup.start(spec) as tree:
            root, nodes = parse(render.svg(tree))
        assert len(nodes) == 10_001
        leaves = [node.box for node in nodes[1:]]
        assert all(a[2] < b[0] for a, b in itertools.pairwise(leaves))
        assert view_box(root)[2] >= leaves[-1][2]


class TestDeterminism:
    """The same subject gives the same bytes."""

    def test_same_spec_same_bytes(self) -> None:
        """Drawing a spec twice, or an equal spec built anew, gives identical output."""
        assert render.svg(SPEC) == render.svg(SPEC) == render.svg(make_spec())

    def test_same_run_same_bytes(self) -> None:
        """Two runs of the same scenario are drawn identically."""
        pictures = []
        for _ in range(2):
            with crashed_tree(VirtualClock()) as tree:
                pictures.append(render.svg(tree))
        assert pictures[0] == pictures[1]


# ---- Layout, for random trees ----


def to_spec(shape: Shape, suffix: list[int], backoffs: list[bool]) -> Worker | Supervisor:
    """The spec of a shape, ids lengthened (``w0xxx``) and some backoffs set, so that
    boxes have many widths and heights."""
    width = "x" * suffix.pop()
    backoff = Backoff(0.5, 30) if backoffs.pop() else None
    if isinstance(shape, SupervisorShape):
        return Supervisor(
            shape.id + width,
            [to_spec(child, suffix, backoffs) for child in shape.children],
            strategy=shape.strategy,
            intensity=shape.intensity,
            period=shape.period,
            auto_shutdown=shape.auto_shutdown,
            restart=shape.restart,
            significant=shape.significant,
            backoff=backoff,
        )
    return Worker(
        shape.id + width,
        idle,
        restart=shape.restart,
        significant=shape.significant,
        backoff=backoff,
    )


@given(
    shape=tree_shapes(),
    suffix=st.lists(st.integers(0, 40), min_size=20, max_size=20),
    backoffs=st.lists(st.booleans(), min_size=20, max_size=20),
)
def test_layout(shape: SupervisorShape, suffix: list[int], backoffs: list[bool]) -> None:
    """No two boxes overlap, every child is below its parent, the viewBox holds every box,
    and a parent is centred over its children (or they under it)."""
    backoffs[-1] = False  # the root: gensup.start refuses a root backoff, and draws it
    spec = to_spec(shape, suffix, backoffs)
    assert isinstance(spec, Supervisor)
    nodes = check_geometry(render.svg(spec))
    centre = {node.path: (node.box[0] + node.box[2]) / 2 for node in nodes}
    for node in nodes:
        kids = [other for other in nodes if other.path.rpartition("/")[0] == node.path]
        if kids:
            middle = (centre[kids[0].path] + centre[kids[-1].path]) / 2
            assert abs(centre[node.path] - middle) <= 1, node.path
    with gensup.start(spec) as tree:
        check_geometry(render.svg(tree))


def test_labels_fit_their_boxes() -> None:
    """A box is wide enough for its longest line at the advance of a monospace font."""
    spec = Supervisor("r", [Worker("x" * 30, idle), Worker("界" * 15, idle)])
    for node in parse(render.svg(spec))[1]:
        columns = max(len(line) for line in node.lines)
        columns += sum(1 for line in node.lines for c in line if c == "界")
        width = float(node.rect["width"])
        assert width >= columns * 13 * 0.6, node.path


def test_lines_stay_inside_their_box() -> None:
    """Every line of text sits between the top and the bottom of its box."""
    svg = render.svg(SPEC)
    root = ET.fromstring(svg)
    for group in root.iter(f"{SVG}g"):
        rect = group.find(f"{SVG}rect")
        if rect is None:
            continue
        top = float(rect.get("y", ""))
        bottom = top + float(rect.get("height", ""))
        for span in group.iter(f"{SVG}tspan"):
            baseline = float(span.get("y", ""))
            assert top + 12 <= baseline <= bottom - 4


class TestJupyter:
    """Specs and trees show themselves as their picture in Jupyter."""

    def test_spec(self) -> None:
        """A Supervisor spec's _repr_svg_ is its picture with a background (JupyterLab
        shows it as an image); its repr stays its constructor call."""
        assert SPEC._repr_svg_() == render.svg(SPEC, background=True)
        assert repr(SPEC).startswith("Supervisor('shop', [Worker('web', crash_on_poke")

    def test_tree(self) -> None:
        """A tree's _repr_svg_ is its picture as it is now; its repr counts its states."""
        with crashed_tree(VirtualClock()) as tree:
            assert tree._repr_svg_() == render.svg(tree, background=True)
            assert "gensup-restarting" in tree._repr_svg_()
            assert repr(tree) == "<gensup.Tree 'shop' alive: 4 running, 1 restarting>"
