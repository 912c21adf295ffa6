"""How the domains are connected to one another, in one place, called by `create_app`.

A domain that reacts to another's event registers here, explicitly, instead of by the side
effect of an import. Idempotent: tests create many apps in one process.
"""

from __future__ import annotations


def wire() -> None:
    # A visit with suspected infringement opens a draft mandatory report (incidents).
    from app.incidents.visit_link import open_draft_for_visit
    from app.visits import hooks

    hooks.register(open_draft_for_visit)
