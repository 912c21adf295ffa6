"""ETags and If-Match: single resources carry their version; PATCH needs If-Match.

`check_if_match` refuses any other version (412). `if_match_version` is for resources whose
stale edits are merged field by field (a child record, see app/children/merge.py): it returns
the version the edit was made on and refuses only a version that never existed.
"""

from __future__ import annotations

from fastapi import Response

from app.errors import PreconditionFailed, PreconditionRequired


def etag_for(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag_for(version)


def check_if_match(if_match: str | None, current_version: int) -> None:
    """428 when If-Match is missing, 412 when it names another version."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            "修改记录前须在 If-Match 请求头中给出读取时的 ETag",
            "Send the ETag you read in the If-Match header",
        )
    wanted = {t.strip().removeprefix("W/") for t in if_match.split(",")}
    if "*" in wanted:
        return
    if etag_for(current_version) not in wanted:
        raise PreconditionFailed(
            f"记录已更新到版本 {current_version}，请重新读取后再修改",
            f"The record is now at version {current_version}; read it again",
            extra={"current_etag": etag_for(current_version)},
        )


def if_match_version(if_match: str | None, current_version: int) -> int:
    """The version an edit was made on, for resources that merge stale edits field by field.

    428 when If-Match is missing. The current version when If-Match names it (or is `*`);
    otherwise the newest version it names that did exist (1 … current): a stale edit, which the
    caller merges or refuses with 409 per field. 412 when no version it names ever existed.
    """
    if if_match is None or not if_match.strip():
        check_if_match(if_match, current_version)
    tags = {t.strip().removeprefix("W/") for t in (if_match or "").split(",")}
    if "*" in tags:
        return current_version
    known = [
        int(t[1:-1])
        for t in tags
        if len(t) > 2 and t[0] == t[-1] == '"' and t[1:-1].isdigit() and t[1:-1].isascii()
    ]
    known = [v for v in known if 1 <= v <= current_version]
    if not known:
        raise version_never_existed(current_version)
    return max(known)


def version_never_existed(current_version: int) -> PreconditionFailed:
    """412 for an edit made on a version the record never had."""
    return PreconditionFailed(
        f"您编辑的版本不存在（记录当前为版本 {current_version}），请重新读取后再修改",
        f"The version you edited never existed (the record is at version {current_version}); "
        "read it again",
        extra={"current_etag": etag_for(current_version)},
    )
