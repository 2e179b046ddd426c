"""IP allow and deny lists (CIDR), Kong's ip-restriction: deny is checked first; when an allow
list is set, only addresses in it may call. Answers are cached per address (bounded)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

CACHE_LIMIT = 10_000


class IpFilter:
    def __init__(self, allow: Iterable[str] = (), deny: Iterable[str] = ()) -> None:
        self.allow = tuple(ipaddress.ip_network(c, strict=False) for c in allow)
        self.deny = tuple(ipaddress.ip_network(c, strict=False) for c in deny)
        self._cache: dict[str, bool] = {}

    def permits(self, address: str) -> bool:
        answer = self._cache.get(address)
        if answer is None:
            answer = self._decide(address)
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            self._cache[address] = answer
        return answer

    def _decide(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return not self.allow  # not an IP (a unix socket peer): only without an allow list
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if any(ip in network for network in self.deny):
            return False
        return not self.allow or any(ip in network for network in self.allow)
