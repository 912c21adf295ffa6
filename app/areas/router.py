from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.areas import service
from app.areas.auth import AreaImporter
from app.areas.schemas import AreaImportResult, AreaLevel, AreaOut
from app.auth.principal import CurrentPrincipal
from app.db import SessionDep
from app.kit.pagination import CursorQuery, LimitQuery, Page
from app.kit.routes import acts, reads
from app.kit.upload import CSV_OR_FILE_BODY, csv_or_file

router = APIRouter(prefix="/api/v1/areas", tags=["areas"])


@router.get(
    "",
    **reads(
        Page[AreaOut],
        "List the areas of the caller's part of the tree (city, districts, towns, villages)",
        errors=(401, 422),
    ),
)
async def list_areas(
    session: SessionDep,
    principal: CurrentPrincipal,
    level: Annotated[AreaLevel | None, Query()] = None,
    parent_code: Annotated[str | None, Query(max_length=12)] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[AreaOut]:
    return await service.list_areas(session, principal, level, parent_code, limit, cursor)


@router.post(
    "/import",
    **acts(
        AreaImportResult,
        "Import areas from CSV (code,name,level,parent_code): multipart `file` or text/csv",
        errors=(400, 401, 403, 408, 413, 415, 422, 429),
        openapi_extra=CSV_OR_FILE_BODY,
    ),
)
async def import_areas(
    request: Request,
    session: SessionDep,
    principal: AreaImporter,
) -> AreaImportResult:
    raw = await csv_or_file(request)
    return await service.import_csv(session, principal, raw)
