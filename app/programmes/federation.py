"""The women's federation 妇联 as a reader of the programmes it runs with the bureau (caring
mothers, education aid): its agency client holding the `programmes:read` scope."""

from __future__ import annotations

from typing import Final

from app.kit.agency import agency_client

FEDERATION: Final = "women_federation"
PROGRAMMES_READ: Final = "programmes:read"

is_federation = agency_client(FEDERATION, PROGRAMMES_READ)
"""The women's federation's client, holding the `programmes:read` scope."""
