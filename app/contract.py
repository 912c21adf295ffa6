"""The OpenAPI document as partners and phone developers meet it (issue 28).

FastAPI writes the document from the routes; this module finishes it, from the code as well:

- **Security**: OAuth2 with the password flow (staff) and the client-credentials flow (partner
  agencies), token URL `/api/v1/auth/token`, the scopes of `app.users.schemas.Scope`. Each
  operation's requirement comes from its guard dependencies (`app.auth.principal.guarded`
  marks them): a role guard needs a staff token, a scope guard a client token with the scope,
  any other signed-in dependency either; an operation with no principal needs none.
- **Errors**: every 4xx/5xx answer is `application/problem+json` with the `Problem` schema
  (with the validation `errors` array), as the server sends them; FastAPI's own 422 schema
  (`HTTPValidationError`) is replaced by it.
- **Names**: schemas named after module paths (`app__dashboard__schemas__BenefitSpending`) are
  named after their domain (`DashboardBenefitSpending`); an enum written inline is hoisted into
  one named component (the child category once, as `Category`), named after the `Literal`
  alias that declares it where there is one.
- **Unions**: a union whose members carry a one-valued tag property (`view`) gets a
  `discriminator` with its mapping.
- **Descriptions**: every operation says who may call it (derived from its guards), what it
  changes and which errors it answers; every tag has a description; tag names are ASCII.
- **Examples**: the operations the phone and the partners use carry request and response
  examples (app/contract_examples.py), checked against their schemas by the tests.

`install(app)` replaces `app.openapi`; the result is cached on `app.openapi_schema` as FastAPI's.
"""

from __future__ import annotations

import copy
import re
import sys
import typing
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from app.errors import PROBLEM_JSON

TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 (a URL, not a password)
STAFF_SCHEME = "StaffPassword"
AGENCY_SCHEME = "AgencyClientCredentials"
REF = "#/components/schemas/"

# What each scope lets a partner's system do (the Authorize dialog lists them).
SCOPE_DESCRIPTIONS: dict[str, str] = {
    "referrals:read": "Read the referrals addressed to the agency 读取转介",
    "referrals:write": "Acknowledge referrals and post updates 确认转介、反馈进展",
    "children:read": "Read the children its referrals concern, projected to its field 读取儿童",
    "screening:read": "Read the screening records its referrals concern 读取摸排记录",
    "protection:write": "The police: announce a child brought to the protection centre 护送入站",
    "programmes:read": "The women's federation: its programmes' pairings and aid 读取项目",
    "charity:write": "The charity association: decide and pay project funds 慈善项目",
}

# The tags, in the documentation's reading order: ASCII names, Chinese in the description.
TAG_DESCRIPTIONS: dict[str, str] = {
    "health": "存活与就绪探针 Liveness, readiness and metrics probes (no authentication).",
    "auth": "认证 OAuth2 tokens: staff log in with the password grant, partner agencies with "
    "client credentials; refresh tokens rotate.",
    "areas": "行政区划 The district → town → village tree the jurisdictions are made of.",
    "users": "工作人员账户 Staff accounts, their roles and areas (district admins).",
    "agencies": "合作单位客户端 Partner agencies' API clients, their scopes and secrets.",
    "audit": "审计日志 The tamper-evident log of every write and every read of a child's record.",
    "children": "困境儿童台账 The ledger of children in difficulty: records, changes, revocation, "
    "history.",
    "proposals": "变更申请 Changes proposed by field staff, decided by the district.",
    "placements": "安置 Placements of children (dispersed, institution) and their decisions.",
    "ledger": "月度台账 The monthly register, its export and the leader's quarterly review.",
    "discovery": "主动发现 Candidates found by cross-matching low-income households.",
    "visits": "走访 Monthly home visits from the phone (offline-safe, idempotent by client id), "
    "coverage and flags.",
    "sync": "同步 The phone's incremental sync of its jurisdiction and its field-merged edits.",
    "incidents": "强制报告 Mandatory-report incidents, their statutory situations and status "
    "transitions.",
    "notifications": "通知 Notifications to staff (escalations, deadlines).",
    "referrals": "转介 Referrals to partner agencies: what they read, acknowledge and update.",
    "webhooks": "Webhook 推送 Partner webhooks (Standard Webhooks signatures, docs/webhooks.md) "
    "and the delivery log.",
    "institution": "The welfare institute's care of its residents, counselling, volunteers "
    "(儿童福利院 养治教康).",
    "protection": "未成年人救助保护 The protection centre: intakes, steps, discharges, follow-ups.",
    "subsidies": "基本生活费与补贴 Standards, quotes, medical claims, payrolls, grants, budget.",
    "screening": "监测摸排 Screening imports of migrant and left-behind children, records, stats.",
    "programmes": "关爱项目 Care programmes with partners: aid, gifts, activities, caring mothers, "
    "parents' classes.",
    "training": "培训 Training sessions for people who work with children, and coverage.",
    "charity": "慈善项目 Charity-fund applications, decisions and payments.",
    "casework": "精准帮扶 Case work by contracted social workers, and referrals of screening "
    "findings.",
    "insurance": "医疗保险参保 Insurance enrolment: schemes per year, enrolments, the worklist, "
    "the insurer's files, premiums.",
    "documents": "文件与照片 Documents and photos: encrypted evidence files, visit photos and "
    "signed forms, uploaded whole or resumably, read by the record's own access rules.",
    "dashboard": "工作台 The district's operations dashboard and its numbers.",
}

