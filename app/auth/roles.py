"""The staff roles, and the groups of them that the routers admit.

`Role` is a StrEnum: `Role.DISTRICT_ADMIN == "district_admin"`, so a role compares and stores as
the string the database and the tokens hold. Guard a route with the enum, never a bare string:

    Deciders = Annotated[Principal, Depends(require_roles(*DECIDERS))]
    Admin = Annotated[Principal, Depends(require_roles(Role.DISTRICT_ADMIN))]

A group lists its roles in the order the 403 body's `allowed_roles` names them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, Literal


class Role(StrEnum):
    DISTRICT_ADMIN = "district_admin"  # 区民政局业务科室: runs the ledger, writes everything
    DISTRICT_LEADER = "district_leader"  # 局领导: approves (payroll, placements), reads all
    INSTITUTION_STAFF = "institution_staff"  # 儿童福利机构 staff: the children in its care
    TOWN_SUPERVISOR = "town_supervisor"  # 乡镇（街道）儿童督导员: one town
    VILLAGE_DIRECTOR = "village_director"  # 村（居）儿童主任: one village
    AUDITOR = "auditor"  # 审计: reads all, writes nothing
    # The second wave: each sees only what its own domain grants it (its own jurisdiction
    # clause); `area_clause` gives them no area at all.
    PROTECTION_STAFF = "protection_staff"  # 未成年人社会保护中心 staff: the centre's intakes
    COUNSELLOR = "counsellor"  # 签约心理咨询师: the institute's residents' counselling
    CASE_WORKER = "case_worker"  # 签约社工 (精准帮扶): the children of their own cases
    # The city above the districts (one deployment for a whole city, CITY_CODE): the municipal
    # bureau. They see aggregates of every district; personal records only when the setting
    # CITY_RECORD_ROLES names their role (`Principal.city_records`).
    CITY_ADMIN = "city_admin"  # 市民政局: districts' accounts, city-wide parameters
    CITY_VIEWER = "city_viewer"  # 市级查看: aggregates of every district


# The same values as a type for request and response schemas (an inline enum in OpenAPI).
RoleName = Literal[
    "district_admin",
    "district_leader",
    "institution_staff",
    "town_supervisor",
    "village_director",
    "auditor",
    "protection_staff",
    "counsellor",
    "case_worker",
    "city_admin",
    "city_viewer",
]

ALL_STAFF: Final = tuple(Role)
"""Every staff role (agency clients are not staff)."""

AREA_ROLES: Final = (
    Role.DISTRICT_ADMIN,
    Role.DISTRICT_LEADER,
    Role.INSTITUTION_STAFF,
    Role.TOWN_SUPERVISOR,
    Role.VILLAGE_DIRECTOR,
    Role.AUDITOR,
)
"""The roles whose reach is an area of the district (the ledger's roles). The contracted and
centre roles (protection staff, counsellors, case workers) are not among them: they reach only
what their own domain's clause grants, never an area."""

CONTRACTED: Final = (Role.COUNSELLOR, Role.CASE_WORKER)
"""Contracted professionals (counsellors, social workers): the art. 62 record check applies."""

DISTRICT: Final = (Role.DISTRICT_ADMIN, Role.DISTRICT_LEADER, Role.AUDITOR)
"""The district's own offices: they see the whole district."""

DISTRICT_AND_INSTITUTE: Final = (*DISTRICT, Role.INSTITUTION_STAFF)
"""The district and the welfare institute (subsidies, children, placements: readers)."""

DISTRICT_AND_TOWNS: Final = (*DISTRICT, Role.TOWN_SUPERVISOR)
"""The district and the town supervisors (visit supervision, the dashboard)."""

FIELD_WORKERS: Final = (
    Role.DISTRICT_ADMIN,
    Role.INSTITUTION_STAFF,
    Role.TOWN_SUPERVISOR,
    Role.VILLAGE_DIRECTOR,
)
"""Who visits children and edits them from a phone (visits, sync)."""

DECIDERS: Final = (Role.DISTRICT_ADMIN, Role.DISTRICT_LEADER)
"""Who decides (incidents, medical claims)."""

CASE_WRITERS: Final = (Role.DISTRICT_ADMIN, Role.INSTITUTION_STAFF)
"""Who creates children and files claims; who may see a full ID number."""

AUDIT_READERS: Final = (Role.AUDITOR, Role.DISTRICT_ADMIN)
"""Who reads the audit log and the webhook deliveries."""

AREA_OFFICERS: Final = (Role.DISTRICT_ADMIN, Role.TOWN_SUPERVISOR)
"""The district and the towns' supervisors: follow-ups, screening uploads."""

CITY: Final = (Role.CITY_ADMIN, Role.CITY_VIEWER)
"""The city's offices: every district's aggregates (records only with CITY_RECORD_ROLES)."""

CITY_ROLES: Final = frozenset(CITY)
"""As a set, for `principal.role in CITY_ROLES`."""

DISTRICT_ROLES: Final = frozenset(DISTRICT)
"""As a set, for `principal.role in DISTRICT_ROLES`."""
