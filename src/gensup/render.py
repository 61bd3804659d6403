"""Pictures of a tree: a ``pstree``-like text view, an SVG picture, a mermaid flowchart.

Each function takes either a spec (the root `gensup.Supervisor`) or a running
`gensup.Tree`.  A spec shows what the tree is made of: each supervisor's
strategy and intensity, each child's restart type.  A running tree shows the
same and, for each child, its state and incarnation (how many start attempts
it had since its supervisor started); the text view and the SVG picture add
what each worker waits for.

Example:
    >>> from gensup import Supervisor, Worker, render, waitfor
    >>> def idle():
    ...     yield waitfor("NEVER")
    >>> spec = Supervisor("root", [Worker("a", idle), Worker("b", idle)])
    >>> print(render.text(spec))
    root [supervisor one_for_one, intensity 1/5s]
    ├── a [worker, permanent]
    └── b [worker, permanent]

The docs draw every tree picture with `svg`, from the same specs that the
examples run, so the pictures never drift from the code.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Final

import attrs

from ._records import ChildInfo, ChildKind, ChildState
from ._spec import AutoShutdown, ChildSpec, Supervisor, Worker
from ._tree import Tree

__all__ = ["mermaid", "svg", "text"]

_RUNNING: Final = ChildState.RUNNING
_STOPPED: Final = ChildState.STOPPED


# ---- One row per child, whatever was rendered ----


@attrs.frozen
class _Row:
    """What both views show of one child, in tree order."""

    id: str
    depth: int
    # Box-drawing characters before the id in the text view ("" for the root).
    prefix: str
    # The index of the parent's row, or None for the root.
    parent: int | None
    kind: ChildKind
    # None for the root: no supervisor restarts it.
    restart: str | None
    # Supervisors only; None where a running tree does not tell.
    params: str | None
    significant: bool = False
    # Running trees only.
    state: ChildState | None = None
    incarnation: int | None = None
    waits: tuple[Hashable, ...] = ()


def _sup_params(spec: Supervisor) -> str:
    params = f"{spec.strategy.value}, intensity {spec.intensity}/{spec.period}s"
    if spec.auto_shutdown is not AutoShutdown.NEVER:
        params += f", auto_shutdown {spec.auto_shutdown.value}"
    if spec.placement is not None:
        params += f", in a {spec.placement.describe()}"
    return params


def _spec_rows(root: Supervisor, *, prefixes: bool) -> list[_Row]:
    """The rows of a spec, walked with an explicit stack (trees may be deep).

    With ``prefixes`` false (mermaid), no row gets the text view's prefix:
    it grows with the depth, and would make a deep tree cost its square.
    """
    rows: list[_Row] = []
    # (spec, depth, prefix of its own line, prefix for its children, parent row)
    stack: list[tuple[Worker | Supervisor, int, str, str, int | None]] = [(root, 0, "", "", None)]
    while stack:
        spec, depth, prefix, child_prefix, parent = stack.pop()
        index = len(rows)
        if isinstance(spec, Supervisor):
            rows.append(
                _Row(
                    spec.id,
                    depth,
                    prefix,
                    parent,
                    ChildKind.SUPERVISOR,
                    None if parent is None else spec.restart.value,
                    _sup_params(spec),
                    spec.significant,
                )
            )
            last = len(spec.children) - 1
            for i in range(last, -1, -1):
                own, below = _branch(child_prefix, last=i == last) if prefixes else ("", "")
                stack.append((spec.children[i], depth + 1, own, below, index))
        else:
            rows.append(
                _Row(
                    spec.id,
                    depth,
                    prefix,
                    parent,
                    ChildKind.WORKER,
                    spec.restart.value,
                    None,
                    spec.significant,
                )
            )
    return rows


def _branch(prefix: str, *, last: bool) -> tuple[str, str]:
    """The text view's prefixes of a child's own line and of its children's lines."""
    if last:
        return prefix + "└── ", prefix + "    "
    return prefix + "├── ", prefix + "│   "


def _tree_rows(tree: Tree, *, prefixes: bool) -> list[_Row]:
    """The rows of a running tree, from one `Tree.walk` (public and read-only).

    With ``prefixes`` (the text view), rows also get their prefix and the
    events each worker waits for, found by its path in `Tree.status`; both
    grow with the depth.  Without (mermaid), nothing does.
    """
    root_id = _root_id(tree)
    if not tree.alive:
        return [_Row(root_id, 0, "", None, ChildKind.SUPERVISOR, None, None, state=_STOPPED)]
    nodes = tree.walk()
    waits = tree.status() if prefixes else {}
    last = _last_children(nodes) if prefixes else []
    rows: list[_Row] = []
    # For each depth down to the current node: (its row, its path, prefix for its children).
    ancestors: list[tuple[int, str, str]] = []
    for index, (depth, info, spec) in enumerate(nodes):
        del ancestors[depth:]
        if depth == 0:
            parent, path, prefix, child_prefix = None, root_id, "", ""
        else:
            parent, parent_path, parent_prefix = ancestors[-1]
            path = f"{parent_path}/{info.id}" if prefixes else ""
            prefix, child_prefix = (
                _branch(parent_prefix, last=last[index]) if prefixes else ("", "")
            )
        rows.append(
            _Row(
                info.id,
                depth,
                prefix,
                parent,
                info.kind,
                None if depth == 0 else info.restart.value,
                _sup_params(spec) if isinstance(spec, Supervisor) else None,
                spec.significant,
                state=info.state,
                incarnation=None if depth == 0 else info.incarnation,
                waits=waits.get(path, ()),
            )
        )
        ancestors.append((index, path, child_prefix))
    return rows


