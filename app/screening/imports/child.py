"""`python -m app.screening.imports.child`: the child process of a large import (see `producer`).

Reads a pickled PrepareContext on stdin, writes length-prefixed pickled frames on stdout:
("chunk", PreparedChunk)…, then ("done", None), ("not_a_table", message) or ("error", text).
"""

from __future__ import annotations

import pickle
import struct
import sys
from typing import Any, Final

from app.screening.imports.prepare import PrepareContext, prepare_chunks
from app.screening.imports.table import NotATableError

# Each frame: its length (8 bytes, big-endian), then the pickled (kind, value). Defined here,
# not in `producer`, so that the child does not import asyncio and the rest of the service.
FRAME: Final = struct.Struct("!Q")


def _frame(item: tuple[str, Any]) -> bytes:
    body = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
    return FRAME.pack(len(body)) + body


def main() -> int:
    ctx = pickle.loads(sys.stdin.buffer.read())  # noqa: S301 - written by our own parent
    if not isinstance(ctx, PrepareContext):
        return 2
    out = sys.stdout.buffer
    try:
        for chunk in prepare_chunks(ctx):
            out.write(_frame(("chunk", chunk)))
            out.flush()
        out.write(_frame(("done", None)))
    except NotATableError as exc:
        out.write(_frame(("not_a_table", str(exc))))
    except Exception as exc:  # reported to the parent, which fails the attempt
        out.write(_frame(("error", f"{type(exc).__name__}: {exc}")))
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
