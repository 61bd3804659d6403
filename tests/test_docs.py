"""The docs site: its examples run and print what the pages show, its pictures draw.

Every ``docs/examples/NAME.out`` is the output that a page shows under the
code of ``docs/examples/NAME.py`` (or ``examples/NAME.py``); the test runs the
script and compares.  After a deliberate change, rewrite the outputs with
``GENSUP_UPDATE_DOCS=1 python -m pytest tests/test_docs.py``, and review the
diff.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import griffe
import pytest
from mkdocs.config import load_config
from mkdocs.structure.files import get_files

import gensup

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXAMPLES = DOCS / "examples"
PAGES = sorted(DOCS.rglob("*.md"))
SNIPPET = re.compile(r'^\s*--8<-- "(?P<path>[^"]+)"\s*$', re.MULTILINE)
REFERENCE = re.compile(r"^::: (?P<name>gensup(?:\.\w+)*)$", re.MULTILINE)
# pytest's summary line ends with the time the run took.
DURATION = re.compile(r" in \d+\.\d+s$", re.MULTILINE)


def includes(page: Path) -> list[str]:
    """The files a page includes with snippets, as paths from the repository root."""
    return SNIPPET.findall(page.read_text(encoding="utf-8"))


def all_includes() -> set[str]:
    """Every file any page includes."""
    return {path for page in PAGES for path in includes(page)}


def script_for(output: Path) -> Path:
    """The script whose output ``output`` is: in docs/examples/, else in examples/."""
    script = output.with_suffix(".py")
    return script if script.exists() else ROOT / "examples" / script.name


def load_hooks() -> ModuleType:
    """The mkdocs hooks module, imported from its file."""
    spec = importlib.util.spec_from_file_location("gensup_docs_hooks", DOCS / "hooks.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def relative(path: Path) -> str:
    """``path`` as the pages name it."""
    return path.relative_to(ROOT).as_posix()


OUTPUTS = sorted(EXAMPLES.glob("*.out"))
SCRIPTS = sorted(EXAMPLES.glob("*.py"))
# (page, example file, name) for each tree picture marker.
MARKERS = [
    (relative(page), match["path"], match["name"])
    for page in PAGES
    for match in load_hooks().MARKER.finditer(page.read_text(encoding="utf-8"))
]


class TestExamples:
    """The code in the docs, and the output shown under it."""

    @pytest.mark.parametrize("output", OUTPUTS, ids=[path.stem for path in OUTPUTS])
    def test_output_is_what_the_page_shows(self, output: Path) -> None:
        """Running the example prints exactly the output file the page includes."""
        script = script_for(output)
        result = subprocess.run(
            [sys.executable, str(script)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        if os.environ.get("GENSUP_UPDATE_DOCS"):
            output.write_text(result.stdout, encoding="utf-8")
        expected = output.read_text(encoding="utf-8")
        assert DURATION.sub(" in 0.01s", result.stdout) == DURATION.sub(" in 0.01s", expected)

    @pytest.mark.parametrize("script", SCRIPTS, ids=[path.stem for path in SCRIPTS])
    def test_every_example_has_its_output(self, script: Path) -> None:
        """Each docs example has an output file, so what it prints is checked."""
        assert script.with_suffix(".out").exists()

    def test_every_example_file_is_shown(self) -> None:
        """Every script and output under docs/examples/ appears on some page."""
        shown = all_includes()
        files = [path for path in EXAMPLES.iterdir() if path.suffix in {".py", ".out", ".lua"}]
        assert files
        assert [relative(path) for path in files if relative(path) not in shown] == []

    @pytest.mark.parametrize("page", PAGES, ids=[relative(path) for path in PAGES])
    def test_outputs_are_shown_with_their_code(self, page: Path) -> None:
        """A page that shows an example's output also shows the example's code."""
        paths = includes(page)
        for path in paths:
            if path.endswith(".out"):
                assert relative(script_for(ROOT / path)) in paths, path

    @pytest.mark.parametrize("page", PAGES, ids=[relative(path) for path in PAGES])
    def test_included_files_exist(self, page: Path) -> None:
        """Every file a page includes exists."""
        assert [path for path in includes(page) if not (ROOT / path).is_file()] == []


class TestPictures:
    """Tree pictures are drawn by gensup.render from the examples' specs."""

    def test_pages_have_pictures(self) -> None:
        """The home page and the tutorial have tree pictures."""
        pages = {page for page, _, _ in MARKERS}
        assert "docs/index.md" in pages
        assert "docs/tutorial/3-a-child-supervisor.md" in pages

    @pytest.mark.parametrize(("page", "path", "name"), MARKERS)
    def test_marker_draws(self, page: str, path: str, name: str) -> None:
        """Each picture marker names an example spec that renders as a flowchart."""
        source = load_hooks().diagram(ROOT, path, name)
        assert source.startswith("flowchart TD\n")

    def test_marker_becomes_a_mermaid_block(self) -> None:
        """The hook replaces a marker with a mermaid block of render.mermaid's output."""
        hooks = load_hooks()
        config = type("Config", (), {"config_file_path": str(ROOT / "mkdocs.yml")})()
        markdown = "Text.\n\n<!-- tree: docs/examples/home.py SPEC -->\n\nMore text.\n"
        out = hooks.on_page_markdown(markdown, page=None, config=config, files=None)
        spec = hooks.load(EXAMPLES / "home.py").SPEC
        assert out == f"Text.\n\n```mermaid\n{gensup.render.mermaid(spec)}\n```\n\nMore text.\n"


