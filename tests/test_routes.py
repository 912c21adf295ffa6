"""Routers may be included in any order: no path of one is matched by another's route."""

from __future__ import annotations

import inspect
import re
import uuid

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import Match

from app.main import _routers


def _example(path: str) -> str:
    """A concrete path for a route's template: ids as UUIDs, other parameters as area codes."""

    def value(m: re.Match[str]) -> str:
        name = m.group(1)
        return str(uuid.uuid4()) if "uuid" in name or name.endswith("id") else "110115001"

    return re.sub(r"\{([^}]+)\}", value, path)


def test_no_route_of_one_router_answers_a_path_of_another() -> None:
    routers = _routers()
    routes = [(i, route) for i, router in enumerate(routers) for route in router.routes]
    assert len(routes) > 50
    overlaps = []
    for i, route in routes:
        for method in sorted(getattr(route, "methods", None) or {"GET"}):
            scope = {"type": "http", "path": _example(route.path), "method": method}
            if isinstance(route, APIRoute):  # the check is live: a route matches its own path
                assert route.matches(scope)[0] == Match.FULL, route.path
            for j, other in routes:
                if j != i and other.matches(scope)[0] != Match.NONE:
                    overlaps.append(f"{method} {route.path} ~ {other.path}")
    assert overlaps == []


def test_the_documentation_lists_every_tag_in_reading_order() -> None:
    from app.main import DOC_TAGS, create_app
    from tests.conftest import make_settings

    spec = create_app(make_settings("postgresql+asyncpg://u@localhost/x")).openapi()
    used = {tag for ops in spec["paths"].values() for op in ops.values() for tag in op["tags"]}
    assert [t["name"] for t in spec["tags"]] == list(DOC_TAGS)
    assert used <= set(DOC_TAGS)


def _sync_dependencies(dependant: Dependant) -> list[str]:
    found = []
    for dep in dependant.dependencies:
        call = dep.call
        if call is not None and not (
            inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call)
        ):
            found.append(f"{call.__module__}.{call.__qualname__}")
        found += _sync_dependencies(dep)
    return found


def test_no_route_hands_a_dependency_to_a_thread() -> None:
    """FastAPI runs a plain `def` dependency in a worker thread: a hand-off on every request."""
    found = {
        name
        for router in _routers()
        for route in router.routes
        if isinstance(route, APIRoute)
        for name in _sync_dependencies(route.dependant)
    }
    assert found == set()


def test_operation_ids_are_unique() -> None:
    """A client generator names a method after its operation id: two alike would clash."""
    import collections
    import warnings

    from app.main import create_app
    from tests.conftest import make_settings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = create_app(make_settings("postgresql+asyncpg://u@localhost/x")).openapi()
    ids = collections.Counter(
        op["operationId"] for ops in spec["paths"].values() for op in ops.values()
    )
    assert [name for name, n in ids.items() if n > 1] == []
