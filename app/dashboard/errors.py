"""The dashboard's errors."""

from __future__ import annotations

from app.errors import NotFound, ValidationFailed


class AreaNotFound(NotFound):
    """Unknown, or outside the caller's jurisdiction (the same answer: existence leaks nothing)."""

    code = "area_not_found"
    title_zh = "区划不存在"
    title_en = "Area not found"
    detail = ("没有这个区划，或不在您的管辖范围内", "No such area within your jurisdiction")


class NotATownOrDistrict(ValidationFailed):
    field = (
        "area_code",
        "看板按全区或镇街统计，请填写区或镇街代码",
        "The dashboard covers the district or a town: give a district or town code",
    )
