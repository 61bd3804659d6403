"""The SVG picture of a spec or a running tree, drawn by gensup itself.

`gensup.render.svg` is the public call; this module lays the tree out and
writes the document.  It uses render's rows (one per child, in tree order),
so the picture shows exactly what the text view shows, and adds what a box
has room for: each child's backoff, and its restarts spelled out.

The layout is a tidy tree: each subtree gets a block as wide as the wider of
its root's box and its children's blocks side by side, and a parent is
centred over its first and last child.  Blocks of siblings never overlap, so
neither do boxes.  It is computed in two passes over the rows, children
before parents and then parents before children (a parent's row comes before
its children's), with no recursion: trees thousands of levels deep or wide
are drawn.

The document is self-contained and safe to inline in a page: no ``<style>``
element, no ``style`` or ``id`` attributes (a strict content security policy
allows it, and several pictures share a page), only presentation attributes.
Text and lines are drawn in ``currentColor``, so the picture takes the
colours of the page around it, light or dark; states are marked with
mid-tone colours that read on both.  Shown as an image (``<img>``, an image
viewer, JupyterLab's output), it inherits no colour and its text is black:
the ``background`` variant paints its own light background for those.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from typing import Final

import attrs

from ._records import ChildKind, ChildState
from ._spec import AutoShutdown, ChildSpec, Supervisor
from ._tree import Tree
from .render import _Row, _rows

__all__ = ["draw"]

# ---- Sizes, in pixels ----

_FONT: Final = 12  # the details
_ID_FONT: Final = 13  # the id, bold
# The advance of a monospace character, in ems: boxes are sized from it.
_ADVANCE: Final = 0.6
_LINE: Final = 16  # from one baseline to the next
_ASCENT: Final = 12  # from the top of a line to its baseline
_PAD_X: Final = 10
_PAD_Y: Final = 7
_MIN_WIDTH: Final = 64
# Longer lines are cut short with an ellipsis; the tooltip has them whole.
_MAX_CHARS: Final = 30
_H_GAP: Final = 16  # between the blocks of siblings
_V_GAP: Final = 36  # between levels
_MARGIN: Final = 4  # around the picture: room for the thickest stroke

_FONTS: Final = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace"

# ---- Looks: shapes for kinds, colours for states ----

# Supervisors are square and thick, workers rounded and thin (as in the
# mermaid picture).
_STROKE_WIDTH: Final = {ChildKind.SUPERVISOR: "2.5", ChildKind.WORKER: "1.5"}
_CORNER: Final = {ChildKind.SUPERVISOR: 0, ChildKind.WORKER: 12}

# state -> (colour, fill opacity, dashes).  A spec (no state) follows the
# page's text colour.
_LOOK: Final[dict[ChildState | None, tuple[str, str, str | None]]] = {
    None: ("currentColor", "0.05", None),
    ChildState.RUNNING: ("#2e9e5b", "0.14", None),
    ChildState.RESTARTING: ("#d9890b", "0.18", "3 3"),
    ChildState.STOPPED: ("#8b949e", "0.10", "6 4"),
}

# The text colour and the background of a picture drawn with its own background.
_INK: Final = "#1f2328"
_PAPER: Final = "#ffffff"
_PAPER_MARGIN: Final = 8  # more room around the drawing, on paper

# Characters that XML 1.0 does not allow, even escaped.  Ids and events are
# the user's strings: such a character is written as Python would (\x00).
_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _escape(value: str) -> str:
    """``value`` as XML text or attribute value (quotes included)."""
    return html.escape(_NOT_XML.sub(lambda m: ascii(m[0])[1:-1], value), quote=True)


def _columns(value: str) -> int:
    """How many monospace columns ``value`` takes (wide characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in value)


def _cut(value: str) -> str:
    if len(value) <= _MAX_CHARS:
        return value
    return value[: _MAX_CHARS - 1] + "…"


# ---- What each box says ----


def _specs(subject: Supervisor | Tree, paths: list[str]) -> list[ChildSpec]:
    """The spec of each child, in tree order (the rows' order), given their paths."""
    if isinstance(subject, Supervisor):
        specs: list[ChildSpec] = []
        stack: list[ChildSpec] = [subject]
        while stack:
            spec = stack.pop()
            specs.append(spec)
            if isinstance(spec, Supervisor):
                stack.extend(reversed(spec.children))
        return specs
    # A stopped tree is its root alone, which get_childspec no longer finds.
    return [subject.spec, *(subject.get_childspec(path) for path in paths[1:])]


def _paths(rows: list[_Row]) -> list[str]:
    paths: list[str] = []
    for row in rows:
        paths.append(row.id if row.parent is None else f"{paths[row.parent]}/{row.id}")
    return paths


