"""ETags and If-Match: single resources carry their version; PATCH needs If-Match."""

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
