"""python -m gensup show: the tree of a spec from the command line, run for real."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

PROG = "python -m gensup"

TREES = """\
from gensup import Supervisor, Worker, waitfor


def idle():
    yield waitfor("PING")


SPEC = Supervisor(
    "shop",
    [Worker("web", idle), Supervisor("pool", [Worker("db", idle)], strategy="one_for_all")],
)
ALONE = Worker("alone", idle)
NUMBER = 42


def build():
    return Supervisor("built", [Worker("w", idle, restart="temporary")])


def build_with(name):
    return Supervisor(name)


def not_a_tree():
    return "shop"


class Holder:
    spec = Supervisor("held")


if __name__ == "__main__":
    print("the main block ran")
"""

SHOP = (
    "shop [supervisor one_for_one, intensity 1/5s]\n"
    "├── web [worker, permanent]\n"
    "└── pool [supervisor one_for_all, intensity 1/5s, permanent]\n"
    "    └── db [worker, permanent]\n"
)


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m gensup ARGS`` in ``cwd``, as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "gensup", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with trees.py (specs and functions), a package and a broken module."""
    (tmp_path / "trees.py").write_text(TREES, encoding="utf-8")
    package = tmp_path / "app"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "tree.py").write_text("from trees import SPEC as ROOT\n", encoding="utf-8")
    (tmp_path / "broken.py").write_text("import no_such_dependency\n", encoding="utf-8")
    return tmp_path


