"""Who may call the education-aid routes: the domain's typed dependencies.

(rule we set) District admins open rounds, enter the applications the federation hands in and
record the disbursements; admins or the leader review them (approve with an amount, or
reject) — never the person who entered the application, and whoever approved does not record
the payment (four eyes, `app.kit.four_eyes`). The district's readers (admins, the leader,
auditors) read rounds and applications, and so does the women's federation as an agency client
with the `programmes:read` scope: the aid of its own programmes, projected (no ID number) —
a district's federation its own district's rounds, the city's every district's. Every caller
reaches its own district's rounds only (`aid_rounds.district_code`).
Town supervisors, village directors, the institute's staff and the second wave's roles
(protection staff, counsellors, case workers) get nothing here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.principal import DistrictAdmin, Principal, require_roles
from app.auth.roles import DECIDERS, DISTRICT
from app.kit.agency import staff_or
from app.programmes.federation import FEDERATION, is_federation

_aid_reader = staff_or(
    DISTRICT,
    is_federation,
    "仅区级人员或区妇联（programmes:read）可查看教育帮扶",
    "Only the district's staff or the women's federation (programmes:read) read the aid",
    {"allowed_roles": [str(r) for r in DISTRICT], "allowed_agencies": [FEDERATION]},
)

AidReader = Annotated[Principal, Depends(_aid_reader)]
AidAdmin = DistrictAdmin
AidDecider = Annotated[Principal, Depends(require_roles(*DECIDERS))]
