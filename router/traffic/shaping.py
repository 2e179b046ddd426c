"""Traffic shaping per subgraph, as Apollo Router's `traffic_shaping.all` and
`traffic_shaping.subgraphs.NAME`: MOSAIC_ROUTER_TRAFFIC_SHAPING holds JSON (or YAML)

    {"all": {"timeout": 10}, "subgraphs": {"media": {"timeout": 60, "breaker_failures": 0}}}

Durations are seconds, or Apollo's strings ("60s", "500ms"). A subgraph's value comes from its
own entry, else from `all`, else from the plain settings
(MOSAIC_ROUTER_SUBGRAPH_TIMEOUT, ..._SUBGRAPH_RETRIES, ..._BREAKER_*, ..._MAX_CONNECTIONS_...).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)\s*$")
UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0}


class SubgraphTraffic(BaseModel):
    """What may be set for all subgraphs or for one (unset: inherited)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout: float | None = Field(default=None, gt=0)  # seconds per subgraph request
    retries: int | None = Field(default=None, ge=0, le=10)  # extra attempts of a failed query
    retry_backoff: float | None = Field(default=None, ge=0)  # seconds before the first retry
    breaker_failures: int | None = Field(default=None, ge=0)  # 0: no circuit breaker
    breaker_open_seconds: float | None = Field(default=None, gt=0)
    max_connections: int | None = Field(default=None, ge=1)  # keep-alive pool size

    @field_validator("timeout", "retry_backoff", "breaker_open_seconds", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        if isinstance(value, str):
            found = DURATION.match(value)
            if found is None:
                raise ValueError(f"expected seconds or a duration like '60s' or '500ms': {value!r}")
            return float(found.group(1)) * UNIT[found.group(2)]
        return value


class TrafficShaping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    all: SubgraphTraffic = SubgraphTraffic()
    subgraphs: dict[str, SubgraphTraffic] = {}

    @classmethod
    def parse(cls, value: object) -> object:
        """The setting's text (JSON is YAML too) as data for validation."""
        if isinstance(value, str):
            return yaml.safe_load(value) if value.strip() else {}
        return value


@dataclass(frozen=True, slots=True)
class Traffic:
    """One subgraph's resolved traffic settings."""

    timeout: float
    retries: int
    retry_backoff: float
    breaker_failures: int
    breaker_open_seconds: float
    max_connections: int


def resolve(shaping: TrafficShaping, defaults: Traffic, name: str) -> Traffic:
    """`name`'s settings: its entry, then `all`, then `defaults`."""
    values: dict[str, Any] = {}
    for layer in (shaping.subgraphs.get(name), shaping.all):
        if layer is None:
            continue
        for key, value in layer.model_dump(exclude_none=True).items():
            values.setdefault(key, value)
    return dataclasses.replace(defaults, **values) if values else defaults
