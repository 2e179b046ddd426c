"""Rover's `supergraph.yaml`: reading it, `${env.NAME}` expansion, and getting each SDL.

```yaml
federation_version: =2.11.0
subgraphs:
  users:
    routing_url: http://localhost:4001/graphql
    schema:
      file: ./schema/subgraphs/users.graphql      # or
      # subgraph_url: http://localhost:4001/graphql   (+ introspection_headers: {...})
      # sdl: "type Query { ... }"
```
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from router.compose.compose import SubgraphSource

ENV_PATTERN = re.compile(r"\$\{env\.([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
SERVICE_QUERY = "query SubgraphIntrospectQuery { _service { sdl } }"


class ConfigError(Exception):
    """supergraph.yaml is missing, malformed, or a subgraph's SDL cannot be read."""


@dataclass(frozen=True)
class SubgraphConfig:
    name: str
    routing_url: str
    file: Path | None = None
    subgraph_url: str | None = None
    introspection_headers: Mapping[str, str] = field(default_factory=dict)
    sdl: str | None = None


@dataclass(frozen=True)
class SupergraphConfig:
    path: Path
    federation_version: str | None
    subgraphs: tuple[SubgraphConfig, ...]


def expand_env(text: str, env: Mapping[str, str]) -> str:
    """Rover's expansion: `${env.NAME}` (must be set) and `${env.NAME:-default}`."""

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        raise ConfigError(f"environment variable {name} is not set (used as ${{env.{name}}})")

    return ENV_PATTERN.sub(replace, text)


def parse_config(text: str, path: Path, env: Mapping[str, str]) -> SupergraphConfig:
    try:
        raw = yaml.safe_load(expand_env(text, env)) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    subgraphs_raw = raw.get("subgraphs") or {}
    if not isinstance(subgraphs_raw, dict):
        raise ConfigError(f"{path}: `subgraphs` must be a mapping of name -> subgraph")
    subgraphs = []
    for name, entry in subgraphs_raw.items():
        subgraphs.append(_subgraph(str(name), entry, path))
    version = raw.get("federation_version")
    return SupergraphConfig(path, None if version is None else str(version), tuple(subgraphs))


def _subgraph(name: str, entry: Any, path: Path) -> SubgraphConfig:
    if not isinstance(entry, dict) or not isinstance(entry.get("schema"), dict):
        raise ConfigError(f"{path}: subgraph {name} needs a `schema` mapping")
    schema = entry["schema"]
    routing_url = entry.get("routing_url") or schema.get("subgraph_url")
    if not routing_url:
        raise ConfigError(f"{path}: subgraph {name} needs a `routing_url`")
    given = [k for k in ("file", "subgraph_url", "sdl") if k in schema]
    if len(given) != 1:
        raise ConfigError(
            f"{path}: subgraph {name}: `schema` needs exactly one of file, subgraph_url, sdl"
        )
    headers = schema.get("introspection_headers") or {}
    return SubgraphConfig(
        name=name,
        routing_url=str(routing_url),
        file=(path.parent / schema["file"]) if "file" in schema else None,
        subgraph_url=schema.get("subgraph_url"),
        introspection_headers={str(k): str(v) for k, v in headers.items()},
        sdl=schema.get("sdl"),
    )


def load_config(path: Path, env: Mapping[str, str]) -> SupergraphConfig:
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    return parse_config(text, path, env)


def fetch_sdl(url: str, headers: Mapping[str, str] | None = None, timeout: float = 10.0) -> str:
    """Federated introspection: `{ _service { sdl } }` over HTTP."""
    try:
        response = httpx.post(
            url, json={"query": SERVICE_QUERY}, headers=dict(headers or {}), timeout=timeout
        )
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ConfigError(f"introspecting {url} failed: {exc}") from exc
    sdl = ((body.get("data") or {}).get("_service") or {}).get("sdl")
    if not isinstance(sdl, str):
        raise ConfigError(f"introspecting {url}: no _service.sdl in the answer ({body})")
    return sdl


def read_sdl(subgraph: SubgraphConfig, from_running: bool = False) -> str:
    """The subgraph's SDL from its file, inline `sdl`, or `_service { sdl }`."""
    if from_running:
        return fetch_sdl(subgraph.subgraph_url or subgraph.routing_url,
                         subgraph.introspection_headers)  # fmt: skip
    if subgraph.sdl is not None:
        return subgraph.sdl
    if subgraph.file is not None:
        try:
            return subgraph.file.read_text()
        except OSError as exc:
            raise ConfigError(f"subgraph {subgraph.name}: cannot read {subgraph.file}") from exc
    assert subgraph.subgraph_url is not None
    return fetch_sdl(subgraph.subgraph_url, subgraph.introspection_headers)


def sources(config: SupergraphConfig, from_running: bool = False) -> list[SubgraphSource]:
    return [
        SubgraphSource(s.name, s.routing_url, read_sdl(s, from_running)) for s in config.subgraphs
    ]
