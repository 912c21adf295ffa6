"""RFC 9457 problem details for every error, in Simplified Chinese by default, English on request."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.dbfault import DATABASE_ERRORS

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://children.daxing.example/problems/"


def wants_english(request: Request | None) -> bool:
    if request is None:
        return False
    return english_preferred(request.headers.get("accept-language", ""))


@lru_cache(maxsize=256)
def english_preferred(header: str) -> bool:
    """Whether an Accept-Language header (RFC 9110 12.5.4) prefers English to Chinese.

    Each range is weighed by its `q` (1 when absent; 0 means "not acceptable"): English wins
    with a higher weight than Chinese, or the same weight named first: `en;q=0.1, zh-CN` and
    `zh, en` are Chinese, `en, zh;q=0.8`, `en, zh` and `en-US` English. A wildcard `*` stands
    for a language not named; other languages count for neither; a malformed `q` drops its
    range. Chinese is the default. Cached: a client sends the same header on every request.
    """
    # (weight, -position): the higher weight wins, and between equal weights the range named
    # first (`en, zh` is English, `zh, en` Chinese).
    best: dict[str, tuple[float, int]] = {}
    for position, part in enumerate(header.split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = -1.0
                if not 0.0 <= q <= 1.0:
                    q = -1.0
        primary = tag.split("-", 1)[0]
        if q <= 0.0 or primary not in ("en", "zh", "*"):
            continue
        if primary not in best or (q, -position) > best[primary]:
            best[primary] = (q, -position)
    none = (0.0, 0)
    star = best.get("*", none)
    en = best.get("en", star)
    zh = best.get("zh", star)
    return en > zh and en[0] > 0


class FieldError(BaseModel):
    field: str = Field(
        description="The field at fault, dotted for nested fields (`parents.0.since`)."
    )
    message: str
    row: int | None = Field(default=None, description="For file uploads: the row number.")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str | None = None
    code: str
    instance: str | None = None
    errors: list[FieldError] | None = None


class AppError(Exception):
    """An error a client can act on. Subclasses set `status`, `code` and the two titles."""

    status: int = 400
    code: str = "bad_request"
    title_zh: str = "请求无效"
    title_en: str = "Bad request"
    # What the error says when raised without words of its own: the (zh, en) detail and the
    # (field, zh, en) field error. A domain's error is then its declaration alone:
    #     class MotherNotFound(NotFound):
    #         code = "caring_mother_not_found"
    #         detail = ("爱心妈妈不存在", "No such caring mother")
    detail: tuple[str, str] | None = None
    field: tuple[str, str, str] | None = None

    def __init__(
        self,
        detail_zh: str | None = None,
        detail_en: str | None = None,
        *,
        errors: Sequence[tuple[str, str, str]] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if detail_zh is None and self.detail is not None:
            detail_zh, detail_en = self.detail
        if errors is None and self.field is not None:
            errors = [self.field]
        super().__init__(detail_en or detail_zh or self.title_en)
        self.detail_zh = detail_zh
        self.detail_en = detail_en or detail_zh
        # (field, message_zh, message_en)
        self.errors = list(errors or [])
        self.extra = extra or {}
        self.headers = headers or {}

    def to_problem(self, request: Request | None, *, english: bool | None = None) -> dict[str, Any]:
        """The problem details, in the request's language (or in English if `english`)."""
        en = wants_english(request) if english is None else english
        body: dict[str, Any] = {
            "type": TYPE_BASE + self.code,
            "title": self.title_en if en else self.title_zh,
            "status": self.status,
            "code": self.code,
        }
        detail = self.detail_en if en else self.detail_zh
        if detail:
            body["detail"] = detail
        if request is not None:
            body["instance"] = request.url.path
        if self.errors:
            body["errors"] = [
                {"field": f, "message": m_en if en else m_zh} for f, m_zh, m_en in self.errors
            ]
        body.update(self.extra)
        return body


