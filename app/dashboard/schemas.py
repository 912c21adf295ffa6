"""The summary's response: one object per section; a section is absent when its domain is."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from app.kit.types import Timestamp


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AreaRef(_Out):
    code: str
    name: str
    level: str


class AreasSection(_Out):
    """区划与工作队伍."""

    towns: int
    villages: int
    villages_without_director: int
    town_supervisors: int
    village_directors: int


class CategoryPlacementCount(_Out):
    category: str
    placement: str
    count: int


class ChildrenSection(_Out):
    """困境儿童: standing on `as_of`; the month's additions and revocations."""

    as_of: str
    total: int
    by_category: dict[str, int]
    by_placement: dict[str, int]
    by_category_and_placement: list[CategoryPlacementCount]
    additions: int
    revocations: int


class TownCoverage(_Out):
    code: str
    name: str
    due: int
    visited: int
    ratio: float | None


class VillageBehind(_Out):
    code: str
    name: str
    town_code: str | None
    due: int
    visited: int
    not_visited: int
    ratio: float | None


class ChildLink(_Out):
    child_id: str
    name: str
    village_code: str | None
    village_name: str | None


class VisitsSection(_Out):
    """探访覆盖率 of the month: due, visited, ratio; by town; villages behind; not yet visited."""

    month: str
    due: int
    visited: int
    ratio: float | None
    towns: list[TownCoverage]
    villages: list[TownCoverage] = Field(
        default_factory=list, description="Every village of the scope with children due"
    )
    villages_behind_count: int
    villages_behind: list[VillageBehind]
    not_visited_count: int
    not_visited: list[ChildLink]
    computed_at: str | None = None


class OverdueFollowUp(_Out):
    id: str
    child_id: str
    child_name: str
    kind: str
    status: str
    due_on: str
    days_overdue: int
    town_code: str | None


class FollowUpsSection(_Out):
    """困难跟进: open and overdue (still open after the due date)."""

    open: int
    overdue: int
    overdue_items: list[OverdueFollowUp]


class BoardIncident(_Out):
    id: str
    status: str
    situations: list[str] = Field(description="Codes of the 2020 opinion's situations.")
    kinds: list[str]
    urgent: bool
    immediate_danger: bool
    reported_at: str | None
    age_hours: float | None
    escalated: bool
    area_code: str | None
    area_name: str | None
    unacknowledged_referrals: int


class IncidentsSection(_Out):
    """强制报告: by status, unacknowledged referrals, escalations, oldest open; the board."""

    by_status: dict[str, int]
    by_situation: dict[str, int] = Field(
        description="Reports (not drafts) naming each of the nine situations of the 2020 "
        "opinion; a report naming two counts under both."
    )
    open: int
    unacknowledged_referrals: int
    unacknowledged_by_agency: dict[str, int]
    escalated_referrals: int
    escalated_incidents: int
    oldest_open_reported_at: str | None
    oldest_open_age_hours: float | None
    board: list[BoardIncident]


class ProtectionSection(_Out):
    """未成年人社会保护中心 (district only): residents now by kind, the month's admissions and
    discharges by outcome, open intakes with an escalated (missed) deadline, the longest stay."""

    residents: int
    residents_by_kind: dict[str, int]
    admissions: int
    discharges: dict[str, int]
    escalated_deadlines: int
    longest_stay_days: int | None


class DiscoverySection(_Out):
    """主动发现 candidates awaiting a decision."""

    awaiting_decision: int
    oldest_awaiting_since: str | None


class ScreeningSection(_Out):
    """监测摸排 totals; not-in-school children aged 6–15 on `as_of`."""

    as_of: str
    total: int
    by_classification: dict[str, int]
    flagged: int | None
    not_in_school_compulsory_age: int
    computed_at: str | None = None


class BenefitSpending(_Out):
    benefit: str
    benefit_zh: str
    amount: str = Field(examples=["2650.00"])


class SubsidiesSection(_Out):
    """分类保障支出 year-to-date against the year's budget (district scope only)."""

    year: int
    through_month: str
    budget: str | None
    spent: str
    remaining: str | None
    share_spent: str | None
    share_of_year_elapsed: str
    by_benefit: list[BenefitSpending]
    computed_at: str | None = None


class InsuranceSchemeCoverage(_Out):
    scheme: str
    scheme_zh: str
    parameters_set: bool = Field(description="False: no parameters for the year (no figures).")
    eligible: int | None = None
    enrolled: int | None = None
    submitted: int | None = None
    not_required: int | None = None
    due: int | None = None
    coverage: str | None = Field(default=None, description="enrolled ÷ eligible, 4 places.")


class InsuranceSection(_Out):
    """医疗保险参保: coverage per scheme for the month's year; premiums against the budget
    (district scope; null for a town)."""

    year: int
    schemes: list[InsuranceSchemeCoverage]
    premiums: str | None
    budget: str | None
    premiums_share_of_budget: str | None


