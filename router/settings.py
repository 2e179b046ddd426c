"""Router settings: one object per process, from MOSAIC_ROUTER_* environment variables."""

from __future__ import annotations

from typing import Annotated

from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class RouterSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MOSAIC_ROUTER_", env_file=".env", extra="ignore")

    supergraph: str = "schema/supergraph.graphql"
    host: str = "127.0.0.1"
    port: int = 4000
    workers: int = 1
    subgraph_timeout: float = 30.0  # seconds per subgraph request
    dedup_subgraph_requests: bool = True
    coalesce_queries: bool = False
    batch_entity_fetches: bool = True  # one request per subgraph per plan stage
    expose_query_plan: bool = False
    propagate_headers: Annotated[list[str], NoDecode] = ["authorization"]
    override_labels: Annotated[list[str], NoDecode] = []
    cache_size: int = 1000
    hot_reload: bool = True
    reload_interval: float = 1.0
    include_subgraph_errors: bool = True
    introspection: bool = True
    max_connections_per_subgraph: int = 100
    # Subgraph URLs that replace the supergraph's routing URLs (Apollo Router's
    # override_subgraph_url): "users=http://users:4001/graphql,tasks=http://tasks:4002/graphql".
    subgraph_urls: Annotated[dict[str, str], NoDecode] = {}

    @field_validator("propagate_headers", "override_labels", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("propagate_headers")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return [h.lower() for h in value]

    @field_validator("subgraph_urls", mode="before")
    @classmethod
    def _pairs(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        urls: dict[str, str] = {}
        for part in (p.strip() for p in value.split(",")):
            if not part:
                continue
            name, sep, url = part.partition("=")
            if not sep or not name.strip() or not url.strip():
                raise ValueError(f"expected NAME=URL, got {part!r}")
            urls[name.strip()] = url.strip()
        return urls

    @field_validator("subgraph_urls")
    @classmethod
    def _http_urls(cls, value: dict[str, str]) -> dict[str, str]:
        for name, url in value.items():
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"the URL for subgraph {name!r} must be http(s)://, got {url!r}")
        return value
