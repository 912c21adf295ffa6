"""Is the OpenAPI document usable by a partner? `python -m app.contract_check [--typescript F]`.

Run by `.ci/check-openapi-contract` (and `make contract-check`) on `openapi/openapi.json`:

1. `openapi-spec-validator`: a valid OpenAPI 3.1 document.
2. Our rules (`problems(spec)`, each a sentence naming the place):
   - every operation has an operationId, a summary, a description and ASCII tags; every tag
     used is declared with a description;
   - OAuth2 security schemes with the password and client-credentials flows; every operation
     declares `security`, non-empty under /api/ except the token endpoints;
   - every 4xx/5xx answer is `application/problem+json` with the `Problem` schema (and nothing
     else), and `Problem` carries the validation `errors` array;
   - no enum written inline twice (nor inline where a component has the same values);
   - schema names without module paths (`__`) or generator leftovers;
   - every union of two or more schemas has a discriminator;
   - the operations the phone and the partners use carry request/response examples.
3. With `--typescript F` (the types openapi-typescript generated from the document): no
   `unknown` answer body (an error type a client could not use), no operation without its
   typed responses.

Exit status 1 and one line per problem when anything fails.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from app.migrate import ROOT

DOCUMENT = ROOT / "openapi" / "openapi.json"
PUBLIC_API = {("post", "/api/v1/auth/token"), ("post", "/api/v1/auth/revoke")}
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
# Unions a discriminator cannot tag (each member is a page: the tag is on the items).
UNTAGGED_UNIONS = {"/paths/~1api~1v1~1pairings/get/responses/200"}
# Operations a phone or a partner's system calls: examples required.
NEEDS_EXAMPLES = (
    "issue_token",
    "create_visit",
    "create_visit_batch",
    "sync_changes",
    "sync_edit_child",
    "create_incident",
    "transition_incident",
    "list_referrals",
    "acknowledge_referral",
    "add_referral_update",
    "register_agency_webhook",
)


def _ops(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in spec.get("paths", {}).items()
        for method, op in item.items()
        if method in METHODS
    ]


def problems(spec: dict[str, Any]) -> list[str]:
    out: list[str] = []
    out += _documented(spec)
    out += _security(spec)
    out += _errors(spec)
    out += _enums(spec)
    out += _names(spec)
    out += _unions(spec)
    out += _examples(spec)
    return out


def _documented(spec: dict[str, Any]) -> list[str]:
    out = []
    declared = {t.get("name"): t for t in spec.get("tags", [])}
    for name, tag in declared.items():
        if not re.fullmatch(r"[a-z][a-z0-9_-]*", str(name)):
            out.append(f"tag {name!r}: not an ASCII identifier (Chinese goes in the description)")
        if not str(tag.get("description", "")).strip():
            out.append(f"tag {name!r}: no description")
    for path, method, op in _ops(spec):
        where = f"{method.upper()} {path}"
        if not op.get("operationId"):
            out.append(f"{where}: no operationId")
        if not str(op.get("summary", "")).strip():
            out.append(f"{where}: no summary")
        if not str(op.get("description", "")).strip():
            out.append(f"{where}: undocumented operation (no description)")
        for tag in op.get("tags", []):
            if tag not in declared:
                out.append(f"{where}: tag {tag!r} is not declared")
    return out


def _security(spec: dict[str, Any]) -> list[str]:
    out = []
    schemes = spec.get("components", {}).get("securitySchemes", {})
    flows = {f for s in schemes.values() if s.get("type") == "oauth2" for f in s.get("flows", {})}
    for flow in ("password", "clientCredentials"):
        if flow not in flows:
            out.append(f"securitySchemes: no OAuth2 {flow} flow")
    for path, method, op in _ops(spec):
        where = f"{method.upper()} {path}"
        if "security" not in op:
            out.append(f"{where}: declares no security")
            continue
        for requirement in op["security"]:
            for name in requirement:
                if name not in schemes:
                    out.append(f"{where}: unknown security scheme {name}")
        if path.startswith("/api/") and (method, path) not in PUBLIC_API and not op["security"]:
            out.append(f"{where}: an API operation without a security requirement")
    return out


def _errors(spec: dict[str, Any]) -> list[str]:
    out = []
    problem = spec.get("components", {}).get("schemas", {}).get("Problem", {})
    if "errors" not in problem.get("properties", {}):
        out.append("Problem: no validation `errors` array")
    for path, method, op in _ops(spec):
        for status, response in op.get("responses", {}).items():
            if status[:1] not in ("4", "5"):
                continue
            where = f"{method.upper()} {path} {status}"
            content = response.get("content", {})
            schema = content.get("application/problem+json", {}).get("schema", {})
            if schema.get("$ref") != "#/components/schemas/Problem":
                out.append(f"{where}: error body is not application/problem+json Problem")
            others = sorted(set(content) - {"application/problem+json"})
            if others:
                out.append(f"{where}: error declared as {', '.join(others)} as well")
    return out


def _walk(node: Any, pointer: str) -> Any:
    if isinstance(node, dict):
        yield pointer, node
        for key, value in node.items():
            if key in ("example", "examples"):
                continue
            yield from _walk(value, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{pointer}/{i}")


def _enums(spec: dict[str, Any]) -> list[str]:
    schemas = spec.get("components", {}).get("schemas", {})
    named = {tuple(s["enum"]): n for n, s in schemas.items() if isinstance(s.get("enum"), list)}
    inline: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for pointer, node in _walk(spec, ""):
        enum = node.get("enum")
        if not isinstance(enum, list) or len(enum) < 2:
            continue
        if re.fullmatch(r"/components/schemas/[^/]+", pointer):
            continue  # a named enum
        inline[tuple(enum)].append(pointer)
    out = []
    for values, places in inline.items():
        if values in named:
            out.append(
                f"{places[0]}: inline enum of the component {named[values]} ({len(places)}x)"
            )
        elif len(places) > 1:
            out.append(f"{places[0]}: inline enum {list(values)[:4]} duplicated {len(places)}x")
    return out


def _names(spec: dict[str, Any]) -> list[str]:
    return [
        f"schema {name}: a module path or generator name, not a meaningful one"
        for name in spec.get("components", {}).get("schemas", {})
        if "__" in name or name.startswith("app_") or not re.fullmatch(r"[A-Za-z][\w]*", name)
    ]


def _unions(spec: dict[str, Any]) -> list[str]:
    out = []
    for pointer, node in _walk(spec, ""):
        for key in ("oneOf", "anyOf"):
            members = node.get(key)
            if not isinstance(members, list):
                continue
            refs = [m for m in members if "$ref" in m]
            if len(refs) < 2 or "discriminator" in node:
                continue
            if any(pointer.startswith(u) for u in UNTAGGED_UNIONS):
                continue
            names = [r["$ref"].rsplit("/", 1)[-1] for r in refs]
            out.append(f"{pointer}: union of {', '.join(names)} without a discriminator")
    return out


def _examples(spec: dict[str, Any]) -> list[str]:
    by_id = {op.get("operationId"): (path, method, op) for path, method, op in _ops(spec)}
    out = []
    for op_id in NEEDS_EXAMPLES:
        if op_id not in by_id:
            out.append(f"{op_id}: no such operation")
            continue
        path, method, op = by_id[op_id]
        bodies = op.get("requestBody", {}).get("content", {}).values()
        if any(not (m.get("examples") or m.get("example")) for m in bodies):
            out.append(f"{method.upper()} {path}: request without an example")
        answers = [
            m
            for status, r in op.get("responses", {}).items()
            if status.startswith("2")
            for m in r.get("content", {}).values()
        ]
        if answers and not any(m.get("example") or m.get("examples") for m in answers):
            out.append(f"{method.upper()} {path}: response without an example")
    return out


def typescript_problems(source: str) -> list[str]:
    """What openapi-typescript generated: no `unknown` bodies, every operation typed."""
    out = []
    for number, line in enumerate(source.splitlines(), 1):
        if re.search(r'"[\w.+-]+/[\w.+-]+":\s*unknown\b', line):
            out.append(f"api.d.ts:{number}: an untyped (unknown) body: {line.strip()}")
    if "export interface operations" not in source:
        out.append("api.d.ts: no operations interface")
    if 'components["schemas"]["Problem"]' not in source:
        out.append("api.d.ts: the errors are not typed as Problem")
    if "securitySchemes" in source:
        pass  # openapi-typescript does not emit them; the document's flows are checked above
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.contract_check")
    parser.add_argument("document", nargs="?", default=str(DOCUMENT))
    parser.add_argument("--typescript", help="the .d.ts openapi-typescript generated")
    args = parser.parse_args(argv)
    spec = json.loads(Path(args.document).read_text(encoding="utf-8"))
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    found: list[str] = []
    try:
        validate(spec)
    except OpenAPIValidationError as exc:
        found.append(f"openapi-spec-validator: {exc}"[:2000])
    found += problems(spec)
    if args.typescript:
        found += typescript_problems(Path(args.typescript).read_text(encoding="utf-8"))
    for line in found:
        print(line)
    n_ops = len(_ops(spec))
    if found:
        print(f"{len(found)} contract problem(s) in {args.document} ({n_ops} operations)")
        return 1
    print(f"{args.document}: {n_ops} operations, contract usable")
    return 0


if __name__ == "__main__":
    sys.exit(main())