def _last_children(nodes: list[tuple[int, ChildInfo, ChildSpec]]) -> list[bool]:
    """For each child of a walk, whether it is the last of its siblings.

    Read backwards: a child is last when no sibling came after it, that is
    no child at its depth since the last one shallower.
    """
    last = [False] * len(nodes)
    # later[d]: a child at depth d was seen (reading backwards) since the last shallower one.
    later: list[bool] = []
    for index in range(len(nodes) - 1, -1, -1):
        depth = nodes[index][0]
        del later[depth + 1 :]
        while len(later) <= depth:
            later.append(False)
        last[index] = not later[depth]
        later[depth] = True
    return last


def _root_id(tree: Tree) -> str:
    return tree.spec.id


def _rows(subject: Supervisor | Tree, *, prefixes: bool) -> list[_Row]:
    if isinstance(subject, Tree):
        return _tree_rows(subject, prefixes=prefixes)
    if isinstance(subject, Supervisor):
        return _spec_rows(subject, prefixes=prefixes)
    raise TypeError(
        f"render: expected a Supervisor spec or a running gensup.Tree (got {subject!r})"
    )


# ---- The text view ----


def _text_line(row: _Row) -> str:
    what = [row.kind.value if row.params is None else f"{row.kind.value} {row.params}"]
    if row.restart is not None:
        what.append(row.restart)
    if row.significant:
        what.append("significant")
    line = f"{row.prefix}{row.id} [{', '.join(what)}]"
    if row.state is not None:
        line += f" {row.state.value}"
        if row.incarnation is not None:
            line += f" #{row.incarnation}"
        if row.waits:
            line += " waits for " + ", ".join(map(repr, row.waits))
    return line


def text(subject: Supervisor | Tree) -> str:
    """Draw a spec or a running tree as text, one child per line, like ``pstree``.

    Example:
        >>> import gensup
        >>> from gensup import Supervisor, Worker, render, waitfor
        >>> def idle():
        ...     yield waitfor("PING")
        >>> spec = Supervisor("root", [
        ...     Worker("a", idle),
        ...     Supervisor("pool", [Worker("b", idle, restart="transient")],
        ...                strategy="one_for_all", intensity=3, period=10),
        ... ])
        >>> print(render.text(spec))
        root [supervisor one_for_one, intensity 1/5s]
        ├── a [worker, permanent]
        └── pool [supervisor one_for_all, intensity 3/10s, permanent]
            └── b [worker, transient]
        >>> with gensup.start(spec) as tree:
        ...     tree.terminate_child("root/a")
        ...     print(render.text(tree))
        root [supervisor one_for_one, intensity 1/5s] running
        ├── a [worker, permanent] stopped #1
        └── pool [supervisor one_for_all, intensity 3/10s, permanent] running #1
            └── b [worker, transient] running #1 waits for 'PING'

    Each line shows the child's id, its kind, a supervisor's strategy and
    intensity (``intensity 3/10s``: at most 3 restarts within 10 seconds),
    and the restart type (not for the root, which no supervisor restarts).
    A spec also shows significant children and a supervisor's
    ``auto_shutdown`` when it is not ``never``.

    For a running tree, each line also shows the child's state
    (``running``, ``stopped`` or ``restarting``), its incarnation (``#2``:
    its second start attempt since its supervisor started) and, for a worker
    that waits, the events it waits for.  A stopped supervisor is drawn
    without children, and a tree that is no longer alive as its root alone:
    ``root [supervisor] stopped``.

    Each line is indented by its depth, four characters a level, so a chain
    of supervisors ``n`` deep draws ``n`` lines of up to ``4 * n``
    characters: its text, and the time to make it, grow as ``n`` squared.
    `mermaid` takes time in proportion to the number of children, however
    deep.

    Args:
        subject: The root `Supervisor` spec, or a `gensup.Tree`.

    Returns:
        The lines, joined with ``"\\n"`` (no trailing newline).

    Raises:
        TypeError: ``subject`` is neither a Supervisor spec nor a Tree.
    """
    return "\n".join(_text_line(row) for row in _rows(subject, prefixes=True))


# ---- The mermaid flowchart ----

# Mermaid reads "#name;" as an entity, so "#" is escaped first.
_ESCAPES: Final = (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("&", "#amp;"))

# Supervisors are drawn thick, stopped children dashed.  Only strokes are
# set, so that the diagram follows the page's light or dark colours.
_CLASSES: Final = (
    ("supervisor", "stroke-width:3px"),
    ("stopped", "stroke-dasharray:6 4"),
    ("restarting", "stroke-dasharray:2 3"),
)


