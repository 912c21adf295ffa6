"""补贴规则: the subsidy rules as pure functions on Decimal — no database, no HTTP.

Each rule takes facts and a ParameterSet and returns a RuleResult: the `amount` (Decimal, exact
to the fen) and a JSON-serialisable `trace` answering "why this amount" (inputs, eligibility
checks, each parameter with its value, effective date and source, intermediate results, and an
explanation in Chinese and English). Bad input raises RuleInputError naming the field.
"""

from app.subsidies.rules.allowance import living_allowance
from app.subsidies.rules.common import (
    STATUSES,
    ChildFacts,
    RuleInputError,
    RuleResult,
    Status,
    YearMonth,
)
from app.subsidies.rules.grants import OCCASIONS, Occasion, education_grant, holiday_condolence
from app.subsidies.rules.medical import MEDICAL_KINDS, MedicalKind, medical_reimbursement

__all__ = [
    "MEDICAL_KINDS",
    "OCCASIONS",
    "STATUSES",
    "ChildFacts",
    "MedicalKind",
    "Occasion",
    "RuleInputError",
    "RuleResult",
    "Status",
    "YearMonth",
    "education_grant",
    "holiday_condolence",
    "living_allowance",
    "medical_reimbursement",
]