_ERROR_WORDS: dict[str, str] = {
    "400": "malformed body",
    "401": "no or invalid token",
    "403": "the caller's role or scope may not",
    "404": "no such record, or outside the caller's jurisdiction",
    "408": "upload not received in time",
    "409": "conflicts with the record's state or an earlier request",
    "412": "the record changed since it was read (If-Match)",
    "413": "body too large",
    "415": "unsupported content type",
    "422": "validation failed (`errors` names each field)",
    "428": "If-Match header required",
    "429": "too many requests (Retry-After)",
    "503": "database unavailable (Retry-After)",
}


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = FastAPI.openapi(app)
            app.openapi_schema = finish(spec, app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def finish(spec: dict[str, Any], app: FastAPI) -> dict[str, Any]:
    routes = {
        str(c.name): c
        for c in routing.iter_route_contexts(app.routes)
        if isinstance(c.original_route, APIRoute)
    }
    rename_schemas(spec)
    problem_responses(spec)
    security(spec, routes)
    hoist_enums(spec, literal_names())
    discriminators(spec)
    tags(spec)
    from app.contract_examples import add_examples

    add_examples(spec)
    describe(spec, routes)
    return spec


# -- walking ----------------------------------------------------------------------------------


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            if method in ("get", "put", "post", "delete", "patch", "head", "options"):
                yield path, method, op


def _rewrite_refs(node: Any, fn: Callable[[str], str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            node["$ref"] = fn(ref)
        for value in node.values():
            _rewrite_refs(value, fn)
    elif isinstance(node, list):
        for value in node:
            _rewrite_refs(value, fn)


# -- schema names -----------------------------------------------------------------------------


def _camel(word: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[_\W]+", word) if p)


_PLUMBING = {"app", "schemas", "kit", "pagination", "views", "models"}


def rename_schemas(spec: dict[str, Any]) -> None:
    """Module-path names (`app__x__schemas__Y`) → `<Domain>Y`; generic pages → `Page_<Item>_`."""
    schemas: dict[str, Any] = spec.get("components", {}).get("schemas", {})
    renames: dict[str, str] = {}
    for name in schemas:
        if "__" not in name or not name.startswith("app__"):
            continue
        parts = name.split("__")
        base = parts[-1]
        domain = [p for p in parts[1:-1] if p not in _PLUMBING]
        prefix = _camel(domain[-1]) if domain else ""
        if base.startswith("Page_"):
            continue  # named after its items below, once these are renamed
        singular = _singular(prefix)
        renames[name] = base if base.startswith((prefix, singular)) else prefix + base
    _apply(spec, renames)
    renames = {}
    for name, schema in schemas.items():
        if name.startswith("app__") and "Page_" in name:
            items = schema.get("properties", {}).get("items", {}).get("items", {})
            ref = items.get("$ref", "")
            renames[name] = f"Page_{ref.removeprefix(REF)}_" if ref else name.split("__")[-1]
    _apply(spec, renames)
    # A page of a union, `Page_Union_IncidentOut__IncidentSummary__`:
    # `Page_IncidentOutOrIncidentSummary_`.
    renames = {}
    for name in spec["components"]["schemas"]:
        match = re.fullmatch(r"Page_Union_(.+)__", name)
        if match:
            renames[name] = "Page_" + "Or".join(match.group(1).split("__")) + "_"
    _apply(spec, renames)


def _apply(spec: dict[str, Any], renames: dict[str, str]) -> None:
    if not renames:
        return
    schemas = spec["components"]["schemas"]
    for old, new in renames.items():
        if new in schemas and new != old:
            raise RuntimeError(f"schema name {new} (from {old}) is taken")
        schema = schemas.pop(old)
        schema["title"] = new
        schemas[new] = schema
    spec["components"]["schemas"] = dict(sorted(schemas.items()))
    lookup = {REF + o: REF + n for o, n in renames.items()}
    _rewrite_refs(spec, lambda ref: lookup.get(ref, ref))


# -- errors -----------------------------------------------------------------------------------


def problem_responses(spec: dict[str, Any]) -> None:
    """Every error answer: `application/problem+json` with the Problem schema, nothing else."""
    problem = {"schema": {"$ref": REF + "Problem"}}
    for _, _, op in operations(spec):
        for status, response in op.get("responses", {}).items():
            if status[:1] not in ("4", "5"):
                continue
            response["content"] = {PROBLEM_JSON: copy.deepcopy(problem)}
            if status == "422":
                response["description"] = "校验失败 Validation failed"
        for response in op.get("responses", {}).values():
            for media_type, media in response.get("content", {}).items():
                if media.get("schema"):
                    continue
                if media_type.endswith("json"):  # an answer the route builds itself (/readyz)
                    media["schema"] = {"type": "object", "additionalProperties": True}
                elif media_type.startswith("text/"):
                    media["schema"] = {"type": "string"}
                else:  # a file (XLSX): bytes, typed as such rather than left `unknown`
                    media["schema"] = {"type": "string", "format": "binary"}
    schemas = spec["components"]["schemas"]
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas["Problem"]["description"] = (
        "RFC 9457 problem details, in Simplified Chinese by default and English with "
        "`Accept-Language: en`. `code` is stable (`not_found`, `validation_failed`, ...); "
        "`errors` lists the fields at fault of a validation error."
    )


# -- security ---------------------------------------------------------------------------------


def _dependencies(dependant: Dependant) -> Iterator[Any]:
    for dep in dependant.dependencies:
        if dep.call is not None:
            yield dep.call
        yield from _dependencies(dep)


def admits(route: Any) -> dict[str, Any] | None:
    """Whom a route admits, from its guards: None when it needs no principal."""
    from app.auth.principal import GUARD_ATTRIBUTE, get_principal

    roles: list[str] = []
    scopes: list[str] = []
    staff = signed_in = False
    custom: list[str] = []
    for call in _dependencies(route.dependant):
        mark = getattr(call, GUARD_ATTRIBUTE, None)
        if mark is not None:
            roles += [r for r in mark["roles"] if r not in roles]
            scopes += [s for s in mark["scopes"] if s not in scopes]
            staff = staff or bool(mark["staff"])
        elif call is get_principal:
            signed_in = True
        elif getattr(call, "__doc__", None) and _takes_principal(call):
            custom.append(str(call.__doc__).strip().split("\n\n")[0])
    if not (signed_in or roles or scopes or staff):
        return None
    return {"roles": roles, "scopes": scopes, "staff": staff, "custom": custom}


def _takes_principal(call: Any) -> bool:
    try:
        hints = typing.get_type_hints(call, include_extras=True)
    except Exception:  # an unresolvable hint: not a guard we can describe
        return False
    return any("Principal" in repr(h) for h in hints.values())


def security(spec: dict[str, Any], routes: dict[str, Any]) -> None:
    from app.users.schemas import SCOPES

    scopes = {s: SCOPE_DESCRIPTIONS.get(s, s) for s in SCOPES}
    spec.setdefault("components", {})["securitySchemes"] = {
        STAFF_SCHEME: {
            "type": "oauth2",
            "description": "Staff: `grant_type=password` with username and password; the answer "
            "carries a refresh token (`grant_type=refresh_token`).",
            "flows": {"password": {"tokenUrl": TOKEN_URL, "refreshUrl": TOKEN_URL, "scopes": {}}},
        },
        AGENCY_SCHEME: {
            "type": "oauth2",
            "description": "Partner agencies: `grant_type=client_credentials` with the client's "
            "id and secret and the scopes wanted (at most those granted to the client).",
            "flows": {"clientCredentials": {"tokenUrl": TOKEN_URL, "scopes": scopes}},
        },
    }
    for _, _, op in operations(spec):
        route = routes.get(op.get("operationId", ""))
        who = admits(route) if route is not None else None
        if who is None:
            op["security"] = []
            continue
        requirements: list[dict[str, list[str]]] = []
        if who["roles"] or who["staff"]:
            requirements.append({STAFF_SCHEME: []})
        if who["scopes"]:
            requirements += [{AGENCY_SCHEME: [s]} for s in who["scopes"]]
        if not requirements:  # signed in, by a guard of the domain's own
            requirements = [{STAFF_SCHEME: []}, {AGENCY_SCHEME: []}]
        op["security"] = requirements
        op["x-admits"] = who


# -- enums ------------------------------------------------------------------------------------


def literal_names() -> dict[tuple[str, ...], str]:
    """Value tuple → the name of the `Literal` alias declaring it (app.kit.vocab first)."""
    found: dict[tuple[str, ...], tuple[int, str]] = {}
    for modname, module in sorted(sys.modules.items()):
        if not modname.startswith("app.") or module is None:
            continue
        rank = 0 if modname == "app.kit.vocab" else 1 if modname.startswith("app.kit.") else 2
        for attr, value in vars(module).items():
            if attr.startswith("_") or typing.get_origin(value) is not typing.Literal:
                continue
            values = _literal_values(value)
            if len(values) < 2 or not all(isinstance(v, str) for v in values):
                continue
            name = attr
            if rank == 2 and not re.search(r"[a-z][A-Z]", attr):
                name = _domain_of(modname) + attr  # a one-word alias (Status) of a domain
            key = tuple(values)
            if key not in found or (rank, name) < found[key]:
                found[key] = (rank, name)
    return {k: v[1] for k, v in found.items()}


def _literal_values(value: Any) -> list[Any]:
    out: list[Any] = []
    for arg in typing.get_args(value):
        if typing.get_origin(arg) is typing.Literal:
            out += _literal_values(arg)
        else:
            out.append(arg)
    return out


def _domain_of(modname: str) -> str:
    parts = [p for p in modname.split(".") if p not in _PLUMBING and p != "router"]
    return _singular(_camel(parts[-1])) if parts else ""


def _singular(word: str) -> str:
    return re.sub(r"(?<=Child)ren$|(?<=[^s])s$", "", word)  # Children → Child, Visits → Visit


_KEEP_BESIDE_REF = ("description", "default", "examples", "deprecated")


def hoist_enums(spec: dict[str, Any], names: dict[tuple[str, ...], str]) -> None:
    """Each enum of two or more strings becomes one named component, used by `$ref`."""
    schemas: dict[str, Any] = spec["components"]["schemas"]
    by_values: dict[tuple[str, ...], str] = {}
    for name, schema in schemas.items():
        if isinstance(schema.get("enum"), list) and len(schema["enum"]) >= 2:
            by_values.setdefault(tuple(schema["enum"]), name)
    sites: list[tuple[dict[str, Any], str, str]] = []  # (node, owner, property)

    def visit(node: Any, owner: str, prop: str, top: bool) -> None:
        if isinstance(node, dict):
            enum = node.get("enum")
            if (
                not top
                and isinstance(enum, list)
                and len(enum) >= 2
                and all(isinstance(v, str) for v in enum)
            ):
                sites.append((node, owner, prop))
                return
            for key, value in node.items():
                if key == "properties" and isinstance(value, dict):
                    for pname, pschema in value.items():
                        visit(pschema, owner, pname, False)
                elif key == "parameters" and isinstance(value, list):
                    for param in value:
                        visit(param.get("schema"), owner, param.get("name", prop), False)
                elif key not in ("examples", "example"):
                    visit(value, owner, prop, False)
        elif isinstance(node, list):
            for value in node:
                visit(value, owner, prop, False)

    for name, schema in list(schemas.items()):
        visit(schema, name, "", True)
    for _, _, op in operations(spec):
        visit(op, _camel(op.get("operationId", "")), "", False)

    for node, owner, prop in sorted(sites, key=lambda s: (s[1], s[2])):
        values = tuple(node["enum"])
        enum_name = by_values.get(values)
        if enum_name is None:
            enum_name = _enum_name(values, owner, prop, names, schemas)
            schemas[enum_name] = {"type": "string", "enum": list(values), "title": enum_name}
            by_values[values] = enum_name
        beside = {k: node[k] for k in _KEEP_BESIDE_REF if k in node}
        node.clear()
        node["$ref"] = REF + enum_name
        node.update(beside)
    spec["components"]["schemas"] = dict(sorted(schemas.items()))


def _enum_name(
    values: tuple[str, ...],
    owner: str,
    prop: str,
    names: dict[tuple[str, ...], str],
    schemas: dict[str, Any],
) -> str:
    candidates = []
    if values in names:
        candidates.append(names[values])
    stem = re.sub(r"(In|Out|Create|Detail|Update|Patch|Query|Body|View|Summary)$", "", owner)
    stem = stem.removeprefix("Page_").rstrip("_")
    candidates += [_camel(prop), stem + _camel(prop)]
    for candidate in candidates:
        if candidate and candidate not in schemas:
            return candidate
    n = 2
    while f"{stem}{_camel(prop)}{n}" in schemas:
        n += 1
    return f"{stem}{_camel(prop)}{n}"


# -- discriminators ---------------------------------------------------------------------------


def _tag_of(schema: dict[str, Any]) -> tuple[str, str] | None:
    """A property every instance carries with one value: (`view`, `summary`)."""
    for pname, prop in schema.get("properties", {}).items():
        if "const" in prop:
            return pname, str(prop["const"])
        enum = prop.get("enum")
        if isinstance(enum, list) and len(enum) == 1:
            return pname, str(enum[0])
    return None


def discriminators(spec: dict[str, Any]) -> None:
    schemas: dict[str, Any] = spec["components"]["schemas"]

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("anyOf", "oneOf"):
                members = node.get(key)
                if isinstance(members, list) and len(members) > 1:
                    _discriminate(node, key, members, schemas)
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(spec.get("paths"))
    visit(schemas)


def _discriminate(
    node: dict[str, Any], key: str, members: list[Any], schemas: dict[str, Any]
) -> None:
    refs = [m.get("$ref", "") for m in members]
    if not all(r.startswith(REF) for r in refs):
        return
    tags = [_tag_of(schemas.get(r.removeprefix(REF), {})) for r in refs]
    if any(t is None for t in tags):
        return
    props = {t[0] for t in tags if t is not None}
    values = [t[1] for t in tags if t is not None]
    if len(props) != 1 or len(set(values)) != len(values):
        return
    prop = props.pop()
    for ref in refs:  # always serialised: required, so a client can switch on it
        target = schemas[ref.removeprefix(REF)]
        required = target.setdefault("required", [])
        if prop not in required:
            required.insert(0, prop)
    node["oneOf"] = node.pop(key)
    node["discriminator"] = {
        "propertyName": prop,
        "mapping": dict(zip(values, refs, strict=True)),
    }


# -- tags and descriptions --------------------------------------------------------------------


def tags(spec: dict[str, Any]) -> None:
    """ASCII tag names (the first word of a legacy `name 中文` tag) with their descriptions."""
    used: list[str] = []
    for _, _, op in operations(spec):
        op["tags"] = [t.split()[0] for t in op.get("tags", [])]
        used += [t for t in op["tags"] if t not in used]
    order = [t["name"].split()[0] for t in spec.get("tags", [])]
    order += [t for t in used if t not in order]
    spec["tags"] = [
        {"name": name, "description": TAG_DESCRIPTIONS.get(name, name)} for name in order
    ]


def _either(items: list[str]) -> str:
    quoted = [f"`{i}`" for i in items]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _who(who: dict[str, Any] | None) -> str:
    if who is None:
        return "Anyone: no token needed."
    parts = []
    if who["roles"]:
        parts.append("staff with the role " + _either(who["roles"]) + " (password grant)")
    elif who["staff"]:
        parts.append("any staff account (password grant)")
    if who["scopes"]:
        parts.append(
            "partner agencies whose token carries the scope "
            + _either(who["scopes"])
            + " (client-credentials grant)"
        )
    if not parts:
        base = "any signed-in caller, staff or partner agency"
        if who["custom"]:
            return base[:1].upper() + base[1:] + "; " + "; ".join(who["custom"])
        return (
            base[:1].upper()
            + base[1:]
            + "; the service answers 403 to roles or scopes the operation is not for, and "
            "404 for records outside the caller's jurisdiction or mandate."
        )
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def _changes(method: str, op: dict[str, Any]) -> str:
    if method in ("get", "head"):
        return "Nothing (a read; reads of a child's personal record are written to the audit log)."
    summary = op.get("summary", "").rstrip(".")
    return f"{summary}. The change is recorded in the audit log."


def describe(spec: dict[str, Any], routes: dict[str, Any]) -> None:
    """Who may call, what it changes, its errors: on every operation."""
    for _, method, op in operations(spec):
        who = op.pop("x-admits", None)
        if op.get("security") == []:
            who = None
        own = op.get("description", "").strip() or op.get("summary", "")
        errors = [
            f"`{status}` {_ERROR_WORDS.get(status, response.get('description', ''))}"
            for status, response in sorted(op.get("responses", {}).items())
            if status[:1] in ("4", "5")
        ]
        lines = [
            own,
            "",
            f"**Who may call:** {_who(who)}",
            "",
            f"**Changes:** {_changes(method, op)}",
        ]
        if errors:
            lines += ["", "**Errors** (`application/problem+json`): " + "; ".join(errors) + "."]
        op["description"] = "\n".join(lines)
