"""The delivery loop's circuit breakers, one per channel: in this process (`LocalBreakers`), or
shared by every worker through Redis when the event bus is Redis (`RedisBreakers`), so the
workers stop hammering a failing SMTP server together instead of each finding out on its own.

Both follow the seed's rule (`channels.CircuitBreaker`): closed until 5 failures in a row; then
open (nothing is tried) for 60 s; then half-open: one trial, among all workers, which closes the
breaker on success or opens it again.
"""

from __future__ import annotations

from typing import Any, Protocol

import redis.asyncio as aioredis

from subgraphs.notifications.channels import CircuitBreaker


class Breakers(Protocol):
    async def allow(self, channel: str) -> bool:
        """May a delivery on `channel` be tried now? (In half-open, True for one caller.)"""
        ...

    async def retry_in(self, channel: str) -> float:
        """Seconds until a delivery that was not allowed may be tried."""
        ...

    async def failed(self, channel: str) -> None: ...

    async def succeeded(self, channel: str) -> None: ...


class LocalBreakers:
    def __init__(self, threshold: int = 5, reset_seconds: float = 60.0) -> None:
        self.threshold = threshold
        self.reset_seconds = reset_seconds
        self.breakers: dict[str, CircuitBreaker] = {}

    def of(self, channel: str) -> CircuitBreaker:
        if channel not in self.breakers:
            self.breakers[channel] = CircuitBreaker(self.threshold, self.reset_seconds)
        return self.breakers[channel]

    async def allow(self, channel: str) -> bool:
        return self.of(channel).allow()

    async def retry_in(self, channel: str) -> float:
        return self.of(channel).retry_in()

    async def failed(self, channel: str) -> None:
        self.of(channel).failed()

    async def succeeded(self, channel: str) -> None:
        self.of(channel).succeeded()


# Each script runs atomically in Redis and reads Redis's clock (TIME), so workers on hosts
# whose clocks differ still agree. The hash holds `failures`, `opened_at` (seconds, when it
# opened) and `trial` (when the half-open trial started).
_NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) + tonumber(t[2]) / 1e6 "

_ALLOW = (
    _NOW
    + """
local opened = redis.call('HGET', KEYS[1], 'opened_at')
if not opened then return 1 end
local reset = tonumber(ARGV[1])
if now - tonumber(opened) < reset then return 0 end
local trial = redis.call('HGET', KEYS[1], 'trial')
-- One trial at a time; a trial whose worker never reported (it died) expires after `reset`.
if trial and now - tonumber(trial) < reset then return 0 end
redis.call('HSET', KEYS[1], 'trial', now)
return 1
"""
)

_RETRY_IN = (
    _NOW
    + """
local opened = redis.call('HGET', KEYS[1], 'opened_at')
if not opened then return '0' end
return tostring(math.max(0, tonumber(ARGV[1]) - (now - tonumber(opened))))
"""
)

_FAILED = (
    _NOW
    + """
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if redis.call('HEXISTS', KEYS[1], 'trial') == 1 or failures >= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'opened_at', now)
  redis.call('HDEL', KEYS[1], 'trial')
end
return failures
"""
)


class RedisBreakers:
    def __init__(
        self,
        url: str,
        *,
        prefix: str = "mosaic:",
        threshold: int = 5,
        reset_seconds: float = 60.0,
    ) -> None:
        self._redis = aioredis.Redis.from_url(url)
        self._key = f"{prefix}notifications:breaker:"
        self.threshold = threshold
        self.reset_seconds = reset_seconds
        self._allow: Any = self._redis.register_script(_ALLOW)
        self._retry_in: Any = self._redis.register_script(_RETRY_IN)
        self._failed: Any = self._redis.register_script(_FAILED)

    async def allow(self, channel: str) -> bool:
        return bool(await self._allow(keys=[self._key + channel], args=[self.reset_seconds]))

    async def retry_in(self, channel: str) -> float:
        seconds = await self._retry_in(keys=[self._key + channel], args=[self.reset_seconds])
        return float(seconds)

    async def failed(self, channel: str) -> None:
        await self._failed(keys=[self._key + channel], args=[self.threshold])

    async def succeeded(self, channel: str) -> None:
        await self._redis.delete(self._key + channel)

    async def close(self) -> None:
        await self._redis.aclose()
