"""The authorization directives on Mosaic's own graph, through the router (the `federation`
fixture: every subgraph of supergraph.yaml, seeded, routed by a router that verifies tokens with
the users subgraph's JWKS, as `mosaic dev` does). Admin-only statistics carry
@requiresScopes(scopes: [["admin"]]) and the caller's notifications @authenticated: the router
refuses everyone else with UNAUTHORIZED_FIELD_OR_TYPE before any fetch, and the subgraphs keep
their own checks for anyone who calls them directly."""

from __future__ import annotations

import logging

import pytest

from tests.e2e.test_federated_me import Federation, federation  # noqa: F401
from tests.e2e.test_shop_through_router import sign_in
from tests.utils.graphql import GraphQLClient, Result

# field -> (the query, the subgraph that serves it)
ADMIN_ONLY = {
    "mediaStats": ("{ mediaStats { count bytes } }", "media"),
    "salesStats": ("{ salesStats(top: 1) { orderCount } }", "catalog"),
    "templates": ('{ templates(locale: "en") { eventType } }', "notifications"),
}
SIGNED_IN_ONLY = {
    "notifications": ("{ notifications(first: 1) { edges { node { id } } } }", "notifications"),
    "unreadCount": ("{ unreadCount }", "notifications"),
}


def refused_by_the_router(result: Result, field: str) -> bool:
    """Every guarded field is non-null, so its null reaches the root."""
    return result.data is None and [
        (e["path"], e["extensions"]["code"]) for e in result.errors
    ] == [([field], "UNAUTHORIZED_FIELD_OR_TYPE")]


def subgraph_refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    """A subgraph logs one line per client error it answers (subgraphs.common.errors)."""
    return [r.getMessage() for r in caplog.records if r.name == "mosaic.errors"]


async def test_admin_only_statistics_are_refused_by_the_router_before_any_fetch(
    federation: Federation,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="mosaic.errors")
    client = GraphQLClient(federation.router_url)
    try:
        alice = await sign_in(client, "alice@mosaic.dev")
        admin = await sign_in(client, "admin@mosaic.dev")
        caplog.clear()
        for field, (query, _) in ADMIN_ONLY.items():
            for who, token in (("anonymous", None), ("alice", alice)):
                result = await client.execute(query, token=token)
                assert refused_by_the_router(result, field), (field, who, result)
        # Refused before any fetch: no subgraph answered (and logged) a refusal of its own.
        assert subgraph_refusals(caplog) == []
        served = {f: await client.execute(q, token=admin) for f, (q, _) in ADMIN_ONLY.items()}
    finally:
        await client.aclose()
    for field, result in served.items():
        assert result.errors == [], (field, result.errors)
    assert served["mediaStats"].data["mediaStats"]["count"] >= 0
    assert served["salesStats"].data["salesStats"]["orderCount"] > 0  # the seed has orders
    assert served["templates"].data["templates"]  # the seed's English templates


async def test_a_callers_notifications_need_a_signed_in_caller_at_the_router(
    federation: Federation,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="mosaic.errors")
    client = GraphQLClient(federation.router_url)
    try:
        alice = await sign_in(client, "alice@mosaic.dev")
        caplog.clear()
        for field, (query, _) in SIGNED_IN_ONLY.items():
            result = await client.execute(query)
            assert refused_by_the_router(result, field), (field, result)
        assert subgraph_refusals(caplog) == []
        served = {f: await client.execute(q, token=alice) for f, (q, _) in SIGNED_IN_ONLY.items()}
    finally:
        await client.aclose()
    for field, result in served.items():
        assert result.errors == [], (field, result.errors)
    assert served["unreadCount"].data["unreadCount"] >= 0
    assert isinstance(served["notifications"].data["notifications"]["edges"], list)


async def test_the_subgraphs_keep_their_own_checks_when_called_directly(
    federation: Federation,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Defence in depth: the same fields asked of their subgraph directly (no router) are still
    refused, with the subgraph's own codes (and the subgraph logs it, which is what the tests
    above rely on to see that the router fetched nothing)."""
    caplog.set_level(logging.INFO, logger="mosaic.errors")
    router = GraphQLClient(federation.router_url)
    try:
        alice = await sign_in(router, "alice@mosaic.dev")
    finally:
        await router.aclose()
    codes = {}
    for field, (query, subgraph) in {**ADMIN_ONLY, **SIGNED_IN_ONLY}.items():
        direct = GraphQLClient(federation.subgraphs[subgraph])
        try:
            codes[field] = (await direct.execute(query)).codes
            if field in ADMIN_ONLY:
                codes[f"{field} by alice"] = (await direct.execute(query, token=alice)).codes
        finally:
            await direct.aclose()
    assert codes == {
        "mediaStats": ["UNAUTHENTICATED"],
        "mediaStats by alice": ["FORBIDDEN"],
        "salesStats": ["UNAUTHENTICATED"],
        "salesStats by alice": ["FORBIDDEN"],
        "templates": ["UNAUTHENTICATED"],
        "templates by alice": ["FORBIDDEN"],
        "notifications": ["UNAUTHENTICATED"],
        "unreadCount": ["UNAUTHENTICATED"],
    }
    assert len(subgraph_refusals(caplog)) == len(codes)
