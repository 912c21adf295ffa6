"""User text written to a spreadsheet stays text: formula (CSV) injection neutralised.

A child named `=HYPERLINK("http://x","y")` became a live formula in the ledger export (issue
20): openpyxl writes a string starting with `=` as a formula, and Excel or WPS evaluate a CSV
cell starting with `=`, `+`, `-` or `@` as one (a tab or carriage return first can lead to
the same). OWASP's rule: such a text is prefixed with a single quote `'`, which the
spreadsheet then shows as text. Every writer of xlsx and CSV passes its cells through here:

- `safe_cell(value)`: a `str` neutralised; numbers (`int`, `Decimal`, `float`), dates and None
  unchanged, so negative amounts stay numbers;
- `safe_row(values)`: the same for a row (openpyxl's `append`, `csv.writer.writerow`);
- `csv_field(value)`: one CSV field, neutralised and quoted as RFC 4180 wants.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, TypeVar

FORMULA_TRIGGERS: Final = ("=", "+", "-", "@", "\t", "\r")

_T = TypeVar("_T")


def safe_text(value: str) -> str:
    """`value`, or `'` + `value` when a spreadsheet could take it for a formula."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def safe_cell(value: _T) -> _T | str:
    """A cell for an xlsx or CSV writer: text neutralised, anything else as it is."""
    if isinstance(value, str):
        return safe_text(value)
    return value


def safe_row(values: Iterable[_T]) -> list[_T | str]:
    return [safe_cell(v) for v in values]


def csv_field(value: object) -> str:
    """One CSV field: `None` empty, text neutralised, quoted when it holds `,` `"` or a line break."""
    text = "" if value is None else safe_text(value) if isinstance(value, str) else str(value)
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text
