"""Validate custom resources in rendered manifests against their CRDs' openAPIV3Schema.

Offline check for the custom resources that kubernetes-validate has no schema for: the
CloudNativePG objects (Cluster, Pooler, ScheduledBackup), the Barman Cloud plugin's ObjectStore
and the prometheus-operator's PodMonitor and PrometheusRule. It reads the CRDs in a directory, picks from the rendered
YAML stream every object whose API group one of those CRDs defines, and validates it with
jsonschema against `spec.versions[name].schema.openAPIV3Schema`.

Strict mode (the default): wherever the schema lists `properties` and neither allows
`additionalProperties` nor sets `x-kubernetes-preserve-unknown-fields`, unknown keys are errors,
as they are for `kubectl apply --validate=strict`, so a misspelt field fails instead of being
silently pruned by the API server. CEL rules (`x-kubernetes-validations`) are not evaluated.

    python k8s/schemas/validate_crds.py --crds k8s/schemas/cloudnative-pg \\
        --require Cluster --others rest.yaml rendered.yaml

Objects of other API groups are written to `--others` (for kubernetes-validate). Exit status 1
when any object fails, when an object of a CRD's group has an unknown kind or version, or when
a `--require`d kind is absent.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft4Validator  # type: ignore[import-untyped,unused-ignore]

Schema = dict[str, Any]
SchemaKey = tuple[str, str]  # (apiVersion, kind)

_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
# The CRDs are ~17,000 lines: libyaml's loader parses them ten times faster when available.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_crd_schemas(crd_dir: Path) -> dict[SchemaKey, Schema]:
    """Map (apiVersion, kind) to the openAPIV3Schema of every served version of every CRD."""
    schemas: dict[SchemaKey, Schema] = {}
    for path in sorted(crd_dir.glob("*.yaml")):
        for doc in yaml.load_all(path.read_text(encoding="utf-8"), Loader=_Loader):
            if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            for version in spec["versions"]:
                if version.get("served", True):
                    key = (f"{spec['group']}/{version['name']}", spec["names"]["kind"])
                    schemas[key] = version["schema"]["openAPIV3Schema"]
    if not schemas:
        raise SystemExit(f"validate_crds: no CustomResourceDefinition found in {crd_dir}")
    return schemas


def strict_schema(schema: Schema) -> Schema:
    """Return a copy of `schema` that rejects keys its `properties` do not list."""
    out: Schema = dict(schema)
    if "properties" in out:
        out["properties"] = {name: strict_schema(sub) for name, sub in out["properties"].items()}
        if "additionalProperties" not in out and not out.get(
            "x-kubernetes-preserve-unknown-fields"
        ):
            out["additionalProperties"] = False
    if isinstance(out.get("additionalProperties"), dict):
        out["additionalProperties"] = strict_schema(out["additionalProperties"])
    if isinstance(out.get("items"), dict):
        out["items"] = strict_schema(out["items"])
    for keyword in _SUBSCHEMA_LISTS:
        if isinstance(out.get(keyword), list):
            out[keyword] = [strict_schema(sub) for sub in out[keyword]]
    return out


def read_documents(paths: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Yield the non-empty YAML documents of each path ('-' is stdin)."""
    for name in paths:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        for doc in yaml.load_all(text, Loader=_Loader):
            if doc is None:
                continue
            if not isinstance(doc, dict):
                raise SystemExit(f"validate_crds: {name}: a document is not a mapping")
            yield doc


def object_errors(doc: dict[str, Any], validator: Draft4Validator) -> list[str]:
    """Human-readable schema violations of one object, sorted by location."""
    messages = []
    for error in validator.iter_errors(doc):
        location = ".".join(str(part) for part in error.absolute_path) or "<root>"
        messages.append(f"{location}: {error.message}")
    return sorted(messages)


def describe(doc: dict[str, Any]) -> str:
    name = (doc.get("metadata") or {}).get("name", "<unnamed>")
    return f"{doc.get('kind')}/{name} ({doc.get('apiVersion')})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--crds",
        type=Path,
        action="append",
        required=True,
        help="directory of CRD YAML files (repeat for several)",
    )
    parser.add_argument("--others", type=Path, help="write objects of other API groups here")
    parser.add_argument(
        "--require", action="append", default=[], metavar="KIND", help="kind that must be present"
    )
    parser.add_argument(
        "--no-strict", dest="strict", action="store_false", help="allow unknown fields"
    )
    parser.add_argument("manifests", nargs="+", help="rendered YAML files ('-' for stdin)")
    args = parser.parse_args(argv)

    schemas: dict[SchemaKey, Schema] = {}
    for crd_dir in args.crds:
        schemas.update(load_crd_schemas(crd_dir))
    groups = {api_version.split("/")[0] for api_version, _ in schemas}
    validators: dict[SchemaKey, Draft4Validator] = {}
    others: list[dict[str, Any]] = []
    seen_kinds: set[str] = set()
    failures = 0

    for doc in read_documents(args.manifests):
        api_version = str(doc.get("apiVersion", ""))
        if api_version.split("/")[0] not in groups:
            others.append(doc)
            continue
        key = (api_version, str(doc.get("kind", "")))
        if key not in schemas:
            print(f"FAIL {describe(doc)}: no CRD defines this kind and version")
            failures += 1
            continue
        if key not in validators:
            schema = strict_schema(schemas[key]) if args.strict else schemas[key]
            validators[key] = Draft4Validator(schema)
        errors = object_errors(doc, validators[key])
        seen_kinds.add(key[1])
        if errors:
            failures += 1
            print(f"FAIL {describe(doc)}")
            for message in errors:
                print(f"     {message}")
        else:
            print(f"OK   {describe(doc)}")

    for kind in args.require:
        if kind not in seen_kinds:
            print(f"FAIL required kind {kind} not found in the manifests")
            failures += 1

    if args.others is not None:
        args.others.write_text(yaml.safe_dump_all(others, sort_keys=False), encoding="utf-8")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
