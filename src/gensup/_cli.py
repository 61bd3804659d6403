"""The command line: ``python -m gensup show TARGET`` draws a spec.

TARGET names a `Supervisor` spec, or a function of no arguments that returns
one, as ``path/to/file.py:NAME`` or ``module:NAME`` (imported with the
current directory on ``sys.path``, as ``python -m`` does).  A target that
cannot be found is a one-line error and exit status 2, as argparse does for
bad arguments; an exception raised by the user's own code while it is
imported or called propagates with its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import os
import reprlib
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from . import render
from ._spec import Supervisor, Worker

__all__ = ["main"]

PROG = "python -m gensup"

# The module name under which a target file is imported: not "__main__", so
# that its `if __name__ == "__main__":` block does not run.
_FILE_MODULE = "__gensup_target__"


class BadTarget(Exception):
    """The target names nothing that can be drawn; the message says why."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    args = _parser().parse_args(argv)
    try:
        spec = load(args.target)
    except BadTarget as exc:
        print(f"{PROG} show: error: {exc}", file=sys.stderr)
        return 2
    if args.svg is not None:
        try:
            # A file is shown as an image, which inherits no text colour.
            picture = render.svg(spec, background=True)
            Path(args.svg).write_text(picture + "\n", encoding="utf-8")
        except OSError as exc:
            print(f"{PROG} show: error: cannot write {args.svg}: {exc.strerror}", file=sys.stderr)
            return 1
    print(render.mermaid(spec) if args.mermaid else render.text(spec))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Look at gensup supervision trees from the command line."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    show = commands.add_parser(
        "show",
        help="print the tree of a spec",
        description=(
            "Print the tree of a Supervisor spec as text (or as mermaid source), "
            "and optionally write its SVG picture to a file."
        ),
    )
    show.add_argument(
        "target",
        metavar="TARGET",
        help=(
            "path/to/file.py:NAME or module:NAME, where NAME is a Supervisor spec "
            "or a function of no arguments that returns one"
        ),
    )
    show.add_argument(
        "--svg", metavar="FILE", help="also write the SVG picture (on a white background) to FILE"
    )
    show.add_argument("--mermaid", action="store_true", help="print mermaid source instead of text")
    return parser


# ---- Finding the target ----


def load(target: str) -> Supervisor:
    """The spec that ``target`` names.

    Raises:
        BadTarget: no such file, module or name, or what it names is not a spec.
    """
    where, colon, name = target.rpartition(":")
    if not colon or not where or not name:
        raise BadTarget(f"TARGET must be path/to/file.py:NAME or module:NAME (got {target!r})")
    if where.endswith(".py") or "/" in where or os.sep in where:
        module = _load_file(Path(where))
    else:
        module = _import(where)
    value: object = module
    for part in name.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise BadTarget(f"{where} has no name {name!r}") from None
    return _spec(value, name)


def _load_file(path: Path) -> ModuleType:
    if not path.is_file():
        raise BadTarget(f"no such file: {path}")
    spec = importlib.util.spec_from_file_location(_FILE_MODULE, path)
    if spec is None or spec.loader is None:
        raise BadTarget(f"cannot import {path} (not a Python file?)")
    module = importlib.util.module_from_spec(spec)
    # As `python path/to/file.py` would: the file's imports of its neighbours
    # work, and attrs or dataclasses find the module by name.
    sys.path.insert(0, str(path.resolve().parent))
    sys.modules[_FILE_MODULE] = module
    spec.loader.exec_module(module)
    return module


def _import(name: str) -> ModuleType:
    if not all(part.isidentifier() for part in name.split(".")):
        raise BadTarget(f"{name!r} is not a module name")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        # Only the target itself (or its package) being missing is a bad
        # target; a module it imports being missing is the user's error.
        if exc.name is not None and (name == exc.name or name.startswith(exc.name + ".")):
            raise BadTarget(f"no module named {exc.name!r}") from None
        raise


def _spec(value: object, name: str) -> Supervisor:
    if isinstance(value, Supervisor):
        return value
    if isinstance(value, Worker):
        raise BadTarget(
            f"{name} is a Worker spec; show draws a tree: wrap it, Supervisor('root', [{name}])"
        )
    if callable(value) and not isinstance(value, type):
        try:
            inspect.signature(value).bind()
        except TypeError:
            raise BadTarget(f"{name} needs arguments; give a function of none") from None
        except ValueError:  # no signature to check (some builtins): just call it
            pass
        result = value()
        if isinstance(result, Supervisor):
            return result
        raise BadTarget(f"{name}() returned {_what(result)}, not a Supervisor spec")
    raise BadTarget(f"{name} is {_what(value)}, not a Supervisor spec")


def _what(value: object) -> str:
    """A short description of a value: itself if it is plain data, else its type."""
    if value is None or isinstance(value, (bool, int, float, str, bytes, list, tuple, dict)):
        return reprlib.repr(value)
    return f"a {type(value).__name__}"