class TestShow:
    """What show prints and writes for a good target."""

    def test_file_target(self, project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
        """path/to/file.py:NAME prints the text view of the spec, from any directory,
        without running the file's main block."""
        elsewhere = tmp_path_factory.mktemp("elsewhere")
        result = run("show", str(project / "trees.py") + ":SPEC", cwd=elsewhere)
        assert (result.returncode, result.stdout, result.stderr) == (0, SHOP, "")

    def test_relative_file_target(self, project: Path) -> None:
        """A relative path is read from the current directory."""
        (project / "sub").mkdir()
        (project / "sub" / "more.py").write_text(TREES, encoding="utf-8")
        result = run("show", "sub/more.py:SPEC", cwd=project)
        assert (result.returncode, result.stdout) == (0, SHOP)

    def test_module_target(self, project: Path) -> None:
        """module:NAME imports the module from the current directory."""
        result = run("show", "trees:SPEC", cwd=project)
        assert (result.returncode, result.stdout, result.stderr) == (0, SHOP, "")

    def test_package_module_target(self, project: Path) -> None:
        """A dotted module name works, and the module may import its neighbours."""
        result = run("show", "app.tree:ROOT", cwd=project)
        assert (result.returncode, result.stdout) == (0, SHOP)

    def test_file_imports_its_neighbours(
        self, project: Path, tmp_path_factory: pytest.TempPathFactory
    ) -> None:
        """A target file imports modules next to it, as when it is run as a script."""
        (project / "uses.py").write_text("from trees import SPEC\n", encoding="utf-8")
        elsewhere = tmp_path_factory.mktemp("elsewhere")
        result = run("show", str(project / "uses.py") + ":SPEC", cwd=elsewhere)
        assert (result.returncode, result.stdout) == (0, SHOP)

    def test_function_target(self, project: Path) -> None:
        """A function of no arguments is called for the spec it returns."""
        result = run("show", "trees:build", cwd=project)
        assert result.returncode == 0
        assert result.stdout == (
            "built [supervisor one_for_one, intensity 1/5s]\n└── w [worker, temporary]\n"
        )

    def test_attribute_target(self, project: Path) -> None:
        """NAME may be dotted: an attribute of an object in the module."""
        result = run("show", "trees:Holder.spec", cwd=project)
        assert (result.returncode, result.stdout) == (
            0,
            "held [supervisor one_for_one, intensity 1/5s]\n",
        )

    def test_mermaid(self, project: Path) -> None:
        """--mermaid prints the mermaid source instead of the text view."""
        result = run("show", "trees:SPEC", "--mermaid", cwd=project)
        assert result.returncode == 0
        assert result.stdout.startswith('flowchart TD\n    n0["<b>shop</b>')
        assert "    n2 --> n3\n" in result.stdout

    def test_svg(self, project: Path) -> None:
        """--svg FILE writes the SVG picture to FILE, and the text view is printed."""
        result = run("show", "trees:SPEC", "--svg", "shop.svg", cwd=project)
        assert (result.returncode, result.stdout, result.stderr) == (0, SHOP, "")
        svg = ET.parse(project / "shop.svg").getroot()
        assert svg.get("color") == "#1f2328"  # drawn on its own background
        titles = [
            title.text for title in svg.iter("{http://www.w3.org/2000/svg}title") if title.text
        ]
        assert [title.split("\n")[0] for title in titles[1:]] == [
            "shop",
            "shop/web",
            "shop/pool",
            "shop/pool/db",
        ]

    def test_svg_is_the_same_whatever_the_hash_seed(self, project: Path) -> None:
        """Two runs in fresh interpreters with different hash seeds write the same bytes."""
        pictures = []
        for seed in ("1", "2"):
            env = {**os.environ, "PYTHONHASHSEED": seed}
            result = run("show", "trees:SPEC", "--svg", f"shop{seed}.svg", cwd=project, env=env)
            assert result.returncode == 0
            pictures.append((project / f"shop{seed}.svg").read_bytes())
        assert pictures[0] == pictures[1]

    def test_help(self, project: Path) -> None:
        """--help describes TARGET and the options."""
        result = run("show", "--help", cwd=project)
        assert result.returncode == 0
        assert "path/to/file.py:NAME or module:NAME" in " ".join(result.stdout.split())
        assert "--svg FILE" in result.stdout
        assert "--mermaid" in result.stdout


class TestErrors:
    """A bad target is one line on stderr and exit status 2, argparse-style."""

    @pytest.mark.parametrize(
        ("target", "message"),
        [
            ("missing.py:SPEC", "no such file: missing.py"),
            ("no/such/dir/trees.py:SPEC", "no such file: no/such/dir/trees.py"),
            ("no_such_module:SPEC", "no module named 'no_such_module'"),
            ("app.nothing:SPEC", "no module named 'app.nothing'"),
            ("trees:NOPE", "trees has no name 'NOPE'"),
            ("trees:Holder.nope", "trees has no name 'Holder.nope'"),
            ("trees.py:NOPE", "trees.py has no name 'NOPE'"),
            ("trees:NUMBER", "NUMBER is 42, not a Supervisor spec"),
            ("trees:idle", "idle() returned a generator, not a Supervisor spec"),
            ("trees:not_a_tree", "not_a_tree() returned 'shop', not a Supervisor spec"),
            ("trees:build_with", "build_with needs arguments; give a function of none"),
            (
                "trees:ALONE",
                "ALONE is a Worker spec; show draws a tree: wrap it, Supervisor('root', [ALONE])",
            ),
            ("trees", "TARGET must be path/to/file.py:NAME or module:NAME (got 'trees')"),
            ("trees:", "TARGET must be path/to/file.py:NAME or module:NAME (got 'trees:')"),
            ("bad-name:SPEC", "'bad-name' is not a module name"),
        ],
    )
    def test_bad_target(self, project: Path, target: str, message: str) -> None:
        """The error names what was wrong; nothing is printed on stdout, no traceback."""
        result = run("show", target, cwd=project)
        assert result.returncode == 2
        assert result.stdout == ""
        assert result.stderr == f"{PROG} show: error: {message}\n"

    def test_errors_of_the_users_code_propagate(self, project: Path) -> None:
        """A module missing from the target's own imports is the user's error: its
        traceback is shown, not hidden behind a bad-target message."""
        result = run("show", "broken:SPEC", cwd=project)
        assert result.returncode == 1
        assert "Traceback" in result.stderr
        assert "No module named 'no_such_dependency'" in result.stderr

    def test_unwritable_svg(self, project: Path) -> None:
        """An SVG file that cannot be written is a one-line error, exit status 1."""
        result = run("show", "trees:SPEC", "--svg", "no/such/dir/x.svg", cwd=project)
        assert result.returncode == 1
        assert result.stderr == (
            f"{PROG} show: error: cannot write no/such/dir/x.svg: No such file or directory\n"
        )

    def test_no_command(self, project: Path) -> None:
        """Without a command, argparse's usage error, exit status 2."""
        result = run(cwd=project)
        assert result.returncode == 2
        assert result.stderr.splitlines()[-1] == (
            f"{PROG}: error: the following arguments are required: COMMAND"
        )
