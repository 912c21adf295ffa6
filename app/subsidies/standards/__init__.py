"""补贴标准: the effective-dated standards, their values and their two-yearly review."""

# The subsidies migration (2026-11-29-0330) seeds the standards with `seed_rows` from here.
from app.subsidies.standards.values import seed_rows

__all__ = ["seed_rows"]
