"""Errors of the case-work domain."""

from __future__ import annotations

from app.errors import Conflict, NotFound


class CaseNotFound(NotFound):
    code = "case_not_found"
    title_zh = "个案不存在"
    title_en = "Case not found"


class AgencyNotFound(NotFound):
    code = "casework_agency_not_found"
    title_zh = "签约机构不存在"
    title_en = "Casework agency not found"


class CaseStateRefused(Conflict):
    """409: the case is not in a state that allows this step (a closed case, a plan before the
    assessment, ...); `status` and `allowed` name where it stands and what it allows."""

    code = "case_state_refused"
    title_zh = "个案当前状态不允许此操作"
    title_en = "The case's status does not allow this"


class OpenCaseExists(Conflict):
    code = "open_case_exists"
    title_zh = "该儿童已有未结案的个案"
    title_en = "The child already has an open case"
