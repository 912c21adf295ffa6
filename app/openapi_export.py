"""Write or check `openapi/openapi.json`, the committed contract generated from the code."""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from typing import Any

from app.config import Settings
from app.main import create_app
from app.migrate import ROOT

TARGET = ROOT / "openapi" / "openapi.json"


def generate() -> dict[str, Any]:
    # The document depends on the code only: fixed, non-secret settings, no database.
    settings = Settings(app_env="development", database_url="postgresql+asyncpg://openapi@/none")
    return create_app(settings).openapi()


def render(spec: dict[str, Any]) -> str:
    return json.dumps(spec, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.openapi_export")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    text = render(generate())
    if args.write:
        TARGET.parent.mkdir(parents=True, exist_ok=True)
        TARGET.write_text(text, encoding="utf-8")
        print(f"wrote {TARGET.relative_to(ROOT)}")
        return 0
    current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
    if current == text:
        print("openapi/openapi.json matches the code")
        return 0
    diff = difflib.unified_diff(
        current.splitlines(), text.splitlines(), "committed", "generated", lineterm="", n=2
    )
    print("openapi/openapi.json differs from the code (run `make openapi`):")
    for i, line in enumerate(diff):
        if i > 80:
            print("…")
            break
        print(line)
    return 1


if __name__ == "__main__":
    sys.exit(main())