def _restarts(incarnation: int) -> str:
    n = incarnation - 1
    return "no restart" if n == 0 else f"{n} restart" if n == 1 else f"{n} restarts"


def _lines(row: _Row, spec: ChildSpec) -> tuple[list[str], list[str]]:
    """The lines in the box after the id (each kept whole), and those of its tooltip."""
    box: list[str] = []
    tip: list[str] = []
    if isinstance(spec, Supervisor) and row.params is not None:
        intensity = f"intensity {spec.intensity}/{spec.period}s"
        box.append(f"{spec.strategy.value} · {intensity}")
        restarts = "restart" if spec.intensity == 1 else "restarts"
        tip.append(
            f"supervisor {spec.strategy.value}, {intensity} "
            f"(gives up after more than {spec.intensity} {restarts} within {spec.period}s)"
        )
        if spec.auto_shutdown is not AutoShutdown.NEVER:
            box.append(f"auto_shutdown {spec.auto_shutdown.value}")
            tip.append(box[-1])
        if spec.placement is not None:
            box.append(f"in a {spec.placement.describe()}")
            tip.append(f"its subtree runs elsewhere: placement={spec.placement!r}")
    else:
        tip.append(row.kind.value)
    if row.restart is not None:
        restart = f"{row.restart}, significant" if row.significant else row.restart
        box.append(restart)
        tip.append(f"restart: {restart}")
    if spec.backoff is not None:
        backoff = spec.backoff
        if backoff.initial == backoff.maximum:
            box.append(f"backoff {backoff.initial:g}s")
        else:
            box.append(f"backoff {backoff.initial:g}s → {backoff.maximum:g}s")
        tip.append(f"restarted after a delay: {backoff!r}")
    if row.state is not None:
        state = row.state.value
        if row.incarnation is None:
            tip.append(state)
        else:
            state += f" #{row.incarnation}"
            restarts = _restarts(row.incarnation)
            if row.incarnation > 1:
                state += f" · {restarts}"
            tip.append(
                f"{row.state.value}, incarnation {row.incarnation} "
                f"({restarts} since its supervisor started)"
            )
        box.append(state)
    if row.waits:
        waits = "waits for " + ", ".join(map(repr, row.waits))
        box.append(waits)
        tip.append(waits)
    return box, tip


# ---- Layout ----


def _even(value: float) -> int:
    """``value`` rounded up to an even number, so that halves stay whole."""
    return 2 * math.ceil(value / 2)


def _layout(rows: list[_Row], widths: list[int]) -> tuple[list[int], list[list[int]], int]:
    """The x of each box's centre, the children of each row, and the width of it all."""
    count = len(rows)
    children: list[list[int]] = [[] for _ in range(count)]
    for index, row in enumerate(rows):
        if row.parent is not None:
            children[row.parent].append(index)
    # Invariant: block[i] is the width of the subtree of row i, center[i] the
    # centre of its box from the left of that block, and offset[i] the left
    # of that block from the left of its parent's block.
    block = [0] * count
    center = [0] * count
    offset = [0] * count
    for index in range(count - 1, -1, -1):  # children before their parent
        half = widths[index] // 2
        kids = children[index]
        if not kids:
            block[index], center[index] = widths[index], half
            continue
        left = 0
        for kid in kids:
            offset[kid] = left
            left += block[kid] + _H_GAP
        span = left - _H_GAP
        first, last = kids[0], kids[-1]
        mid = (offset[first] + center[first] + offset[last] + center[last]) // 2
        # A parent wider than its children's blocks pushes them right.
        shift = max(0, half - mid)
        if shift:
            for kid in kids:
                offset[kid] += shift
        center[index] = mid + shift
        block[index] = max(span + shift, center[index] + half)
    xs = [0] * count
    lefts = [0] * count
    lefts[0] = _MARGIN
    for index in range(count):  # parents before their children
        xs[index] = lefts[index] + center[index]
        for kid in children[index]:
            lefts[kid] = lefts[index] + offset[kid]
    return xs, children, block[0] + 2 * _MARGIN


def _tops(rows: list[_Row], heights: list[int]) -> tuple[list[int], int]:
    """The top of each level (by depth), and the height of it all."""
    levels = [0] * (max(row.depth for row in rows) + 1)
    for row, height in zip(rows, heights, strict=True):
        levels[row.depth] = max(levels[row.depth], height)
    tops: list[int] = []
    y = _MARGIN
    for height in levels:
        tops.append(y)
        y += height + _V_GAP
    return tops, y - _V_GAP + _MARGIN


# ---- The document ----


