"""The README's Python example runs and says what its comments say."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs() -> None:
    code = re.search(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert code is not None
    assert len(code.group(1).strip().splitlines()) <= 12
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code.group(1), "README.md", "exec"), {})
    text = out.getvalue()
    assert "status      OPTIMAL" in text
    assert "task t1: 1 of 2 places unfilled" in text
    assert "skill: 1 volunteer lacks a required skill level" in text
