"""One settings object per process, read from `MOSAIC_*` environment variables (and `.env`).

Nothing else reads the environment. Every field is listed, with an example, in README.md
("Settings").
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from db import database_url_for


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MOSAIC_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Literal["dev", "production"] = "dev"
    log_level: str = "info"
    host: str = "127.0.0.1"
    # Router port in `mosaic dev`; subgraph N listens on base + N (users 4001, tasks 4002, ...).
    dev_base_port: int = 4000
    data_dir: Path = Path(".data")

    # `{subgraph}` is replaced by the subgraph's name: one database per subgraph.
    database_url: str = "sqlite+aiosqlite:///{data_dir}/{subgraph}.db"
    database_echo: bool = False

    # Domain events: "sqlite" (a log file every dev process shares), "redis" (production:
    # needs redis_url) or "memory" (one process only).
    event_backend: Literal["sqlite", "redis", "memory"] = "sqlite"
    redis_url: str | None = None
    event_stream_maxlen: int = 100_000
    # A consumer that stopped acknowledging (it died) loses its pending events to a live
    # consumer of the same group after this many seconds.
    event_claim_idle_seconds: float = Field(default=30.0, gt=0)
    # The shared event log of the "sqlite" backend (default: data_dir/events.db).
    event_log: Path | None = None
    # Seconds between the outbox relay's passes (writes publish right after their commit;
    # the relay publishes what a crash or a bus outage left in the outbox).
    outbox_relay_interval: float = Field(default=1.0, gt=0)

    # Search: Elasticsearch when set (e.g. http://localhost:9200), else the embedded index in
    # the search subgraph's database (SQLite FTS5, or PostgreSQL tsvector + pg_trgm).
    elasticsearch_url: str | None = None
    elasticsearch_index_prefix: str = "mosaic-"

    # Notification delivery (the notifications worker). Email goes to this SMTP server;
    # webhooks are signed with HMAC-SHA256 of "timestamp.body" under the secret.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    notification_email_from: str = "Mosaic <notifications@mosaic.dev>"
    notification_webhook_secret: str | None = Field(default=None, min_length=32)
    # A delivery is tried this many times (backoff base * 2^attempt with jitter, at most
    # notification_retry_max_seconds apart), then it is a dead letter.
    notification_max_attempts: int = Field(default=5, ge=1)
    notification_retry_base_seconds: float = Field(default=2.0, gt=0)
    notification_retry_max_seconds: float = Field(default=300.0, gt=0)

    # Tokens. RS256 signing keys: PEM in jwt_private_key (production) or generated into
    # data_dir/jwt/ in dev. Verifiers use jwt_jwks (JSON), else jwks_url, else the dev key.
    jwt_issuer: str = "mosaic"
    jwt_audience: str = "mosaic"
    jwt_private_key: str | None = None
    jwt_key_id: str | None = None
    jwt_jwks: str | None = None
    jwks_url: str | None = None
    jwt_hs256_secret: str | None = Field(default=None, min_length=32)  # dev only
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 24 * 3600

    # Upstream trust: the secret the router signs subgraph requests with (the same variable the
    # router reads). Unsigned requests are refused when required (default: in production).
    router_signing_key: str | None = Field(default=None, min_length=32)
    require_signed_requests: bool | None = None  # None: required when env=production
    signature_max_age_seconds: float = 300.0

    # Media subgraph: the largest upload accepted (bytes), the most pixels an image may decode
    # to (larger ones are refused as decompression bombs), where files are stored (default:
    # data_dir/media) and the base URL its file links start with.
    media_max_upload_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    media_max_pixels: int = Field(default=40_000_000, gt=0)
    media_dir: Path | None = None
    media_public_url: str = "http://localhost:4005"
    # An animation's frames x pixels may be at most this (an animation bomb is refused);
    # decoded, each of those pixels takes 4 bytes of memory.
    media_max_animation_pixels: int = Field(default=50_000_000, gt=0)
    # Processes the media worker makes variants in (`mosaic worker media`).
    media_worker_processes: int = Field(default=2, ge=1)
    # S3-compatible storage instead of media_dir when set:
    # s3://bucket/prefix?endpoint=http://host:9000&region=us-east-1. Credentials: the two
    # settings below, else the SDK's own chain (instance profile, ...).
    media_s3_url: str | None = None
    media_s3_access_key_id: str | None = None
    media_s3_secret_access_key: SecretStr | None = None

    # Demo data written by `mosaic seed` (dev only).
    seed_password: str = Field(default="mosaic-demo-1")

    @field_validator(
        "router_signing_key",
        "notification_webhook_secret",
        "media_s3_url",
        "media_s3_access_key_id",
        "media_s3_secret_access_key",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    def database_url_for(self, subgraph: str) -> str:
        template = self.database_url.replace("{data_dir}", str(self.data_dir))
        return database_url_for(template, subgraph)

    @property
    def event_log_path(self) -> Path:
        return self.event_log or self.data_dir / "events.db"

    @property
    def media_path(self) -> Path:
        return self.media_dir or self.data_dir / "media"

    @property
    def is_dev(self) -> bool:
        return self.env == "dev"

    @property
    def signed_requests_required(self) -> bool:
        if self.require_signed_requests is None:
            return not self.is_dev
        return self.require_signed_requests


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings (read once)."""
    return Settings()