def _escape(value: str) -> str:
    for raw, escaped in _ESCAPES:
        value = value.replace(raw, escaped)
    return value


def _mermaid_label(row: _Row) -> str:
    lines = [f"<b>{_escape(row.id)}</b>"]
    if row.params is not None:
        lines.append(row.params.replace(", intensity ", " · intensity "))
    restart = [] if row.restart is None else [row.restart]
    if row.significant:
        restart.append("significant")
    if restart:
        lines.append(", ".join(restart))
    if row.state is not None:
        state = row.state.value
        if row.incarnation is not None:
            state += f" #{row.incarnation}"
        lines.append(state)
    return "<br/>".join(lines)


def _classes(rows: list[_Row]) -> Iterator[str]:
    for name, style in _CLASSES:
        members = [
            f"n{i}"
            for i, row in enumerate(rows)
            if (name == "supervisor" and row.kind is ChildKind.SUPERVISOR)
            or (row.state is not None and row.state.value == name)
        ]
        if members:
            yield f"    classDef {name} {style}"
            yield f"    class {','.join(members)} {name}"


def mermaid(subject: Supervisor | Tree) -> str:
    """Draw a spec or a running tree as a mermaid flowchart, top down.

    Example:
        >>> from gensup import Supervisor, Worker, render, waitfor
        >>> def idle():
        ...     yield waitfor("PING")
        >>> spec = Supervisor("root", [Worker("a", idle, restart="temporary")])
        >>> print(render.mermaid(spec))
        flowchart TD
            n0["<b>root</b><br/>one_for_one · intensity 1/5s"]
            n1("<b>a</b><br/>temporary")
            n0 --> n1
            classDef supervisor stroke-width:3px
            class n0 supervisor

    Supervisors are rectangles drawn with a thick border and show their
    strategy and intensity; workers are rounded.  Every child shows its
    restart type; for a running tree, also its state and incarnation
    (``running #2``), with stopped children dashed.  Put the result in a
    fenced code block whose language is ``mermaid`` on a Markdown page
    (mkdocs-material and GitHub draw it), or paste it into any mermaid editor.
    It takes time in proportion to the number of children, however deep the
    tree is.

    Args:
        subject: The root `Supervisor` spec, or a `gensup.Tree`.

    Returns:
        The flowchart's source, without a trailing newline.

    Raises:
        TypeError: ``subject`` is neither a Supervisor spec nor a Tree.
    """
    rows = _rows(subject, prefixes=False)
    out = ["flowchart TD"]
    for i, row in enumerate(rows):
        label = _mermaid_label(row)
        if row.kind is ChildKind.SUPERVISOR:
            out.append(f'    n{i}["{label}"]')
        else:
            out.append(f'    n{i}("{label}")')
    out.extend(
        f"    n{row.parent} --> n{i}" for i, row in enumerate(rows) if row.parent is not None
    )
    out.extend(_classes(rows))
    return "\n".join(out)


# ---- The SVG picture ----


def svg(subject: Supervisor | Tree, *, background: bool = False) -> str:
    """Draw a spec or a running tree as an SVG picture, top down, with no dependency.

    Example:
        >>> from gensup import Supervisor, Worker, render, waitfor
        >>> def idle():
        ...     yield waitfor("PING")
        >>> spec = Supervisor("root", [Worker("a", idle, restart="temporary")])
        >>> picture = render.svg(spec)
        >>> print(picture.splitlines()[1])
        <title>supervision tree root</title>

    The picture shows what `text` shows, in boxes laid out as a tree:
    supervisors are square boxes with a thick border, with their strategy
    and intensity; workers are rounded.  Every child shows its restart type
    and, if it has one, its restart backoff.  For a running tree, each box
    is coloured by the child's state (green ``running``, dashed amber
    ``restarting``, dashed grey ``stopped``) and shows its incarnation with
    the restarts it counts (``running #3 · 2 restarts``) and what a worker
    waits for.  Hovering over a box shows its path and the same facts in
    full (long lines are cut short in the box).

    The document is self-contained: put it in an HTML page (the docs inline
    it, so it works offline and under a strict content security policy) or
    in a ``.svg`` file, or let Jupyter show it (a `Supervisor` spec and a
    `gensup.Tree` display themselves with it, with a background).  Text and
    lines take the colour of the surrounding text, so the picture reads on
    light and dark pages.  An image takes no colour from around it (an
    ``<img>``, a README on GitHub in dark mode, JupyterLab): draw those with
    ``background=True``.  The same subject always gives the same bytes.
    Trees thousands of levels deep or wide are drawn (without recursion).

    Args:
        subject: The root `Supervisor` spec, or a `gensup.Tree`.
        background: Paint a white background and draw in a dark colour,
            rather than on nothing in the colour of the surrounding text.

    Returns:
        The SVG document (an ``<svg>`` element with a ``viewBox``), without
        a trailing newline.

    Raises:
        TypeError: ``subject`` is neither a Supervisor spec nor a Tree.
    """
    from ._svg import draw  # _svg builds on this module's rows: imported late

    return draw(subject, background=background)