class StandardReviewSection(_Out):
    """生活补贴标准调整 (自然增长机制，每两年调整一次): S in force on `as_of` and its review."""

    as_of: str
    key: str
    value: str | None
    in_force_since: str | None
    review_due_on: str | None
    review_due: bool
    months_in_force: int | None
    next_effective_from: str | None


class ProgrammeAid(_Out):
    children: int
    paid: str = Field(examples=["1000.00"])


class EducationAidSection(_Out):
    """教育帮扶 (the women's federation's fund): aid disbursed this year through the month."""

    year: int
    through: str
    children_paid: int
    paid: str = Field(examples=["226000.00"])
    by_programme: dict[str, ProgrammeAid]
    fund: str


class HolidayGiftsSection(_Out):
    """节日礼品 of this year's holiday runs: recorded and delivered by the month's end."""

    year: int
    gifts: int
    delivered: int
    not_delivered: int
    value: str
    delivered_value: str


class CommunityActivitiesSection(_Out):
    """社区未成年人活动 this year through the month, and the children who took part in none."""

    year: int
    activities: int
    villages: int
    ledger_children: int
    other_participants: int
    children_without_activity: int


class InstitutionSection(_Out):
    """养治教康: the welfare institute's month (app.institution.report), counts only."""

    residents: int
    care_records: dict[str, int]
    counselling_sessions: int
    counselling_hours: str
    one_to_one_sessions: int
    group_sessions: int
    counselling_risks: dict[str, int]
    without_counselling: int
    care_plans_overdue: int
    activities: int
    tutoring_hours: str
    volunteers_not_schedulable: int


class CaseworkAgencyMonth(_Out):
    id: str
    name: str
    hours_bought: int
    hours_delivered_month: str
    hours_delivered_to_date: str
    invoice_amount_month: str = Field(examples=["166.67"])


class CaseworkSection(_Out):
    """精准帮扶 cases by status, reviews overdue; each contracted agency's month (district)."""

    by_status: dict[str, int]
    open: int
    reviews_overdue: int
    agencies: list[CaseworkAgencyMonth]


class ScreeningReferralsSection(_Out):
    """监测摸排转介 per finding (referred, open, resolved), unacknowledged past the deadline."""

    by_finding: dict[str, dict[str, int]]
    unacknowledged_overdue: int
    escalated_open: int


class CoveragePoint(_Out):
    due: int
    visited: int
    ratio: float | None


class IncidentPoint(_Out):
    reported: int
    acknowledged: int
    median_ack_hours: float | None = Field(
        description="Median hours from the report to the first acknowledgement"
    )


class SpendingPoint(_Out):
    spent: str = Field(description="Spent in the month, all benefits (yuan, decimal string)")
    budget: str | None = Field(description="The year's budget spread evenly: a twelfth")


class TrendsSection(_Out):
    """近12个月趋势: one point per month of `months` (oldest first, ending with the month)."""

    months: list[str]
    visit_target: float
    visit_coverage: list[CoveragePoint]
    ledger_by_category: dict[str, list[int]]
    incidents: list[IncidentPoint]
    spending: list[SpendingPoint] | None = Field(description="District scope only")
    computed_at: str | None = None


class Sections(BaseModel):
    """Every section is optional: present when its domain is installed (and, for subsidies,
    at district scope). A section registered by a newer domain before it has a schema here
    passes through as an object of its own."""

    model_config = ConfigDict(extra="allow")

    areas: AreasSection | None = None
    children: ChildrenSection | None = None
    trends: TrendsSection | None = None
    visits: VisitsSection | None = None
    follow_ups: FollowUpsSection | None = None
    incidents: IncidentsSection | None = None
    institution: InstitutionSection | None = None
    protection: ProtectionSection | None = None
    casework: CaseworkSection | None = None
    discovery: DiscoverySection | None = None
    screening: ScreeningSection | None = None
    screening_referrals: ScreeningReferralsSection | None = None
    subsidies: SubsidiesSection | None = None
    insurance: InsuranceSection | None = None
    standard_review: StandardReviewSection | None = None
    education_aid: EducationAidSection | None = None
    holiday_gifts: HolidayGiftsSection | None = None
    community_activities: CommunityActivitiesSection | None = None


class SummaryOut(_Out):
    """运营看板 summary."""

    month: str = Field(examples=["2026-06"])
    area: AreaRef
    generated_at: Timestamp
    sections: Sections
    links: dict[str, str] = Field(
        description="Record detail routes installed here, by kind (`child`, `incident`): the "
        "page links a listed record only where its route exists.",
        examples=[{"child": "/api/v1/children/{child_id}"}],
    )
