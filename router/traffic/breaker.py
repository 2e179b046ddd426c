"""A circuit breaker per subgraph: after `threshold` consecutive failures the circuit opens and
requests fail at once for `open_seconds`; then it is half-open: one trial request goes through,
and its outcome closes the circuit or opens it again. (The notification seed's numbers are the
defaults: 5 failures, 60 s.)"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal

State = Literal["closed", "open", "half_open"]


@dataclass
class Breaker:
    threshold: int = 5
    open_seconds: float = 60.0
    failures: int = 0  # consecutive
    opened_at: float | None = None
    trial: bool = False  # a half-open trial request is in flight
    opened_count: int = 0

    def state(self, now: float | None = None) -> State:
        if self.opened_at is None:
            return "closed"
        now = time.monotonic() if now is None else now
        return "open" if now - self.opened_at < self.open_seconds else "half_open"

    def allow(self, now: float | None = None) -> bool:
        """May a request go out now? In half-open state, only one at a time (the trial)."""
        if self.opened_at is None:
            return True
        state = self.state(now)
        if state == "open" or self.trial:
            return False
        self.trial = True
        return True

    def success(self) -> None:
        self.failures = 0
        self.opened_at = None
        self.trial = False

    def failure(self, now: float | None = None) -> None:
        self.failures += 1
        if self.trial or (self.opened_at is None and self.failures >= self.threshold):
            self.opened_at = time.monotonic() if now is None else now
            self.opened_count += 1
        self.trial = False

    def abandon(self) -> None:
        """The request ended without an outcome (cancelled): let another trial through."""
        self.trial = False

    def retry_after(self, now: float | None = None) -> float:
        if self.opened_at is None:
            return 0.0
        now = time.monotonic() if now is None else now
        return max(0.0, self.open_seconds - (now - self.opened_at))

    def details(self) -> dict[str, Any]:
        return {
            "state": self.state(),
            "consecutive_failures": self.failures,
            "times_opened": self.opened_count,
        }
