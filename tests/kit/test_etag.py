"""ETag and If-Match: 428 without it, 412 for another version, `*` and lists accepted.

`if_match_version` (resources merging stale edits per field): the version edited, 412 only for
a version that never existed."""

from __future__ import annotations

import pytest
from fastapi import Response

from app.errors import PreconditionFailed, PreconditionRequired
from app.kit.etag import check_if_match, etag_for, if_match_version, set_etag


def test_set_etag() -> None:
    response = Response()
    set_etag(response, 3)
    assert response.headers["etag"] == '"3"'
    assert etag_for(12) == '"12"'


@pytest.mark.parametrize("header", [None, "", "   "])
def test_missing_if_match_is_428(header: str | None) -> None:
    with pytest.raises(PreconditionRequired) as info:
        check_if_match(header, 1)
    assert info.value.status == 428


@pytest.mark.parametrize("header", ['"2"', "1", '"1 "', '"11"', 'W/"2"'])
def test_other_version_is_412(header: str) -> None:
    with pytest.raises(PreconditionFailed) as info:
        check_if_match(header, 1)
    assert info.value.status == 412
    assert info.value.extra["current_etag"] == '"1"'


@pytest.mark.parametrize("header", ['"1"', ' "1" ', 'W/"1"', '"3", "1"', "*"])
def test_matching_if_match_passes(header: str) -> None:
    check_if_match(header, 1)


@pytest.mark.parametrize("header", [None, "", "   "])
def test_merging_resources_still_need_if_match(header: str | None) -> None:
    with pytest.raises(PreconditionRequired):
        if_match_version(header, 3)


@pytest.mark.parametrize(
    ("header", "edited"),
    [
        ('"3"', 3),
        ("*", 3),
        ('"1"', 1),
        ('W/"2"', 2),
        ('"1", "2"', 2),
        ('"9", "2"', 2),
        ('"3", "1"', 3),
    ],
)
def test_a_stale_version_that_existed_is_the_version_edited(header: str, edited: int) -> None:
    assert if_match_version(header, 3) == edited


@pytest.mark.parametrize("header", ['"4"', '"0"', '"-1"', "2", '"2 "', '"x"', '"²"', '"9", "4"'])
def test_a_version_that_never_existed_is_412(header: str) -> None:
    with pytest.raises(PreconditionFailed) as info:
        if_match_version(header, 3)
    assert info.value.status == 412
    assert info.value.extra["current_etag"] == '"3"'
