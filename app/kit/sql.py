"""Statements SQLAlchemy's caches can keep: `INSERT … ON CONFLICT … DO NOTHING`, and
statements built once per caller (`PerKey`).

SQLAlchemy 2.0 never caches a statement built with `sqlalchemy.dialects.postgresql.insert`
(its `Insert` sets `inherit_cache = False`, because the ON CONFLICT clauses carry no cache
key), so each execution compiles the SQL again: about 0.7 ms of CPU on the hot paths that use
it (every idempotent create, every queued job with a dedupe key, each visit batch). This is the
standard `Insert` with the conflict clause as fixed SQL text in its cache key.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import Table, text
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.visitors import InternalTraversal

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def table_of(model: type[Any]) -> Table:
    """A mapped class's table, for Core statements that skip the ORM's per-row machinery."""
    return cast(Table, model.__table__)


class InsertIgnoringConflicts(Insert):
    """An INSERT whose `_post_values_clause` (ON CONFLICT …) is part of its cache key."""

    _traverse_internals = [  # noqa: RUF012 (SQLAlchemy's own declaration style)
        *Insert._traverse_internals,
        ("_post_values_clause", InternalTraversal.dp_clauseelement),
    ]


def insert_ignoring_conflicts(
    table: Table | type[Any], *index_elements: str
) -> InsertIgnoringConflicts:
    """`INSERT INTO table … ON CONFLICT [(cols)] DO NOTHING`; chain `.values()`/`.returning()`.

    `table` is a Table or a mapped class (its table is used: the statement runs as Core, not
    through the ORM's bulk-insert path). `index_elements` are column names, quoted here.
    """
    target = table if isinstance(table, Table) else table_of(table)
    stmt = InsertIgnoringConflicts(target)
    if index_elements:
        for name in index_elements:
            target.c[name]
        cols = ", ".join(f'"{name}"' for name in index_elements)
        clause = f"ON CONFLICT ({cols}) DO NOTHING"
    else:
        clause = "ON CONFLICT DO NOTHING"
    stmt._post_values_clause = text(clause)
    return stmt


class PerKey(Generic[K, V]):
    """A statement built once per key (a principal, a role…) and then reused, for hot reads.

    Building a SELECT with its jurisdiction clause costs more CPU than running it: the
    operators, the coercions, and then SQLAlchemy's cache key, computed again for every new
    statement object (a child read spent about 15 % of its CPU there). A statement built once
    with `bindparam`s for its per-request values keeps its memoised cache key; statements are
    immutable, so one object serves every request. `build` must depend on the key alone (a
    `Principal` is a frozen dataclass: a changed role or area is another key). Bounded: past
    `max_entries` keys everything is rebuilt (a process sees a few hundred callers).
    """

    def __init__(self, build: Callable[[K], V], max_entries: int = 4096) -> None:
        self.build = build
        self.max_entries = max_entries
        self._built: dict[K, V] = {}

    def __call__(self, key: K) -> V:
        try:
            return self._built[key]
        except KeyError:
            pass
        value = self.build(key)
        if len(self._built) >= self.max_entries:
            self._built.clear()
        self._built[key] = value
        return value
