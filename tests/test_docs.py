"""The docs site: its examples run and print what the pages show, its pictures draw.

Every ``docs/examples/NAME.out`` is the output that a page shows under the
code of ``docs/examples/NAME.py`` (or ``examples/NAME.py``), or under the
commands of ``docs/examples/NAME.sh`` (run by ``sh`` from the repository's
root, ``python`` being the interpreter that runs the tests); the test runs the
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
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
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
    """The script whose output ``output`` is: commands or Python in docs/examples/,
    else Python in examples/."""
    for suffix in (".sh", ".py"):
        script = output.with_suffix(suffix)
        if script.exists():
            return script
    return ROOT / "examples" / output.with_suffix(".py").name


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
SCRIPTS = sorted([*EXAMPLES.glob("*.py"), *EXAMPLES.glob("*.sh")])
# (page, example file, name) for each tree picture marker.
MARKERS = [
    (relative(page), match["path"], match["name"])
    for page in PAGES
    for match in load_hooks().MARKER.finditer(page.read_text(encoding="utf-8"))
]


class TestExamples:
    """The code in the docs, and the output shown under it."""

    @pytest.mark.parametrize("output", OUTPUTS, ids=[path.stem for path in OUTPUTS])
    def test_output_is_what_the_page_shows(self, output: Path, tmp_path: Path) -> None:
        """Running the example prints exactly the output file the page includes."""
        script = script_for(output)
        # Commands say `python`: the interpreter of this test run, whatever it is called.
        python = tmp_path / "python"
        python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
        python.chmod(0o755)
        command = (
            ["sh", "-e", str(script)] if script.suffix == ".sh" else [sys.executable, str(script)]
        )
        result = subprocess.run(
            command,
            cwd=ROOT,
            env={**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}"},
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
        files = [
            path for path in EXAMPLES.iterdir() if path.suffix in {".py", ".sh", ".out", ".lua"}
        ]
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
    """Tree pictures are drawn by gensup.render.svg from the examples' specs, into the page."""

    def test_pages_have_pictures(self) -> None:
        """The home page and the tutorial have tree pictures."""
        pages = {page for page, _, _ in MARKERS}
        assert "docs/index.md" in pages
        assert "docs/tutorial/3-a-child-supervisor.md" in pages

    @pytest.mark.parametrize(("page", "path", "name"), MARKERS)
    def test_marker_draws(self, page: str, path: str, name: str) -> None:
        """Each picture marker names an example spec, or a function, that draws as SVG."""
        svg = load_hooks().picture(ROOT, path, name)
        assert ET.fromstring(svg).tag == "{http://www.w3.org/2000/svg}svg"

    def test_marker_becomes_an_inline_svg(self) -> None:
        """The hook replaces a marker with render.svg's picture of the spec, in a figure."""
        hooks = load_hooks()
        config = type("Config", (), {"config_file_path": str(ROOT / "mkdocs.yml")})()
        markdown = "Text.\n\n<!-- tree: docs/examples/home.py SPEC -->\n\nMore text.\n"
        out = hooks.on_page_markdown(markdown, page=None, config=config, files=None)
        spec = hooks.load(EXAMPLES / "home.py").SPEC
        assert out == (
            "Text.\n\n"
            f'<figure class="gensup-tree">\n{gensup.render.svg(spec)}\n</figure>'
            "\n\nMore text.\n"
        )

    def test_running_tree_pictures_pass_through(self) -> None:
        """A function may return the picture of a running tree, which the hook keeps as is."""
        hooks = load_hooks()
        svg = hooks.picture(ROOT, "docs/examples/howto_observe.py", "snapshot")
        assert 'class="gensup-node gensup-worker gensup-running"' in svg

    def test_anything_else_fails_the_build(self) -> None:
        """A marker naming something that is not a spec or a picture is an error."""
        with pytest.raises(TypeError, match="fragile is neither a Supervisor spec nor an SVG"):
            load_hooks().picture(ROOT, "docs/examples/howto_observe.py", "fragile")

    @pytest.mark.parametrize("page", [relative(page) for page in PAGES])
    def test_no_page_needs_a_script_to_draw(
        self, page: str, site_markdown: Callable[[str], str]
    ) -> None:
        """No page leaves a mermaid block for a script fetched from the network
        to draw: pictures are inline SVG or text, and show offline."""
        html = site_markdown((ROOT / page).read_text(encoding="utf-8"))
        assert 'class="mermaid"' not in html

    @pytest.mark.parametrize("page", sorted({page for page, _, _ in MARKERS}))
    def test_pages_show_svg_where_markers_were(
        self, page: str, site_markdown: Callable[[str], str]
    ) -> None:
        """Through the site's own Markdown set-up, each marker becomes an SVG element in
        the HTML (not escaped, not in a paragraph), and no mermaid block is left."""
        source = (ROOT / page).read_text(encoding="utf-8")
        html = site_markdown(source)
        figures = re.findall(
            r'<figure class="gensup-tree">\n(<svg .*?</svg>)\n</figure>', html, re.S
        )
        assert len(figures) == len(load_hooks().MARKER.findall(source)) > 0
        for figure in figures:
            ET.fromstring(figure)
        assert 'class="mermaid"' not in html
        assert "<!-- tree:" not in html
        assert "&lt;svg" not in html
        assert "<p><svg" not in html


@pytest.fixture(scope="module")
def site_markdown() -> Iterator[Callable[[str], str]]:
    """Turn a page's Markdown into HTML as the site build does: the hook, then
    Python-Markdown with the extensions and options of mkdocs.yml."""
    import markdown
    from mkdocs.config import load_config

    hooks = load_hooks()
    cwd = os.getcwd()
    os.chdir(ROOT)  # snippets are included from paths relative to the root
    try:
        config = load_config(str(ROOT / "mkdocs.yml"))

        def convert(source: str) -> str:
            page = hooks.on_page_markdown(source, page=None, config=config, files=None)
            md = markdown.Markdown(
                extensions=config.markdown_extensions, extension_configs=config.mdx_configs
            )
            return md.convert(page)

        yield convert
    finally:
        os.chdir(cwd)


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
