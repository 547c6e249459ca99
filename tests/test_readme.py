"""The README's Python code blocks run as written (from a folder of their own, beside the examples)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"^( *)```python\n(.*?)^\1```", re.M | re.S)


def _blocks() -> list[tuple[int, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    out = []
    for m in BLOCK.finditer(text):
        indent = len(m.group(1))
        code = "\n".join(line[indent:] for line in m.group(2).splitlines())
        out.append((text[: m.start()].count("\n") + 1, code))
    return out


BLOCKS = _blocks()


def test_the_readme_has_python_blocks():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("line, code", BLOCKS, ids=[f"README.md:{line}" for line, _ in BLOCKS])
def test_readme_block_runs(line, code, tmp_path):
    missing = [m for m in re.findall(r"^\s*(?:from|import) (\w+)", code, re.M)
               if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"README.md:{line} needs {', '.join(missing)}, not installed here")
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"README.md:{line} failed:\n{done.stderr[-3000:]}"