def draw(subject: Supervisor | Tree, *, background: bool = False) -> str:
    """The SVG document of ``subject``: see `gensup.render.svg`."""
    rows = _rows(subject, prefixes=True)  # waits need the paths
    paths = _paths(rows)
    boxes = [
        _box(row, spec, path)
        for row, spec, path in zip(rows, _specs(subject, paths), paths, strict=True)
    ]
    xs, children, width = _layout(rows, [box.width for box in boxes])
    tops, height = _tops(rows, [box.height for box in boxes])
    # With a background, currentColor is set rather than inherited: the
    # picture reads the same wherever it is shown as an image.  The paper
    # reaches past the drawing (a negative origin), which stays where it is.
    pad = _PAPER_MARGIN if background else 0
    view = f"{-pad} {-pad} {width + 2 * pad} {height + 2 * pad}"
    size = f'width="{width + 2 * pad}" height="{height + 2 * pad}"'
    colour = f' color="{_INK}"' if background else ""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{view}" {size} '
        f'font-family="{_FONTS}" font-size="{_FONT}" fill="currentColor"{colour}>',
        f"<title>supervision tree {_escape(rows[0].id)}</title>",
    ]
    if background:
        out.append(f'<rect x="{-pad}" y="{-pad}" {size} rx="6" fill="{_PAPER}"/>')
    out.append('<g fill="none" stroke="currentColor" stroke-opacity="0.5" stroke-width="1.25">')
    for index, kids in enumerate(children):
        if kids:
            depth = rows[index].depth
            out.append(
                _edges(
                    xs[index],
                    tops[depth] + boxes[index].height,
                    [xs[kid] for kid in kids],
                    tops[depth + 1],
                )
            )
    out.append("</g>")
    out.extend(_node(box, x, tops[box.row.depth]) for box, x in zip(boxes, xs, strict=True))
    out.append("</svg>")
    return "\n".join(out)


@attrs.frozen
class _Box:
    """One child's box, before it is placed."""

    row: _Row
    # The id, then the other lines, cut short to fit.
    label: list[str]
    # The tooltip: the child's path, then each fact in full.
    tip: str
    backoff: bool
    width: int
    height: int


def _box(row: _Row, spec: ChildSpec, path: str) -> _Box:
    lines, tip = _lines(row, spec)
    label = [_cut(row.id), *map(_cut, lines)]
    columns = max([_columns(label[0]) * _ID_FONT, *(_columns(line) * _FONT for line in label[1:])])
    return _Box(
        row,
        label,
        "\n".join([path, *tip]),
        spec.backoff is not None,
        _even(max(_MIN_WIDTH, columns * _ADVANCE + 2 * _PAD_X)),
        2 * _PAD_Y + len(label) * _LINE,
    )


def _edges(x: int, bottom: int, kids: list[int], top: int) -> str:
    """The lines from a parent's box down to its children's: a stem, a bar, drops.

    No stretch is drawn twice, so that translucent lines stay even.
    """
    bar = top - _V_GAP // 2
    path = f"M{x} {bottom}V{bar}"
    if len(kids) > 1:
        path += f"M{kids[0]} {bar}H{kids[-1]}"
    path += "".join(f"M{kid} {bar}V{top}" for kid in kids)
    return f'<path d="{path}"/>'


def _node(box: _Box, x: int, top: int) -> str:
    """One child: a group with its tooltip, its box and its lines."""
    row = box.row
    colour, fill_opacity, dashes = _LOOK[row.state]
    classes = f"gensup-node gensup-{row.kind.value}"
    if row.state is not None:
        classes += f" gensup-{row.state.value}"
    if box.backoff:
        classes += " gensup-backoff"
    corner = _CORNER[row.kind]
    shape = f' rx="{corner}"' if corner else ""
    dash = f' stroke-dasharray="{dashes}"' if dashes else ""
    baseline = top + _PAD_Y + _ASCENT
    lines = [
        f'<tspan x="{x}" y="{baseline}" font-size="{_ID_FONT}" font-weight="bold">'
        f"{_escape(box.label[0])}</tspan>"
    ]
    lines.extend(
        f'<tspan x="{x}" y="{baseline + n * _LINE}" fill-opacity="0.85">{_escape(line)}</tspan>'
        for n, line in enumerate(box.label[1:], start=1)
    )
    return (
        f'<g class="{classes}">'
        f"<title>{_escape(box.tip)}</title>"
        f'<rect x="{x - box.width // 2}" y="{top}" width="{box.width}" height="{box.height}"'
        f'{shape} fill="{colour}" fill-opacity="{fill_opacity}" stroke="{colour}" '
        f'stroke-width="{_STROKE_WIDTH[row.kind]}"{dash}/>'
        f'<text text-anchor="middle">{"".join(lines)}</text>'
        "</g>"
    )
