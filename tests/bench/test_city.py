"""bench.city's generated city passes the app's own checks, and loads into a migrated database.

The figures of the benchmark are only worth quoting if its data is what the service would hold:
an area tree the areas import accepts (city → district → town → village, materialised paths),
ID numbers with valid GB 11643 check characters stored as the children service stores them
(encrypted with the ID context, HMAC-hashed, masked), one director per village, and screening
records whose pre-aggregated statistics agree with the records.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, date, datetime

import httpx
from sqlalchemy import text

from app.areas import service as areas_service
from app.auth.tokens import create_access_token
from app.children.projection import ID_CONTEXT
from app.db import create_engine, create_sessionmaker
from app.kit import idnumber
from app.main import create_app
from app.manage import scratch_database
from app.models import Area
from bench import city
from tests.conftest import make_settings

TINY = city.Size(
    towns=2, villages=5, children=6, screening=300, months=2, seconds=1, import_rows=50,
    sync_phones=1,
)  # fmt: skip


def _csv(rows: list[dict[str, object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code", "name", "level", "parent_code"])
    for r in rows:
        writer.writerow([r["code"], r["name"], r["level"], r["parent_code"] or ""])
    return out.getvalue().encode()


def test_the_city_of_16_districts_is_an_area_tree_the_areas_import_accepts() -> None:
    rows, districts = city.areas(16, city.FULL)
    by_level: dict[str, list[dict[str, object]]] = {}
    for r in rows:
        by_level.setdefault(str(r["level"]), []).append(r)
    # The city and its districts as stored (the bootstrap and the city admin create them) ...
    (root,) = by_level["city"]
    assert (root["code"], root["parent_code"], root["path"]) == (city.CITY_CODE, None, "110100/")
    existing = {str(r["code"]): Area(**r) for r in [root, *by_level["district"]]}
    for d in by_level["district"]:
        assert d["parent_code"] == city.CITY_CODE
        assert d["path"] == f"{city.CITY_CODE}/{d['code']}/"
    # ... and every district's towns and villages through the areas import's own checks.
    header, lines = areas_service._read_table(_csv(by_level["town"] + by_level["village"]))
    checked, numbers, errors = areas_service._check_rows(header, lines)
    assert errors == []
    assert areas_service._check_against_tree(checked, numbers, existing, in_city=True) == []
    written, inserted, _, _ = areas_service._with_paths(checked, existing)
    # the import derives the same materialised paths as the generator writes
    assert {r["code"]: r["path"] for r in written} == {
        r["code"]: r["path"] for r in by_level["town"] + by_level["village"]
    }
    assert inserted == len(written)
    levels = Counter(r["level"] for r in rows)
    assert levels == {"city": 1, "district": 16, "town": 320, "village": 16 * 688}
    assert 10_900 < levels["village"] < 11_100  # the "11,000 villages"
    assert {d.code for d in districts} == {code for code, _ in city.DISTRICTS}


def test_one_director_per_village_and_the_staff_of_each_district() -> None:
    _, districts = city.areas(4, city.SMALL)
    users = city.users(districts, "x")
    roles = Counter(u[4] for u in users)
    directors = [u[5] for u in users if u[4] == "village_director"]
    villages = [v for d in districts for v in d.villages]
    assert sorted(directors) == sorted(villages)
    assert roles["district_admin"] == 4
    assert roles["town_supervisor"] == 4 * city.SMALL.towns
    assert roles["city_admin"] == roles["city_viewer"] == 1
    assert len({u[1] for u in users}) == len(users)  # usernames unique


def test_children_have_valid_id_numbers_of_their_district() -> None:
    _, districts = city.areas(16, city.FULL)
    numbers = []
    for k, d in enumerate(districts):
        for c in city.children(d, city.FULL.children, seed=k, today=date(2026, 6, 15)):
            parsed = idnumber.parse(c.id_number, today=date(2026, 6, 15))  # check character
            assert parsed.division_code == d.code
            assert parsed.birth_date == c.birth_date
            assert parsed.gender == c.gender
            assert c.village_code in d.town_of
            numbers.append(c.id_number)
    assert len(numbers) == 16 * 206  # the "about 3,300 children"
    assert len(set(numbers)) == len(numbers)


async def test_a_loaded_city_reads_back_through_the_app(database_url: str) -> None:
    async with scratch_database(database_url) as url:
        settings = make_settings(url, city_code=city.CITY_CODE)
        data = await city.load(url, settings, 2, TINY)
        assert (data.children, data.visits, data.screening) == (12, 24, 600)
        ring = city.keyring(settings)
        engine = create_engine(url, settings)
        try:
            async with engine.connect() as conn:
                kids = (
                    await conn.execute(
                        text("SELECT id_number_enc, id_number_hash, id_number_masked FROM children")
                    )
                ).all()
                for enc, digest, masked in kids:
                    number = ring.decrypt(enc, context=ID_CONTEXT)
                    idnumber.parse(number)
                    assert ring.lookup_hash(number) == digest
                    assert idnumber.mask(number) == masked
                stats = (await conn.execute(text("SELECT sum(n) FROM screening_stats"))).scalar()
                assert stats == 600
                orphans = (
                    await conn.execute(
                        text(
                            "SELECT count(*) FROM users u LEFT JOIN areas a ON a.code = u.area_code "
                            "WHERE a.code IS NULL"
                        )
                    )
                ).scalar()
                assert orphans == 0
            # The service reads the generated rows as its own: a district admin lists the children
            # of their district (and only those), decrypting one of them.
            app = create_app(settings, engine=engine, sessionmaker=create_sessionmaker(engine))
            second = data.districts[1]
            token = create_access_token(
                settings,
                now=datetime.now(UTC),
                subject=data.staff[second.code],
                kind="user",
                extra={},
            )[0]
            h = {"Authorization": f"Bearer {token}"}
            transport = httpx.ASGITransport(app=app)
            async with (
                app.router.lifespan_context(app),
                httpx.AsyncClient(transport=transport, base_url="http://t") as c,
            ):
                listed = await c.get("/api/v1/children", params={"limit": 50}, headers=h)
                assert listed.status_code == 200, listed.text
                items = listed.json()["items"]
                assert len(items) == TINY.children
                assert {i["village_code"][:6] for i in items} == {second.code}
                one = await c.get(f"/api/v1/children/{items[0]['id']}", headers=h)
                assert one.status_code == 200, one.text
        finally:
            await engine.dispose()