class ValidationFailed(AppError):
    status = 422
    code = "validation_failed"
    title_zh = "请求数据校验失败"
    title_en = "Validation failed"


class FileLimitExceeded(ValidationFailed):
    """An uploaded file over one of the reader's safety limits (an XLSX bomb): 422 on `file`.

    `limit` names the limit (`xlsx_max_rows`, `xlsx_max_ratio`, ...) and `maximum` its value,
    in the body as well as in the message.
    """

    code = "file_limit_exceeded"
    title_zh = "文件超出安全限制"
    title_en = "The file exceeds a safety limit"

    def __init__(self, limit: str, maximum: int, reason_zh: str, reason_en: str) -> None:
        zh = f"文件超出安全限制 {limit}：{reason_zh}"
        en = f"The file exceeds the safety limit {limit}: {reason_en}"
        super().__init__(
            zh, en, errors=[("file", zh, en)], extra={"limit": limit, "maximum": maximum}
        )


class MalformedBody(AppError):
    status = 400
    code = "malformed_body"
    title_zh = "请求体格式错误"
    title_en = "Malformed request body"


class NotAuthenticated(AppError):
    status = 401
    code = "not_authenticated"
    title_zh = "未登录或令牌无效"
    title_en = "Not authenticated"

    def __init__(self, detail_zh: str | None = None, detail_en: str | None = None) -> None:
        super().__init__(detail_zh, detail_en, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status = 403
    code = "forbidden"
    title_zh = "无权执行此操作"
    title_en = "Forbidden"


class NotFound(AppError):
    status = 404
    code = "not_found"
    title_zh = "记录不存在"
    title_en = "Not found"


T = TypeVar("T")


def found(value: T | None, detail_zh: str | None = None, detail_en: str | None = None) -> T:
    """`value`, or a 404 (NotFound, with this wording) when there is none:
    `return found(await repo.get_user(session, user_id), "用户不存在", "No such user")`."""
    if value is None:
        raise NotFound(detail_zh, detail_en)
    return value


class Conflict(AppError):
    status = 409
    code = "conflict"
    title_zh = "与现有数据冲突"
    title_en = "Conflict"


class PreconditionRequired(AppError):
    status = 428
    code = "precondition_required"
    title_zh = "修改需要 If-Match 请求头"
    title_en = "If-Match header required"


class PreconditionFailed(AppError):
    status = 412
    code = "precondition_failed"
    title_zh = "记录已被他人修改，请刷新后重试"
    title_en = "The record has changed since you read it"


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"
    title_zh = "请求体过大"
    title_en = "Payload too large"


class UnsupportedMediaType(AppError):
    status = 415
    code = "unsupported_media_type"
    title_zh = "不支持的内容类型"
    title_en = "Unsupported media type"


class RequestTimeout(AppError):
    status = 408
    code = "request_timeout"
    title_zh = "请求超时"
    title_en = "Request timeout"


class TooManyRequests(AppError):
    status = 429
    code = "too_many_requests"
    title_zh = "请求过于频繁"
    title_en = "Too many requests"


class ServiceUnavailable(AppError):
    status = 503
    code = "service_unavailable"
    title_zh = "服务暂不可用"
    title_en = "Service unavailable"


class DatabaseUnavailable(ServiceUnavailable):
    """The database is away (stopped, restarting, unreachable, connection lost): retry later."""

    code = "database_unavailable"
    title_zh = "数据库暂不可用，请稍后重试"
    title_en = "The database is temporarily unavailable; please retry"

    def __init__(self) -> None:
        from app.dbfault import RETRY_AFTER_SECONDS

        super().__init__(
            "暂时无法连接数据库，请求未完成，请稍后重试",
            "The database cannot be reached right now; the request was not completed. "
            "Please retry later.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )


def problem_response(request: Request | None, err: AppError) -> JSONResponse:
    return JSONResponse(
        err.to_problem(request),
        status_code=err.status,
        media_type=PROBLEM_JSON,
        headers=err.headers,
    )


# -- validation messages ------------------------------------------------------------------------

_MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("缺少必填字段", "Field required"),
    "extra_forbidden": ("不允许的字段", "Unknown field"),
    "string_type": ("应为字符串", "Must be a string"),
    "int_type": ("应为整数", "Must be an integer"),
    "int_parsing": ("应为整数", "Must be an integer"),
    "bool_type": ("应为布尔值", "Must be a boolean"),
    "bool_parsing": ("应为布尔值", "Must be a boolean"),
    "float_type": ("应为数字", "Must be a number"),
    "float_parsing": ("应为数字", "Must be a number"),
    "list_type": ("应为列表", "Must be a list"),
    "dict_type": ("应为对象", "Must be an object"),
    "model_type": ("应为对象", "Must be an object"),
    "model_attributes_type": ("应为对象", "Must be an object"),
    "date_type": ("应为日期 YYYY-MM-DD", "Must be a date YYYY-MM-DD"),
    "date_parsing": ("应为日期 YYYY-MM-DD", "Must be a date YYYY-MM-DD"),
    "date_from_datetime_parsing": ("应为日期 YYYY-MM-DD", "Must be a date YYYY-MM-DD"),
    "date_from_datetime_inexact": ("应为日期 YYYY-MM-DD", "Must be a date YYYY-MM-DD"),
    "datetime_type": ("应为带时区的时间", "Must be an RFC 3339 timestamp"),
    "datetime_parsing": ("应为带时区的时间", "Must be an RFC 3339 timestamp"),
    "datetime_from_date_parsing": ("应为带时区的时间", "Must be an RFC 3339 timestamp"),
    "timezone_aware": ("时间须带时区", "Timestamp must include an offset"),
    "uuid_type": ("应为UUID", "Must be a UUID"),
    "uuid_parsing": ("应为UUID", "Must be a UUID"),
    "enum": ("取值不在允许范围内", "Not one of the allowed values"),
    "literal_error": ("取值不在允许范围内", "Not one of the allowed values"),
    "string_too_short": ("长度过短", "Too short"),
    "string_too_long": ("长度过长", "Too long"),
    "string_pattern_mismatch": ("格式不正确", "Wrong format"),
    "too_short": ("项目过少", "Too few items"),
    "too_long": ("项目过多", "Too many items"),
    "greater_than": ("数值过小", "Too small"),
    "greater_than_equal": ("数值过小", "Too small"),
    "less_than": ("数值过大", "Too large"),
    "less_than_equal": ("数值过大", "Too large"),
    "decimal_parsing": ("应为数字字符串", "Must be a decimal string"),
    "json_invalid": ("不是有效的JSON", "Invalid JSON"),
    "json_type": ("不是有效的JSON", "Invalid JSON"),
}


def _field_path(loc: Sequence[int | str]) -> str:
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        parts = parts[1:]
    return ".".join(str(p) for p in parts) or "body"


def translate_validation_errors(errors: Sequence[Any]) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for e in errors:
        typ = str(e.get("type", ""))
        field = _field_path(e.get("loc", ()))
        if typ == "value_error":
            # Our own validators raise ValueError with a Chinese message (`中文|English` allowed).
            msg = str(e.get("ctx", {}).get("error", e.get("msg", "")))
            zh, _, en = msg.partition("|")
            out.append((field, zh.strip(), (en or zh).strip()))
            continue
        zh, en = _MESSAGES.get(typ, ("取值无效", str(e.get("msg", "Invalid value"))))
        if typ in ("enum", "literal_error") and e.get("ctx", {}).get("expected"):
            expected = e["ctx"]["expected"]
            zh, en = f"{zh}：{expected}", f"{en}: {expected}"
        out.append((field, zh, en))
    return out


def _allowed_methods(request: Request) -> list[str]:
    """The methods a path supports (RFC 9110 wants them in a 405's Allow header)."""
    import re

    app = request.app
    table = getattr(app.state, "allowed_methods_table", None)
    if table is None:
        table = []
        for template, ops in app.openapi().get("paths", {}).items():
            pattern = re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template))
            table.append((re.compile(f"^{pattern}$"), sorted(m.upper() for m in ops)))
        app.state.allowed_methods_table = table
    for regex, methods in table:
        if regex.match(request.url.path):
            return list(methods)
    return []


