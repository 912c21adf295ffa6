"""Who may call the active-discovery routes: district admins import the household lists and
decide the candidates (`DistrictAdmin`); every staff role but the institute's reads the
candidates of its jurisdiction (`CANDIDATE_READERS`, checked by the service)."""

from __future__ import annotations

from typing import Final

from app.auth.principal import DistrictAdmin, Principal
from app.auth.roles import ALL_STAFF, Role
from app.errors import Forbidden

CANDIDATE_READERS: Final = tuple(r for r in ALL_STAFF if r != Role.INSTITUTION_STAFF)
"""The institute's staff care for the children placed there; candidates live in villages."""


def require_candidate_reader(principal: Principal) -> None:
    if not principal.has_role(*CANDIDATE_READERS):
        raise Forbidden("无权查看主动发现名单", "You may not read discovery candidates")


__all__ = ["CANDIDATE_READERS", "DistrictAdmin", "require_candidate_reader"]
