"""Section providers, one module per domain.

Each module registers its section with `@section(...)` at import. A module that needs a domain's
tables takes them from the ORM metadata with `model_table(name, *columns)`, which raises
`MissingModel` (an ImportError) when that domain's models are not in `app.models` yet — the
branch not merged. `load_all` swallows exactly that error, so the section is simply absent
until the domain lands, and appears by itself once it has (no change here). Reading the tables
from the metadata (not `from app.models import Visit`) keeps this package type-checked and
importable before the other domains exist.
"""

from __future__ import annotations

import importlib
import logging

from sqlalchemy import Table

log = logging.getLogger("app.dashboard")

PROVIDER_MODULES: list[str] = [
    "app.dashboard.providers.areas",
    "app.dashboard.providers.children",
    "app.dashboard.providers.visits",
    "app.dashboard.providers.incidents",
    "app.dashboard.providers.discovery",
    "app.dashboard.providers.screening",
    "app.dashboard.providers.subsidies",
    "app.dashboard.providers.standards",
]

# module → why it is not loaded (a domain's model missing)
MISSING: dict[str, str] = {}
_loaded = False


class MissingModel(ImportError):
    """A domain's table (or one of its columns) is not among the ORM models yet."""


def model_table(name: str, *columns: str) -> Table:
    """The ORM table `name` with at least `columns`, or MissingModel."""
    import app.models  # noqa: F401 - registers every model on Base.metadata
    from app.db import Base

    table = Base.metadata.tables.get(name)
    if table is None:
        raise MissingModel(f"no model for table {name}")
    absent = [c for c in columns if c not in table.c]
    if absent:
        raise MissingModel(f"table {name} lacks columns {', '.join(absent)}")
    return table


def load_all() -> None:
    """Import every provider module once; those whose domain is missing are skipped."""
    global _loaded
    if _loaded:
        return
    for module in PROVIDER_MODULES:
        try:
            importlib.import_module(module)
        except MissingModel as exc:
            MISSING[module] = str(exc)
            log.info("dashboard section not available: %s (%s)", module, exc)
    _loaded = True