def install(app: FastAPI) -> None:
    """Install the handlers that turn every error into problem+json."""
    app.add_exception_handler(AppError, _on_app_error)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    for cls in DATABASE_ERRORS:
        app.add_exception_handler(cls, _on_database_error)
    app.add_exception_handler(Exception, _on_unexpected)


# Starlette's own HTTP errors (a 404 of no route, a 405…) answered as our problems.
_HTTP_ERRORS: dict[int, type[AppError]] = {
    401: NotAuthenticated,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
}


async def _on_app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return problem_response(request, exc)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errs = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errs):
        return problem_response(
            request, MalformedBody("请求体不是有效的JSON", "The body is not valid JSON")
        )
    return problem_response(request, ValidationFailed(errors=translate_validation_errors(errs)))


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    cls = _HTTP_ERRORS.get(exc.status_code)
    headers = dict(exc.headers or {})
    if cls is not None:
        mapped = cls()
        mapped.headers = {**mapped.headers, **headers}
        return problem_response(request, mapped)
    err = AppError()
    err.status = exc.status_code
    err.code = f"http_{exc.status_code}"
    err.title_zh = err.title_en = str(exc.detail)
    if exc.status_code == 405:
        err.code, err.title_zh, err.title_en = (
            "method_not_allowed",
            "不支持的请求方法",
            "Method not allowed",
        )
        # Starlette names only the first matching route's methods; the path may have more.
        allowed = _allowed_methods(request)
        if allowed:
            headers["Allow"] = ", ".join(allowed)
    err.headers = headers
    return problem_response(request, err)


