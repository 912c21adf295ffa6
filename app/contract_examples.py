"""Request and response examples of the operations the phone and the partners use.

Requests are written by hand (what a phone or a partner's system sends); responses are made
from the response schema (`example_of`), so they never drift from it: the tests validate every
example against its schema (tests/contract/test_openapi_contract.py). Synthetic data only.
"""

from __future__ import annotations

import re
from typing import Any

CHILD = "3f2b8c1e-6d4a-4b7e-9a51-0c2d7e8f9a10"
VISIT = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
INCIDENT = "b1d6e2a4-3c5f-4e8a-9b7d-1f2e3d4c5b6a"

FINDINGS = {
    "living_conditions": {"rating": "good", "text": "住房整洁，有专人照料"},
    "support_received": {"rating": "good", "text": "基本生活费按月发放"},
    "schooling": {"rating": "fair", "text": "在读小学四年级，成绩一般"},
    "health": {"rating": "good", "text": ""},
}

VISIT_BODY = {
    "id": VISIT,
    "child_id": CHILD,
    "visited_at": "2026-06-15T10:30:00+08:00",
    "mode": "home",
    "findings": FINDINGS,
    "difficulties": [{"kind": "medical", "text": "需要定期复查视力"}],
    "suspected_infringement": False,
    "notes": "监护人祖母身体尚可",
    "location": {"lat": 39.7267, "lon": 116.3415},
}

# operationId → {"request": {name: (summary, value)}, "response": [status, ...]}
REQUESTS: dict[str, dict[str, tuple[str, Any]]] = {
    "issue_token": {
        "staff": (
            "A village director logs in on the phone (password grant)",
            {"grant_type": "password", "username": "dir_xihongmen", "password": "••••••••"},
        ),
        "partner": (
            "The police's system (client-credentials grant, two scopes)",
            {
                "grant_type": "client_credentials",
                "client_id": "police-daxing",
                "client_secret": "••••••••",
                "scope": "referrals:read referrals:write",
            },
        ),
        "refresh": (
            "The phone renews its token",
            {"grant_type": "refresh_token", "refresh_token": "rt_…"},
        ),
    },
    "create_visit": {"visit": ("A home visit recorded on the phone", VISIT_BODY)},
    "create_visit_batch": {
        "offline": (
            "Visits kept on a phone while offline, sent together",
            {"visits": [VISIT_BODY, {**VISIT_BODY, "id": "2e1f0a9b-8c7d-4e6f-a5b4-c3d2e1f0a9b8"}]},
        )
    },
    "sync_edit_child": {
        "school": (
            "The phone corrects the school, edited on version 3",
            {
                "base_version": 3,
                "changes": {"school_stage": "junior_secondary", "school_name": "大兴区第一中学"},
            },
        )
    },
    "create_incident": {
        "report": (
            "A village director reports suspected violence against a ledger child",
            {
                "id": INCIDENT,
                "child_id": CHILD,
                "situations": ["injuries_suggesting_violence"],
                "kinds": ["physical_abuse"],
                "description": "孩子手臂多处淤青，自述被殴打",
                "discovered_at": "2026-06-15T09:30:00+08:00",
                "location": "西红门镇测试村村委会",
                "immediate_danger": False,
                "visit_id": VISIT,
            },
        ),
        "draft": (
            "A draft saved offline: only the child is required",
            {"id": INCIDENT, "draft": True, "child_id": CHILD},
        ),
    },
    "transition_incident": {
        "acknowledge": ("The district acknowledges the report", {"to": "acknowledged"}),
        "close": (
            "The case is closed with its outcome",
            {"to": "closed", "note": "经公安调查属实，已处置", "outcome": "substantiated"},
        ),
    },
    "acknowledge_referral": {
        "police": (
            "The police acknowledge with their case number",
            {"case_number": "京公大(刑)字2026-0615号", "note": "已指派民警"},
        )
    },
    "add_referral_update": {
        "progress": (
            "The agency reports progress",
            {"note": "已上门核实，儿童已安置", "status": "in_progress"},
        ),
        "done": ("The agency completes the referral", {"status": "completed", "note": "处置完毕"}),
    },
    "register_agency_webhook": {
        "register": (
            "Where the agency's system receives referrals",
            {"url": "https://hooks.police.example/children", "rotate_secret": False},
        ),
        "rotate": (
            "A new signing secret; the old one signs too for the grace period",
            {"url": "https://hooks.police.example/children", "rotate_secret": True},
        ),
    },
}

