"""Figures shared by the domains' reports and the dashboard."""

from __future__ import annotations


def ratio(part: int, whole: int) -> float | None:
    """`part / whole` rounded to four places (探访覆盖率 and the like); None when `whole` is 0."""
    return None if whole == 0 else round(part / whole, 4)
