"""The OpenAPI document as a partner developer meets it (issue 28).

The document the code serves passes the contract check (app/contract_check.py): valid OpenAPI,
OAuth2 security derived from the guards, problem+json errors, named enums, meaningful names,
discriminated unions, described operations and tags, examples valid against their schemas.
The check fails on the document as it was before (a small document with each fault).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from openapi_spec_validator import validate

from app.contract_check import problems, typescript_problems
from app.main import create_app
from tests.conftest import make_settings

SPEC: dict[str, Any] = create_app(make_settings("postgresql+asyncpg://u@localhost/x")).openapi()


def op(path: str, method: str) -> dict[str, Any]:
    return dict(SPEC["paths"][path][method])


def test_the_served_document_passes_the_contract_check() -> None:
    validate(copy.deepcopy(SPEC))
    assert problems(SPEC) == []


def test_security_comes_from_each_routes_guards() -> None:
    schemes = SPEC["components"]["securitySchemes"]
    assert schemes["StaffPassword"]["flows"]["password"]["tokenUrl"] == "/api/v1/auth/token"
    client = schemes["AgencyClientCredentials"]["flows"]["clientCredentials"]
    assert client["tokenUrl"] == "/api/v1/auth/token"
    assert {"referrals:read", "referrals:write", "charity:write"} <= set(client["scopes"])
    # a staff role guard, a scope guard, a domain's own guard, no guard
    assert op("/api/v1/visits", "post")["security"] == [{"StaffPassword": []}]
    assert op("/api/v1/referrals", "get")["security"] == [
        {"AgencyClientCredentials": ["referrals:read"]}
    ]
    assert op("/api/v1/auth/me", "get")["security"] == [
        {"StaffPassword": []},
        {"AgencyClientCredentials": []},
    ]
    assert op("/api/v1/auth/token", "post")["security"] == []
    assert op("/healthz", "get")["security"] == []
    described = op("/api/v1/visits", "post")["description"]
    assert "**Who may call:** Staff with the role `district_admin`" in described
    assert "`village_director` (password grant)" in described
    assert "**Errors** (`application/problem+json`)" in described


def test_errors_are_problem_json_with_the_validation_errors() -> None:
    for status in ("401", "404", "422"):
        content = op("/api/v1/children/{child_id}", "get")["responses"][status]["content"]
        assert list(content) == ["application/problem+json"]
        assert content["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/Problem"
        }
    problem = SPEC["components"]["schemas"]["Problem"]
    assert problem["properties"]["errors"]["anyOf"][0]["items"] == {
        "$ref": "#/components/schemas/FieldError"
    }
    assert "HTTPValidationError" not in SPEC["components"]["schemas"]


def test_the_child_category_is_one_named_enum() -> None:
    schemas = SPEC["components"]["schemas"]
    named = [n for n, s in schemas.items() if s.get("enum") and "orphan" in s["enum"]]
    assert named == ["Category"]
    assert schemas["ChildCreate"]["properties"]["category"]["$ref"] == (
        "#/components/schemas/Category"
    )
    [param] = [p for p in op("/api/v1/children", "get")["parameters"] if p["name"] == "category"]
    assert {"$ref": "#/components/schemas/Category"} in param["schema"]["anyOf"]


def test_schema_names_are_meaningful_and_unions_discriminated() -> None:
    names = set(SPEC["components"]["schemas"])
    assert not [n for n in names if "__" in n]
    assert {"DashboardBenefitSpending", "ProtectionChildOut", "ChildOut"} <= names
    incident = op("/api/v1/incidents/{incident_id}", "get")["responses"]["200"]
    schema = incident["content"]["application/json"]["schema"]
    assert schema["discriminator"] == {
        "propertyName": "view",
        "mapping": {
            "full": "#/components/schemas/IncidentOut",
            "summary": "#/components/schemas/IncidentSummary",
        },
    }
    child = op("/api/v1/children/{child_id}", "get")["responses"]["200"]
    assert child["content"]["application/json"]["schema"]["discriminator"]["mapping"] == {
        "staff": "#/components/schemas/ChildOut",
        "partner": "#/components/schemas/ChildPartnerView",
    }


def test_tags_are_ascii_and_described() -> None:
    tags = {t["name"]: t["description"] for t in SPEC["tags"]}
    assert "screening" in tags
    assert "监测摸排" in tags["screening"]
    assert all(name.isascii() and " " not in name for name in tags)


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    # The schema's `#/components/...` references resolve against a root that holds them.
    return Draft202012Validator({**schema, "components": SPEC["components"]})


def test_every_example_is_valid_against_its_schema() -> None:
    checked = 0
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            bodies = operation.get("requestBody", {}).get("content", {})
            answers = [
                media
                for response in operation.get("responses", {}).values()
                for media in response.get("content", {}).values()
            ]
            for media in [*bodies.values(), *answers]:
                values = [e["value"] for e in media.get("examples", {}).values()]
                values += [media["example"]] if "example" in media else []
                for value in values:
                    errors = list(_validator(media["schema"]).iter_errors(value))
                    assert not errors, (method, path, [e.message for e in errors][:3])
                    checked += 1
    assert checked >= 30


# -- the check fails on the document as it was ------------------------------------------------

BAD: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "before", "version": "1"},
    "tags": [{"name": "screening 监测摸排"}],
    "paths": {
        "/api/v1/children": {
            "get": {
                "tags": ["screening 监测摸排"],
                "summary": "List children",
                "operationId": "list_children",
                "parameters": [
                    {
                        "name": "category",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["orphan", "poor_family_disabled"]},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "anyOf": [
                                        {"$ref": "#/components/schemas/app__children__X"},
                                        {"$ref": "#/components/schemas/Y"},
                                    ]
                                }
                            }
                        },
                    },
                    "404": {
                        "description": "not found",
                        "content": {
                            "application/problem+json": {},
                            "application/json": {"schema": {"$ref": "#/components/schemas/Y"}},
                        },
                    },
                },
            }
        }
    },
    "components": {
        "schemas": {
            "app__children__X": {
                "type": "object",
                "properties": {"c": {"type": "string", "enum": ["orphan", "poor_family_disabled"]}},
            },
            "Y": {"type": "object"},
            "Problem": {"type": "object", "properties": {"title": {"type": "string"}}},
        }
    },
}


def test_the_check_fails_on_the_old_kind_of_document() -> None:
    found = "\n".join(problems(BAD))
    for expected in (
        "tag 'screening 监测摸排': not an ASCII identifier",
        "tag 'screening 监测摸排': no description",
        "GET /api/v1/children: undocumented operation (no description)",
        "securitySchemes: no OAuth2 password flow",
        "securitySchemes: no OAuth2 clientCredentials flow",
        "GET /api/v1/children: declares no security",
        "Problem: no validation `errors` array",
        "GET /api/v1/children 404: error body is not application/problem+json Problem",
        "GET /api/v1/children 404: error declared as application/json as well",
        "inline enum ['orphan', 'poor_family_disabled'] duplicated 2x",
        "schema app__children__X: a module path",
        "union of app__children__X, Y without a discriminator",
        "create_visit: no such operation",
    ):
        assert expected in found, expected


def test_the_typescript_check_fails_on_unknown_error_types() -> None:
    generated = """export interface operations {
    get_child: {
        responses: {
            404: {
                headers: { [name: string]: unknown; };
                content: {
                    "application/problem+json": unknown;
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
}"""
    assert [p.split(":", 2)[1] for p in typescript_problems(generated)] == ["7"]
    fine = generated.replace('"application/problem+json": unknown;', "")
    assert typescript_problems(fine) == []


@pytest.mark.parametrize("path", ["/api/v1/sync", "/api/v1/referrals"])
def test_phone_and_partner_reads_have_response_examples(path: str) -> None:
    media = op(path, "get")["responses"]["200"]["content"]["application/json"]
    assert media["example"]
