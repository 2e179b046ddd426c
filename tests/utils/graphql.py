"""A small GraphQL-over-HTTP client for tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Result:
    status: int
    data: Any
    errors: list[dict[str, Any]]

    @property
    def codes(self) -> list[str | None]:
        return [(e.get("extensions") or {}).get("code") for e in self.errors]


class GraphQLClient:
    def __init__(self, base_url: str, path: str = "/graphql") -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30.0)
        self.path = path

    async def execute(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> Result:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            self.path, json={"query": query, "variables": variables or {}}, headers=headers
        )
        body = response.json()
        return Result(response.status_code, body.get("data"), body.get("errors") or [])

    async def aclose(self) -> None:
        await self.http.aclose()
