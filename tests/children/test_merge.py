"""Per-field merge of stale edits (issue 19 item 5): two phones on the same version.

The phone's sync edit (POST /sync/children/{id}, `base_version`) and PATCH /children/{id}
(If-Match) follow the same rule, so each scenario runs over both, and over a mix of the two.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Child, ChildChange
from tests.children.factories import create
from tests.conftest import AuthHeaders

URL = "/api/v1/children"
NEW_GUARDIANS = [{"name": "新监护人", "relation": "叔叔", "phone": "13900000000"}]
CHANNELS = ["sync", "patch"]
PAIRS = [(a, b) for a in CHANNELS for b in CHANNELS]


async def edit(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    channel: str,
    cid: str,
    base: int,
    changes: dict[str, Any],
    lang: str | None = None,
) -> httpx.Response:
    """An edit made on version `base`: a village director's phone, or the bureau's PATCH."""
    if channel == "sync":
        return await client.post(
            f"/api/v1/sync/children/{cid}",
            json={"base_version": base, "changes": changes},
            headers=auth("dir1", lang=lang),
        )
    return await client.patch(
        f"{URL}/{cid}", json=changes, headers=auth("admin", lang=lang) | {"If-Match": f'"{base}"'}
    )


async def record(client: httpx.AsyncClient, auth: AuthHeaders, cid: str) -> dict[str, Any]:
    r = await client.get(f"{URL}/{cid}", headers=auth("admin"))
    assert r.status_code == 200
    data: dict[str, Any] = r.json()
    return data


async def changed(client: httpx.AsyncClient, auth: AuthHeaders, cid: str) -> list[list[str]]:
    """The fields of each change in the child's history."""
    h = (await client.get(f"{URL}/{cid}/history", headers=auth("admin"))).json()
    return [[c["field"] for c in e["changes"]] for e in h if e["kind"] == "changed"]


@pytest.mark.parametrize(("first", "second"), PAIRS)
async def test_two_phones_editing_different_fields_of_one_version_both_apply(
    client: httpx.AsyncClient, auth: AuthHeaders, first: str, second: str
) -> None:
    c = await create(client, auth("admin"))
    a = await edit(client, auth, first, c["id"], 1, {"school_name": "第二小学"})
    assert a.status_code == 200, a.text
    assert a.headers["etag"] == '"2"'
    # the second phone also edited version 1, another field: merged, though its version is stale
    b = await edit(client, auth, second, c["id"], 1, {"guardians": NEW_GUARDIANS})
    assert b.status_code == 200, b.text
    assert b.headers["etag"] == '"3"'
    assert b.json()["version"] == 3
    assert b.json()["school_name"] == "第二小学"
    now = await record(client, auth, c["id"])
    assert now["version"] == 3
    assert now["school_name"] == "第二小学"
    assert now["guardians"] == NEW_GUARDIANS
    assert await changed(client, auth, c["id"]) == [["school_name"], ["guardians"]]


@pytest.mark.parametrize(("first", "second"), PAIRS)
async def test_two_phones_editing_the_same_field_the_second_gets_409_and_nothing_applies(
    client: httpx.AsyncClient, auth: AuthHeaders, first: str, second: str
) -> None:
    c = await create(client, auth("admin"))
    a = await edit(client, auth, first, c["id"], 1, {"school_name": "第二小学"})
    assert a.status_code == 200, a.text
    # the second edit touches the same field, and another one nobody changed
    b = await edit(
        client, auth, second, c["id"], 1,
        {"school_name": "第三小学", "school_stage": "junior_secondary"},
    )  # fmt: skip
    assert b.status_code == 409
    assert b.headers["content-type"].startswith("application/problem+json")
    problem = b.json()
    assert problem["code"] == "edit_conflict"
    assert problem["conflicts"] == [
        {"field": "school_name", "yours": "第三小学", "theirs": "第二小学", "base": "测试小学"}
    ]
    assert problem["base_version"] == 1
    assert problem["server_version"] == 2
    assert problem["current_etag"] == '"2"'
    assert "school_name" in problem["detail"]
    assert "本次修改均未保存" in problem["detail"]
    # nothing of it applied: not even the field nobody else changed
    now = await record(client, auth, c["id"])
    assert now["version"] == 2
    assert (now["school_name"], now["school_stage"]) == ("第二小学", "primary")
    assert await changed(client, auth, c["id"]) == [["school_name"]]
    # English on request
    en = await edit(client, auth, second, c["id"], 1, {"school_name": "第三小学"}, lang="en")
    assert en.status_code == 409
    assert en.json()["detail"].startswith("Since version 1, which you edited")
    # the phone resolves it on the version it was told: applied
    ok = await edit(
        client, auth, second, c["id"], 2,
        {"school_name": "第三小学", "school_stage": "junior_secondary"},
    )  # fmt: skip
    assert ok.status_code == 200, ok.text
    assert ok.json()["version"] == 3


