"""Errors of the incidents domain."""

from __future__ import annotations

from app.errors import Conflict, NotFound


class IncidentNotFound(NotFound):
    code = "incident_not_found"
    title_zh = "强制报告不存在"
    title_en = "Incident not found"


class ReferralNotFound(NotFound):
    code = "referral_not_found"
    title_zh = "转介不存在"
    title_en = "Referral not found"


class TransitionRefused(Conflict):
    code = "transition_refused"
    title_zh = "不允许的状态变更"
    title_en = "Status change refused"


class DuplicateReferral(Conflict):
    code = "duplicate_referral"
    title_zh = "已转介至该部门"
    title_en = "Already referred to this agency"
