"""Failed staff logins: growing delays per (username, client address), never a lock for everyone.

The account lock this replaces let anyone lock anyone out (five wrong passwords for `admin`
from anywhere locked the real admin for 15 minutes) and told an attacker which names exist
(a locked account answered 429, an unknown one 400). Here:

- the key is the pair (username as typed, case-folded; the client's address). The same name
  from another address, the owner's, is unaffected;
- the first LOGIN_FREE_FAILURES failures of a pair cost nothing; each further failure doubles
  the time before that pair may try again (LOGIN_BACKOFF_BASE_SECONDS, 2x, 4x, ... capped at
  LOGIN_BACKOFF_MAX_SECONDS). A try within that time is answered 429 with Retry-After without
  looking at the password;
- names are not looked up for this: an unknown name is delayed exactly as a real one;
- a successful login clears its pair.

The state is in memory, per process (like app/ratelimit.py's buckets): with N API replicas a
pair gets up to N tries per step, still exponentially fewer. At most `max_keys` pairs are kept;
the least recently used are forgotten first (forgetting only gives a pair its free tries back).
The per-address token bucket of the token endpoint (RATE_LIMIT_TOKEN_*) bounds how fast any
one address can try names at all.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.config import Settings


@dataclass
class _Pair:
    failures: int
    not_before: datetime | None


class LoginThrottle:
    def __init__(self, settings: Settings, *, max_keys: int = 100_000) -> None:
        self.free = settings.login_free_failures
        self.base = settings.login_backoff_base_seconds
        self.cap = settings.login_backoff_max_seconds
        self.max_keys = max_keys
        self._pairs: OrderedDict[tuple[str, str], _Pair] = OrderedDict()

    @staticmethod
    def key(username: str, address: str) -> tuple[str, str]:
        return username.strip().casefold(), address

    def wait_seconds(self, key: tuple[str, str], now: datetime) -> int:
        """Whole seconds before `key` may try again (0: it may now)."""
        pair = self._pairs.get(key)
        if pair is None or pair.not_before is None:
            return 0
        left = (pair.not_before - now).total_seconds()
        return max(0, math.ceil(left))

    def failed(self, key: tuple[str, str], now: datetime) -> None:
        pair = self._pairs.get(key)
        if pair is None:
            pair = self._pairs[key] = _Pair(0, None)
            if len(self._pairs) > self.max_keys:
                self._pairs.popitem(last=False)
        else:
            self._pairs.move_to_end(key)
        pair.failures += 1
        over = pair.failures - self.free
        if over > 0:
            delay = min(self.cap, self.base * 2 ** min(over - 1, 40))
            pair.not_before = now + timedelta(seconds=delay)

    def succeeded(self, key: tuple[str, str]) -> None:
        self._pairs.pop(key, None)

    def __len__(self) -> int:
        return len(self._pairs)
