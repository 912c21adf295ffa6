"""Errors of the charity project funds."""

from __future__ import annotations

from app.errors import Conflict, NotFound


class ApplicationNotFound(NotFound):
    code = "charity_application_not_found"
    title_zh = "慈善项目申请不存在或不在您的范围内"
    title_en = "No such charity project application within your reach"


class CharityTransitionRefused(Conflict):
    code = "charity_transition_refused"
    title_zh = "不允许的状态变更"
    title_en = "Status change refused"


class OverApprovedAmount(Conflict):
    code = "over_approved_amount"
    title_zh = "拨付金额超过批准金额"
    title_en = "More than the approved amount"


class ReportBeforeDisbursement(Conflict):
    code = "report_before_disbursement"
    title_zh = "尚未拨付资金，不能提交结项报告"
    title_en = "No funds disbursed yet: no final report"


class CharityIdConflict(Conflict):
    code = "charity_id_conflict"
    title_zh = "该编号已被使用"
    title_en = "This id is already used"