class TestReference:
    """The reference pages cover the public API."""

    def test_every_public_name_is_documented(self) -> None:
        """Every name in gensup.__all__ has a ::: block or a section of its own."""
        text = "\n".join(
            page.read_text(encoding="utf-8") for page in sorted((DOCS / "reference").glob("*.md"))
        )
        blocks = set(REFERENCE.findall(text))
        headings = set(re.findall(r"^## `(\w+)`$", text, flags=re.MULTILINE))
        missing = [
            name
            for name in gensup.__all__
            if f"gensup.{name}" not in blocks and name not in headings
        ]
        assert missing == []


def reference_package() -> Any:
    """gensup as the reference pages see it: loaded by griffe with the docs' extension."""
    extensions = griffe.load_extensions(f"{DOCS / 'griffe_extensions.py'}:GensupReference")
    return griffe.load("gensup", search_paths=[str(ROOT / "src")], extensions=extensions)


class TestReferenceSignatures:
    """What the reference pages show of the public classes names public things only."""

    def test_tree_shows_no_private_base(self) -> None:
        """Tree's engine (a private class) is not shown as its base; public bases still are."""
        package = reference_package()
        assert package["Tree"].bases == []
        assert [str(base) for base in package["InvalidSpecType"].bases] == [
            "InvalidSpec",
            "TypeError",
        ]

    def test_signatures_say_what_may_be_passed(self) -> None:
        """Converted fields show what a user may pass: kwargs may be None, strategy a str."""

        def parameters(name: str) -> dict[str, str]:
            init = reference_package()[name].members["__init__"]
            return {p.name: str(p.annotation) for p in init.parameters if p.name != "self"}

        worker = parameters("Worker")
        assert worker["kwargs"] == "Mapping[str, Any] | None"
        defaults = {
            p.name: p.default for p in reference_package()["Worker"].members["__init__"].parameters
        }
        assert defaults["restart"] == "'permanent'"
        assert defaults["significant"] == "False"
        assert worker["args"] == "Iterable[Any]"
        assert worker["restart"] == "Restart | str"
        supervisor = parameters("Supervisor")
        assert supervisor["children"] == "Iterable[ChildSpec]"
        assert supervisor["strategy"] == "Strategy | str"

    def test_signatures_name_no_private_things(self) -> None:
        """No signature on the reference pages shows a private name (such as ``_RESTART``)."""
        package = reference_package()
        private = re.compile(r"(?<![\w.])_[A-Za-z]\w*")
        names = [f"gensup.{name}" for name in gensup.__all__]
        for module in (gensup.render, gensup.reports, gensup.testing):
            names += [f"{module.__name__}.{name}" for name in module.__all__]
        shown = []
        for path in names:
            obj = package[path.removeprefix("gensup.")]
            if obj.is_alias:
                obj = obj.final_target
            if obj.is_module:
                continue  # its public names are in the list too
            functions = [obj] if obj.is_function else []
            if obj.is_class:
                functions += [
                    member
                    for member_name, member in obj.members.items()
                    if member.is_function and (member_name == "__init__" or member_name[0] != "_")
                ]
            for function in functions:
                for parameter in function.parameters:
                    for text in (str(parameter.annotation), str(parameter.default)):
                        if private.search(text):
                            shown.append(f"{path}.{function.name}({parameter.name}): {text}")
        assert shown == []

    def test_recorder_takes_no_reports(self) -> None:
        """Recorder's signature has no shared-looking default list."""
        recorder = reference_package()["testing"].members["Recorder"]
        init = recorder.members.get("__init__")
        assert init is None or [p.name for p in init.parameters] == ["self"]


class TestSite:
    """What the built site is made of."""

    def test_only_pages_and_their_files(self) -> None:
        """The build's own files (hooks, extensions, ruff settings, examples) stay out."""
        config = load_config(str(ROOT / "mkdocs.yml"))
        included = [f.src_uri for f in get_files(config) if f.inclusion.is_included()]
        assert included
        assert [uri for uri in included if not uri.endswith(".md")] == []

    def test_pages_speak_of_the_project_only(self) -> None:
        """No page cites the tracker's issues: the docs describe gensup as it is."""
        cited = [
            relative(page)
            for page in PAGES
            if re.search(r"\bissues? #?\d+", page.read_text(encoding="utf-8"), re.IGNORECASE)
        ]
        assert cited == []
