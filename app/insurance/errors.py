"""Errors of the insurance enrolment."""

from __future__ import annotations

from app.errors import Conflict, NotFound


class EnrolmentNotFound(NotFound):
    code = "insurance_enrolment_not_found"
    title_zh = "参保记录不存在或不在您的辖区内"
    title_en = "No such insurance enrolment in your jurisdiction"


class EnrolmentExists(Conflict):
    code = "insurance_enrolment_exists"
    title_zh = "该儿童本年度已有该险种的参保记录"
    title_en = "The child already has an enrolment in this scheme for this year"


class SchemeMissing(Conflict):
    code = "insurance_scheme_missing"
    title_zh = "该险种本年度的参数尚未设定"
    title_en = "The scheme's parameters for this year are not set"


class SchemeExists(Conflict):
    code = "insurance_scheme_exists"
    title_zh = "该险种该年度在该生效日期的参数已存在"
    title_en = "The scheme's parameters from this date exist already"


class EnrolmentTransitionRefused(Conflict):
    code = "insurance_transition_refused"
    title_zh = "不允许的参保状态变更"
    title_en = "Enrolment status change refused"
