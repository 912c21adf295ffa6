"""Dependencies shared by the incidents, referrals and webhooks routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.incidents.service import Ctx


def get_ctx(request: Request) -> Ctx:
    return Ctx(
        keyring=request.app.state.keyring,
        settings=request.app.state.settings,
        now=request.app.state.clock.now(),
    )


CtxDep = Annotated[Ctx, Depends(get_ctx)]
