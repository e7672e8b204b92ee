"""docs/guide.md: its Python blocks run one after the other and their assertions hold."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "guide.md"


def test_guide_blocks_run_in_order() -> None:
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 7
    namespace: dict[str, object] = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for n, code in enumerate(blocks, 1):
            exec(compile(code, f"docs/guide.md (block {n})", "exec"), namespace)
    text = out.getvalue()
    assert "status      OPTIMAL" in text and "orders      4 served of 4" in text
    assert "reliability" in text  # the menu summary reports the reliability level
