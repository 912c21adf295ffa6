"""补贴 — subsidies: rules as code (pure), with effective-dated parameters.

Shared by the sub-packages: `rules/` (the pure rules and their traces), `parameters` (the
effective-dated values), `facts` (a ledger row as the rules' facts, totals), `repository` (the
children the rules read, the towns' names), `schemas`, `errors` and `auth` (the roles).
One sub-package per sub-domain, each with its router (registered in `app.main`):
`standards/` (补贴标准 and their review), `quote/`, `claims/` (医疗报销), `payroll/` (生活补贴发放),
`runs/` (助学金, 节日慰问) and `budget/` (the budget and the spending against it). The adult-orphan
placement plans are `app.placements`.
"""
