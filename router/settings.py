"""Router settings: one object per process, from MOSAIC_ROUTER_* environment variables."""

from __future__ import annotations

from typing import Annotated, Literal

import yaml
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from router.traffic.shaping import Traffic, TrafficShaping, resolve


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
    # Subscriptions and the streaming transports (websockets, SSE, multipart).
    ws_init_timeout: float = 10.0  # seconds before a silent websocket is closed (4408)
    ws_max_operations: int = 100  # operations one websocket runs at once
    ws_max_message_bytes: int = 262_144  # a larger client message closes the socket (1009)
    max_connections_per_caller: int = 100  # websockets and event streams of one caller
    max_subscriptions: int = 20_000  # client subscriptions one router process holds
    subscription_queue: int = 64  # events queued for one client before it is cut off as slow
    subscription_heartbeat: float = 5.0  # seconds: multipart heartbeats, SSE comments, legacy ka
    # MOSAIC_ENV, as the subgraphs read it: production turns off what is for developers
    # (playground, introspection, the query-plan header) and masks error details.
    env: Literal["dev", "production"] = Field(default="dev", validation_alias="MOSAIC_ENV")
    playground: bool | None = None  # GraphiQL at GET /graphql; None: on unless production
    # Python hooks wrapping pipeline stages, MODULE:NAME (router/pipeline/__init__.py).
    hooks: Annotated[list[str], NoDecode] = []
    # Guards, checked before expensive work; 0 turns one off. Far above what real operations
    # need, far below what an attack sends.
    max_body_bytes: int = 2_000_000  # 413 above this (Apollo Router's default)
    # File uploads (multipart/form-data, the GraphQL multipart request spec): a file larger
    # than this is refused (413) as soon as it passes it; so is a request with more files.
    uploads: bool = True
    upload_max_file_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    upload_max_files: int = Field(default=20, gt=0)
    max_tokens: int = 15_000  # lexical tokens the parser reads (Apollo Router's default)
    max_depth: int = 64
    max_aliases: int = 1_000
    max_root_fields: int = 200
    max_directives: int = 20  # on one selection
    cost_mode: Literal["enforce", "measure", "off"] = "enforce"
    max_cost: int = 1_000_000
    cost_list_size: int = 10  # assumed items of a list field without @listSize
    prepare_timeout: float = 10.0  # seconds to prepare (parse, validate, plan) a new document
    # Browsers: CSRF prevention (Apollo Router's) and CORS.
    csrf_prevention: bool = True
    csrf_required_headers: Annotated[list[str], NoDecode] = [
        "x-apollo-operation-name",
        "apollo-require-preflight",
    ]
    cors_origins: Annotated[list[str], NoDecode] = []  # allowed origins; "*" for any
    cors_allow_credentials: bool = False
    # Subgraph response headers passed to the client (router/pipeline/response_headers.py).
    subgraph_response_headers: Annotated[list[str], NoDecode] = ["set-cookie", "cache-control"]

    # Traffic shaping towards subgraphs: extra attempts of a failed query (never a mutation)
    # with exponential backoff and jitter; a circuit breaker per subgraph (0 failures: off).
    subgraph_retries: int = Field(default=2, ge=0, le=10)
    subgraph_retry_backoff: float = Field(default=0.05, ge=0)  # seconds before the first retry
    breaker_failures: int = Field(default=5, ge=0)
    breaker_open_seconds: float = Field(default=60.0, gt=0)
    # The settings above (timeout, retries, breaker, connection cap) for all subgraphs or for
    # one, in JSON or YAML: {"all": {...}, "subgraphs": {"media": {"timeout": 60}}}.
    traffic_shaping: Annotated[TrafficShaping, NoDecode] = TrafficShaping()
    # Upstream trust: HMAC-SHA256 key for signing subgraph requests (subgraphs read the same
    # variable, MOSAIC_ROUTER_SIGNING_KEY, to verify). Unset: requests go unsigned.
    signing_key: str | None = Field(default=None, min_length=32)

    # JWT authentication: keys from a JWKS URL or a static JWKS (JSON); both unset: off.
    jwt_jwks_url: str | None = None
    jwt_jwks: str | None = None
    jwt_algorithms: Annotated[list[str], NoDecode] = ["RS256"]
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_leeway: float = Field(default=60.0, ge=0)  # seconds of clock skew for exp/nbf
    jwt_cookie: str = "mosaic_auth"  # the httpOnly cookie read when there is no Authorization
    jwt_jwks_cache_seconds: float = Field(default=300.0, gt=0)
    jwt_jwks_min_refresh: float = Field(default=10.0, ge=0)  # between refetches on unknown kid
    jwt_claims_header: str = ""  # forward verified claims (JSON) to subgraphs in this header

    # Authorization: the Python callable that decides @policy ("package.module:function").
    policy_hook: str | None = None

    # Rate limits: "100/minute,1000/hour,10000/day" (off when empty), counted per the parts of
    # rate_limit_by (ip, user, operation); in Redis when redis_url is set, else in memory.
    rate_limits: Annotated[list[str], NoDecode] = []
    rate_limit_by: Annotated[list[str], NoDecode] = ["ip"]
    rate_limit_on_redis_failure: Literal["open", "closed"] = "open"
    redis_url: str | None = None
    ip_allow: Annotated[list[str], NoDecode] = []  # CIDRs; when set, only these may call
    ip_deny: Annotated[list[str], NoDecode] = []  # CIDRs refused (checked first)

    # Persisted documents: APQ (Apollo's protocol; in Redis when redis_url is set), and a
    # trusted-documents manifest (`mosaic operations publish`), optionally as a safelist.
    apq: bool = True
    persisted_documents: str | None = None
    persisted_documents_safelist: bool = False

    @model_validator(mode="after")
    def _no_credentials_for_any_origin(self) -> RouterSettings:
        if self.cors_allow_credentials and "*" in self.cors_origins:
            raise ValueError(
                "MOSAIC_ROUTER_CORS_ALLOW_CREDENTIALS needs a list of origins, not '*': "
                "any site could send requests with a user's cookies"
            )
        return self

    def traffic(self, subgraph: str) -> Traffic:
        """One subgraph's traffic shaping: its own entry, then `all`, then the plain settings."""
        defaults = Traffic(
            timeout=self.subgraph_timeout,
            retries=self.subgraph_retries,
            retry_backoff=self.subgraph_retry_backoff,
            breaker_failures=self.breaker_failures,
            breaker_open_seconds=self.breaker_open_seconds,
            max_connections=self.max_connections_per_subgraph,
        )
        return resolve(self.traffic_shaping, defaults, subgraph)

    @field_validator("traffic_shaping", mode="before")
    @classmethod
    def _traffic_text(cls, value: object) -> object:
        try:
            return TrafficShaping.parse(value)
        except yaml.YAMLError as error:
            raise ValueError(f"not JSON or YAML: {error}") from None

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def introspection_enabled(self) -> bool:
        return self.introspection and not self.production

    @property
    def query_plan_exposed(self) -> bool:
        return self.expose_query_plan and not self.production

    @property
    def subgraph_errors_included(self) -> bool:
        return self.include_subgraph_errors and not self.production

    @field_validator(
        "propagate_headers",
        "override_labels",
        "jwt_algorithms",
        "rate_limits",
        "rate_limit_by",
        "ip_allow",
        "ip_deny",
        "hooks",
        "csrf_required_headers",
        "cors_origins",
        "subgraph_response_headers",
        mode="before",
    )
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("propagate_headers", "csrf_required_headers", "subgraph_response_headers")
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

    @field_validator("signing_key", "jwt_jwks_url", "jwt_jwks", "redis_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("jwt_algorithms")
    @classmethod
    def _algorithms(cls, value: list[str]) -> list[str]:
        from router.auth.jwt import KEY_TYPES

        for alg in value:
            if alg not in KEY_TYPES:
                raise ValueError(f"unsupported JWT algorithm {alg!r} (never 'none')")
        return value

    @field_validator("rate_limits")
    @classmethod
    def _limits(cls, value: list[str]) -> list[str]:
        from router.traffic.ratelimit import parse_limit

        for limit in value:
            parse_limit(limit)
        return value

    @field_validator("rate_limit_by")
    @classmethod
    def _by(cls, value: list[str]) -> list[str]:
        for part in value:
            if part not in ("ip", "user", "operation"):
                raise ValueError(f"rate_limit_by takes ip, user, operation; got {part!r}")
        return value

    @field_validator("ip_allow", "ip_deny")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        import ipaddress

        for cidr in value:
            ipaddress.ip_network(cidr, strict=False)
        return value