# Operations whose successful answers carry a schema-made example.
RESPONSES: tuple[str, ...] = (
    "issue_token",
    "who_am_i",
    "create_visit",
    "create_visit_batch",
    "list_visits",
    "get_visit",
    "sync_changes",
    "sync_edit_child",
    "create_incident",
    "get_incident",
    "list_incidents",
    "transition_incident",
    "list_referrals",
    "get_referral",
    "acknowledge_referral",
    "add_referral_update",
    "register_agency_webhook",
    "get_child",
)

PROBLEM_EXAMPLE = {
    "type": "https://children.daxing.example/problems/validation_failed",
    "title": "请求数据校验失败",
    "status": 422,
    "code": "validation_failed",
    "instance": "/api/v1/visits",
    "errors": [{"field": "findings.health.rating", "message": "取值不在允许范围内"}],
}


def add_examples(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for item in spec.get("paths", {}).values():
        for op in item.values():
            if not isinstance(op, dict):
                continue
            op_id = op.get("operationId", "")
            for media in op.get("requestBody", {}).get("content", {}).values():
                if op_id in REQUESTS:
                    media["examples"] = {
                        name: {"summary": summary, "value": value}
                        for name, (summary, value) in REQUESTS[op_id].items()
                    }
            if op_id not in RESPONSES:
                continue
            for status, response in op.get("responses", {}).items():
                for media_type, media in response.get("content", {}).items():
                    if status.startswith("2") and "schema" in media:
                        media["example"] = example_of(media["schema"], schemas)
                    elif status == "422" and media_type.endswith("problem+json"):
                        media["example"] = PROBLEM_EXAMPLE


_FORMATS: dict[str, Any] = {
    "uuid": CHILD,
    "date-time": "2026-06-15T10:30:00+08:00",
    "date": "2026-06-15",
    "uri": "https://hooks.police.example/children",
    "email": "someone@example.org",
}

_NAMED: dict[str, Any] = {
    "name": "测试儿童",
    "child_name": "测试儿童",
    "id_number": "110115********123X",
    "village_code": "110115001001",
    "area_code": "110115001",
    "month": "2026-06",
    "access_token": "eyJhbGciOiJIUzI1NiJ9.…",
    "refresh_token": "rt_…",
    "next_cursor": "eDE6MTIzNDU2",
    "cursor": "eDE6MTIzNDU2",
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "case_number": "京公大(刑)字2026-0615号",
}


def example_of(
    schema: dict[str, Any], schemas: dict[str, Any], depth: int = 0, key: str = ""
) -> Any:
    """A value valid against `schema` (resolving `$ref`s), plausible for its field name."""
    if depth > 24:
        return None
    if "$ref" in schema:
        target = schemas[schema["$ref"].rsplit("/", 1)[-1]]
        return example_of(target, schemas, depth + 1, key)
    for k in ("example", "const"):
        if k in schema:
            return schema[k]
    if schema.get("examples"):
        return schema["examples"][0]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    for k in ("oneOf", "anyOf"):
        if k in schema:
            options = [o for o in schema[k] if o.get("type") != "null"] or schema[k]
            return example_of(options[0], schemas, depth + 1, key)
    if "allOf" in schema:
        return example_of(schema["allOf"][0], schemas, depth + 1, key)
    if "enum" in schema:
        return schema["enum"][0]
    typ = schema.get("type")
    if typ == "object" or "properties" in schema:
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        out = {}
        for name, prop in props.items():
            if name in required or depth < 6:
                out[name] = example_of(prop, schemas, depth + 1, name)
        return out
    if typ == "array":
        items = schema.get("items", {})
        n = max(1, int(schema.get("minItems", 1)))
        return [example_of(items, schemas, depth + 1, key) for _ in range(n)]
    if typ == "integer":
        return int(schema.get("minimum", 1) or 1)
    if typ == "number":
        return float(schema.get("minimum", 0) or 0)
    if typ == "boolean":
        return False
    if typ == "null":
        return None
    return _string(schema, key)


def _string(schema: dict[str, Any], key: str) -> str:
    fmt = schema.get("format")
    if fmt in _FORMATS:
        return str(_FORMATS[fmt])
    pattern = schema.get("pattern")
    if key in _NAMED and (pattern is None or re.search(pattern, str(_NAMED[key]))):
        return str(_NAMED[key])
    for candidate in ("2650.00", "2026-06", "2026-06-15", "2025-2026", "2026Q2", "110115"):
        if pattern is not None and re.search(pattern, candidate):
            return candidate
    text = "示例"
    low = int(schema.get("minLength", 0))
    return text + "x" * max(0, low - len(text))
