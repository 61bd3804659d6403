"""mkdocs hooks: the docs' tree pictures, drawn by gensup.render from the examples.

A page asks for a picture with a marker line naming an example file and a
name in it::

    <!-- tree: docs/examples/home.py SPEC -->

The name is a `Supervisor` spec, or a function that returns one or returns
an SVG picture (to picture a running tree: ``render.svg(tree)``).  The marker
is replaced with the SVG itself, inline in the page, so the pictures are
always those of the code the tests run, and they show offline and under a
strict content security policy (no script draws them).  A marker that
cannot be drawn fails the build.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

from loguru import logger

from gensup import Supervisor, render

MARKER = re.compile(r"^<!-- tree: (?P<path>\S+\.py) (?P<name>\w+) -->$", re.MULTILINE)

_modules: dict[Path, ModuleType] = {}


def load(path: Path) -> ModuleType:
    """Import an example file by path, once per build; its main block does not run."""
    module = _modules.get(path)
    if module is None:
        spec = importlib.util.spec_from_file_location(f"_docs_example_{path.stem}", path)
        if spec is None or spec.loader is None:
            raise ValueError(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _modules[path] = module
    return module


def picture(root: Path, path: str, name: str) -> str:
    """The SVG picture for the marker ``<!-- tree: path name -->``."""
    value = getattr(load(root / path), name)
    if callable(value) and not isinstance(value, Supervisor):
        # Running trees log through loguru; the build's output stays clean.
        logger.disable("gensup")
        try:
            value = value()
        finally:
            logger.enable("gensup")
    if isinstance(value, Supervisor):
        return render.svg(value)
    if isinstance(value, str) and value.startswith("<svg "):
        return value
    raise TypeError(f"{path}: {name} is neither a Supervisor spec nor an SVG picture")


def on_pre_build(config: Any) -> None:
    """Forget the examples imported by a previous build (``mkdocs serve``)."""
    _modules.clear()


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Replace each tree marker of a page with its picture, as raw HTML."""
    root = Path(config.config_file_path).parent

    def replace(match: re.Match[str]) -> str:
        # A figure is a block of raw HTML for Markdown (an svg alone is not),
        # and the theme centres it.
        svg = picture(root, match["path"], match["name"])
        return f'<figure class="gensup-tree">\n{svg}\n</figure>'

    return MARKER.sub(replace, markdown)