@pytest.mark.parametrize("channel", CHANNELS)
async def test_a_field_changed_by_the_bureau_since_conflicts_for_the_phone(
    client: httpx.AsyncClient, auth: AuthHeaders, channel: str
) -> None:
    """A list counts as one field: any change of the guardians since conflicts with an edit of
    them, shown whole on both sides."""
    c = await create(client, auth("admin"))
    old = c["guardians"]
    r = await edit(client, auth, "patch", c["id"], 1, {"guardians": [*old, NEW_GUARDIANS[0]]})
    assert r.status_code == 200, r.text
    mine = [{**old[0], "phone": "13700000000"}]
    r = await edit(client, auth, channel, c["id"], 1, {"guardians": mine})
    assert r.status_code == 409
    assert r.json()["conflicts"] == [
        {"field": "guardians", "yours": mine, "theirs": [*old, NEW_GUARDIANS[0]], "base": old}
    ]


@pytest.mark.parametrize(("first", "second"), PAIRS)
async def test_a_retried_edit_does_not_duplicate(
    client: httpx.AsyncClient, auth: AuthHeaders, first: str, second: str
) -> None:
    c = await create(client, auth("admin"))
    a = {"school_name": "第二小学"}
    b = {"guardians": NEW_GUARDIANS}
    assert (await edit(client, auth, first, c["id"], 1, a)).status_code == 200
    assert (await edit(client, auth, second, c["id"], 1, b)).status_code == 200
    # both phones lost the answer and send their edits again, on the version they edited
    for channel, changes in ((first, a), (second, b), (first, a)):
        again = await edit(client, auth, channel, c["id"], 1, changes)
        assert again.status_code == 200, again.text
        assert again.json()["version"] == 3
        assert again.headers["etag"] == '"3"'
    now = await record(client, auth, c["id"])
    assert now["version"] == 3
    assert await changed(client, auth, c["id"]) == [["school_name"], ["guardians"]]


async def test_a_version_that_never_existed_is_412_and_a_missing_if_match_428(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    c = await create(client, auth("admin"))
    for base in (2, 9):
        for channel in CHANNELS:
            r = await edit(client, auth, channel, c["id"], base, {"school_name": "第二小学"})
            assert r.status_code == 412, (channel, base)
            assert r.json()["current_etag"] == '"1"'
    for tag in ('"0"', "1", "abc"):
        r = await client.patch(
            f"{URL}/{c['id']}", json={"school_name": "x"}, headers=auth("admin") | {"If-Match": tag}
        )
        assert r.status_code == 412, tag
    r = await client.patch(f"{URL}/{c['id']}", json={"school_name": "x"}, headers=auth("admin"))
    assert r.status_code == 428
    assert (await record(client, auth, c["id"]))["version"] == 1


async def test_an_etag_list_naming_a_stale_version_merges(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    c = await create(client, auth("admin"))
    assert (
        await edit(client, auth, "sync", c["id"], 1, {"school_name": "二小"})
    ).status_code == 200
    r = await client.patch(
        f"{URL}/{c['id']}",
        json={"insurance": {"basic_medical": True, "puhuibao": True, "supplementary": False}},
        headers=auth("admin") | {"If-Match": '"7", W/"1"'},
    )
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 3
    assert r.json()["insurance"]["puhuibao"] is True


@pytest.mark.parametrize("channel", CHANNELS)
async def test_without_history_since_the_version_each_field_that_differs_conflicts(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, channel: str
) -> None:
    """A version written without a history entry (before the versions were kept): what changed
    since cannot be told, so the edit conflicts on each field it would change, without base."""
    c = await create(client, auth("admin"))
    await session.execute(
        update(Child).where(Child.id == c["id"]).values(version=Child.version + 1)
    )
    await session.commit()
    r = await edit(
        client, auth, channel, c["id"], 1, {"school_name": "二小", "school_stage": "primary"}
    )
    assert r.status_code == 409
    assert r.json()["conflicts"] == [
        {"field": "school_name", "yours": "二小", "theirs": "测试小学"}
    ]
    # on the current version, applied
    r = await edit(client, auth, channel, c["id"], 2, {"school_name": "二小"})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 3


async def test_each_history_entry_keeps_its_version_and_the_phone_edit_the_ledger_state(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    """The phone's edit wrote an entry with an empty ledger state, which dropped the child from
    the month-end ledger (it reads each child's last entry); now it is like any other change."""
    c = await create(client, auth("admin"))
    assert (
        await edit(client, auth, "sync", c["id"], 1, {"school_name": "二小"})
    ).status_code == 200
    assert (
        await edit(client, auth, "patch", c["id"], 1, {"guardians": NEW_GUARDIANS})
    ).status_code == 200
    entries = (
        await session.scalars(
            select(ChildChange).where(ChildChange.child_id == c["id"]).order_by(ChildChange.seq)
        )
    ).all()
    assert [(e.kind, e.version) for e in entries] == [
        ("created", 1),
        ("changed", 2),
        ("changed", 3),
    ]
    assert entries[1].reason == "phone edit"
    assert entries[1].state["status"] == "active"
    assert entries[1].state["category"] == "orphan"
