"""One ChildNotFound: code child_not_found, one wording in zh and en, for every domain."""

from __future__ import annotations

from app.children.errors import ChildNotFound


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
