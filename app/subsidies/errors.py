"""The subsidy domain's errors (stable codes)."""

from __future__ import annotations

from app.errors import Conflict


class PayrollExists(Conflict):
    code = "payroll_exists"
    title_zh = "该月份的发放批次已存在"
    title_en = "A payroll for this month already exists"


class PayrollNotDraft(Conflict):
    code = "payroll_not_draft"
    title_zh = "发放批次已审批，不能再修改"
    title_en = "The payroll is approved and can no longer change"


class EarlierDraftPending(Conflict):
    code = "earlier_payroll_draft"
    title_zh = "须先审批更早月份的发放批次"
    title_en = "An earlier month's payroll is still a draft"


class MonthAlreadyPaid(Conflict):
    code = "month_already_paid"
    title_zh = "该生效月份已发放，须声明追溯调整"
    title_en = "That month is already paid; ask for a retroactive value"


class StandardExists(Conflict):
    code = "standard_exists"
    title_zh = "该参数在此生效日期已有取值"
    title_en = "The parameter already has a value from that date"


class RunExists(Conflict):
    code = "run_exists"
    title_zh = "该期次的发放已存在"
    title_en = "This run already exists"


class BudgetExists(Conflict):
    code = "budget_exists"
    title_zh = "该年度预算已存在"
    title_en = "The year's budget already exists"


class WrongState(Conflict):
    code = "wrong_state"
    title_zh = "当前状态不允许此操作"
    title_en = "Not allowed in the current state"


class AlreadyPaid(Conflict):
    code = "already_paid"
    title_zh = "已经支付，不能重复支付"
    title_en = "Already paid; it cannot be paid twice"
