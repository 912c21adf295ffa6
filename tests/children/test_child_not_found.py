"""One ChildNotFound: code child_not_found, one wording in zh and en, for every domain."""

from __future__ import annotations

import uuid

import httpx

from app.children.errors import ChildNotFound
from tests.children.factories import create
from tests.conftest import AuthHeaders


def test_one_error_for_a_child_not_found() -> None:
    err = ChildNotFound()
    zh = err.to_problem(None)
    en = err.to_problem(None, english=True)
    assert (zh["status"], zh["code"]) == (404, "child_not_found")
    assert zh["detail"] == "儿童不存在或不在您的辖区内"
    assert en["detail"] == "No such child in your jurisdiction"
    assert ChildNotFound.field_error("child_ids.0") == (
        "child_ids.0",
        "儿童不存在或不在您的辖区内",
        "No such child in your jurisdiction",
    )


async def test_the_ledger_answers_the_same_for_an_unknown_child_and_one_out_of_reach(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    c = await create(client, auth("admin"))
    for user, cid in (("dir2", c["id"]), ("admin", str(uuid.uuid4()))):
        r = await client.get(f"/api/v1/children/{cid}", headers=auth(user))
        assert (r.status_code, r.json()["code"]) == (404, "child_not_found")
        assert r.json()["detail"] == "儿童不存在或不在您的辖区内"
        history = await client.get(
            f"/api/v1/children/{cid}/history", headers=auth(user) | {"Accept-Language": "en"}
        )
        assert (history.status_code, history.json()["code"]) == (404, "child_not_found")
        assert history.json()["detail"] == "No such child in your jurisdiction"
