"""Rate limits: fixed windows of a minute, an hour or a day (Kong's rate-limiting plugin, which
the seed systems ran with 100/minute, 1,000/hour and 10,000/day).

A request is counted against every configured window under its client key (the parts of
`rate_limit_by`: client IP, authenticated user, operation name). Windows are aligned to the
clock (a minute window ends at :00), so every router replica agrees on the window without
talking to the others; the counts themselves live in Redis when it is configured (one round
trip: a Lua script increments every window's counter and sets its expiry), else in this
process's memory. A refusal says when the fullest window ends (`Retry-After`).

When Redis is unreachable the limiter fails open (serves the request, logs once per minute) or
closed (refuses with 503), as configured.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger("mosaic.router.ratelimit")

WINDOWS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
LIMIT = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)\s*$")
# KEYS: one counter key per window; ARGV: their TTLs. Returns the counts after incrementing.
SCRIPT = """
local counts = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('EXPIRE', key, ARGV[i]) end
  counts[i] = count
end
return counts
"""


@dataclass(frozen=True)
class Limit:
    count: int
    window: str
    seconds: int

    def __str__(self) -> str:
        return f"{self.count}/{self.window}"


def parse_limit(text: str) -> Limit:
    match = LIMIT.match(text)
    if match is None or int(match.group(1)) <= 0:
        raise ValueError(f"expected COUNT/(second|minute|hour|day), got {text!r}")
    window = match.group(2)
    return Limit(int(match.group(1)), window, WINDOWS[window])


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # seconds, when refused
    limit: Limit | None = None  # the window that refused
    unavailable: bool = False  # refused because the counter store is down (fail-closed)


ALLOWED = Decision(True)


class RateLimiter:
    def __init__(
        self,
        limits: Sequence[Limit],
        redis_url: str | None = None,
        fail_open: bool = True,
        prefix: str = "mosaic:ratelimit",
    ) -> None:
        self.limits = tuple(limits)
        self.fail_open = fail_open
        self.prefix = prefix
        self.redis: aioredis.Redis | None = None
        if redis_url:
            self.redis = aioredis.Redis.from_url(
                redis_url, socket_timeout=0.5, socket_connect_timeout=0.5
            )
            self._script = self.redis.register_script(SCRIPT)
        self._memory: dict[str, int] = {}
        self._memory_sweep = 0.0
        self._last_warning = float("-inf")

    async def hit(self, client: str, now: float | None = None) -> Decision:
        """Count one request of `client`; refused when any window is over its limit."""
        now = time.time() if now is None else now
        keys = []
        for limit in self.limits:
            bucket = int(now // limit.seconds)
            keys.append(f"{self.prefix}:{limit.window}:{bucket}:{client}")
        if self.redis is None:
            counts = self._count_in_memory(keys, now)
        else:
            try:
                counts = await self._script(
                    keys=keys, args=[limit.seconds + 1 for limit in self.limits]
                )
            except (RedisError, OSError) as error:
                if now - self._last_warning >= 60:
                    self._last_warning = now
                    mode = "serving anyway" if self.fail_open else "refusing requests"
                    log.warning("rate limit store unreachable (%s): %s", error, mode)
                if self.fail_open:
                    return ALLOWED
                return Decision(False, retry_after=1, unavailable=True)
        refused: Decision | None = None
        for limit, count in zip(self.limits, counts, strict=True):
            if int(count) > limit.count:
                retry = math.ceil((now // limit.seconds + 1) * limit.seconds - now)
                if refused is None or retry > refused.retry_after:
                    refused = Decision(False, retry_after=max(1, retry), limit=limit)
        return refused or ALLOWED

    def _count_in_memory(self, keys: list[str], now: float) -> list[int]:
        memory = self._memory
        if now - self._memory_sweep >= 60:  # forget ended windows (each key names its bucket)
            self._memory_sweep = now
            live = {f":{limit.window}:{int(now // limit.seconds)}:" for limit in self.limits}
            self._memory = memory = {
                k: v for k, v in memory.items() if any(part in k for part in live)
            }
        counts = []
        for key in keys:
            count = memory.get(key, 0) + 1
            memory[key] = count
            counts.append(count)
        return counts

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
