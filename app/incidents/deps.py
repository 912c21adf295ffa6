"""Dependencies shared by the incidents, referrals and webhooks routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.incidents.service import Ctx


async def get_ctx(request: Request) -> Ctx:
    # async: FastAPI runs a plain `def` dependency in a worker thread (a hand-off per request)
    return Ctx(
        keyring=request.app.state.keyring,
        settings=request.app.state.settings,
        now=request.app.state.clock.now(),
    )


CtxDep = Annotated[Ctx, Depends(get_ctx)]
