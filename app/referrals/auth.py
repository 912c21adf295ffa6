"""Which agency clients may read and work the referrals: the domain's typed dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.principal import Principal, require_scope

ReferralReader = Annotated[Principal, Depends(require_scope("referrals:read"))]
"""An agency client whose token carries `referrals:read`."""

ReferralWriter = Annotated[Principal, Depends(require_scope("referrals:write"))]
"""An agency client whose token carries `referrals:write` (acknowledge, report progress)."""