async def _on_database_error(request: Request, exc: Exception) -> JSONResponse:
    """The database's own errors: 503 when it is away, else on as before (to the 500).

    Handled here, inside the application, so that the response is the request's last word:
    an exception left to the outermost handler has uvicorn drop the client's connection.
    """
    from app.dbfault import is_database_unavailable

    if not is_database_unavailable(exc):
        raise exc
    # Not a bug of ours: the database is away. 503 with Retry-After; the pool reconnects by
    # itself once it is back (app.db), no restart needed.
    log.warning("database unavailable", extra={"path": request.url.path, "error": repr(exc)[:500]})
    return problem_response(request, DatabaseUnavailable())


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    from app.dbfault import is_database_unavailable

    if isinstance(exc, DATABASE_ERRORS) and is_database_unavailable(exc):
        # Raised outside the routes (a middleware): still a 503, not a 500.
        return problem_response(request, DatabaseUnavailable())
    log.exception("unhandled error", extra={"path": request.url.path})
    err = AppError()
    err.status, err.code = 500, "internal_error"
    err.title_zh, err.title_en = "服务器内部错误", "Internal server error"
    return problem_response(request, err)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the problem+json errors a route can give."""
    titles = {
        400: "请求体格式错误 Malformed request",
        401: "未登录 Not authenticated",
        403: "无权 Forbidden",
        404: "不存在或不在辖区内 Not found",
        408: "上传超时 Upload not received in time",
        409: "冲突 Conflict",
        412: "版本已变 Precondition failed",
        413: "请求体过大 Payload too large",
        415: "内容类型不支持 Unsupported media type",
        422: "校验失败 Validation failed",
        428: "需要 If-Match Precondition required",
        429: "请求过于频繁 Too many requests",
        503: "数据库暂不可用 Database unavailable (Retry-After)",
    }
    return {
        s: {"description": titles.get(s, str(s)), "model": Problem, "content": {PROBLEM_JSON: {}}}
        for s in statuses
    }
