"""The README's promises: its commands come first and its example runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def python_blocks(markdown: str) -> list[str]:
    """The ```python blocks of a Markdown text, in order."""
    return re.findall(r"```python\n(.*?)```", markdown, flags=re.DOTALL)


class TestReadme:
    """The README a newcomer reads first."""

    def test_starts_with_the_two_commands(self) -> None:
        """The first code block holds `make demo` then `make test`, as the guide requires."""
        first = re.search(r"```\w*\n(.*?)```", README, flags=re.DOTALL)
        assert first is not None
        commands = [line.split("#")[0].strip() for line in first.group(1).splitlines()]
        assert commands == ["make demo", "make test"]

    def test_python_example_runs(self, capsys: object) -> None:
        """The README's example runs and prints the final tree with the pool's workers."""
        (block,) = python_blocks(README)
        namespace: dict[str, object] = {"__name__": "readme_example"}
        exec(compile(block, "README.md", "exec"), namespace)
        out = capsys.readouterr().out  # type: ignore[attr-defined]
        assert "root" in out
        assert "a [worker, permanent] running #1 waits for 'PING'" in out
        assert namespace["j"] == 13

    def test_ci_runs_the_readme_test_command(self) -> None:
        """.ci/run runs `make test`, the README's test command, and nothing weaker."""
        script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
        assert re.search(r"^exec make test$", script, flags=re.MULTILINE)
