"""A parent's fact's evidence may point at a stored document (its scan): the child is enrolled,
the scan uploaded to the child's record, the fact's evidence given its `document_id`."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.children.factories import ORPHAN_PARENTS, create
from tests.conftest import AuthHeaders
from tests.documents.factories import API, pdf, stored

URL = "/api/v1/children"


def _with_document(document_id: str) -> list[dict[str, Any]]:
    father, mother = (dict(p) for p in ORPHAN_PARENTS)
    father["evidence"] = dict(father["evidence"], document_id=document_id)
    return [father, mother]


async def test_evidence_names_its_stored_document(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    h = auth("admin")
    child = await create(client, h)
    data = pdf()
    scan = await stored(client, auth, "child", child["id"], data=data)
    url = f"{URL}/{child['id']}"
    r = await client.patch(
        url, json={"parents": _with_document(scan["id"])}, headers=h | {"If-Match": '"1"'}
    )
    assert r.status_code == 200, r.text
    assert r.json()["parents"][0]["evidence"]["document_id"] == scan["id"]
    # The scan is there for whoever reads the child (the village's director too).
    got = await client.get(f"{API}/{scan['id']}/content", headers=auth("dir1"))
    assert got.status_code == 200
    assert got.content == data


async def test_evidence_cannot_name_a_missing_or_other_document(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    h = auth("admin")
    child = await create(client, h)
    consent = await stored(client, auth, "child", child["id"], kind="consent")
    url = f"{URL}/{child['id']}"
    for document_id in (str(uuid.uuid4()), consent["id"]):
        r = await client.patch(
            url, json={"parents": _with_document(document_id)}, headers=h | {"If-Match": '"1"'}
        )
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "parents.0.evidence.document_id"
