"""Issue 21: no function in app/ is over 80 lines; a longer one is split into named steps."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
LIMIT = 80


def test_no_function_in_app_is_over_80_lines() -> None:
    long = []
    for path in sorted(APP.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > LIMIT:
                    long.append(f"{path.relative_to(APP)}::{node.name} ({lines} lines)")
    assert long == []
