"""`mosaic router`: serve a supergraph."""

from __future__ import annotations

import argparse
import os
import sys

HELP = "serve a supergraph SDL (Apollo's format) as a federated GraphQL router"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--supergraph", help="supergraph SDL file (MOSAIC_ROUTER_SUPERGRAPH)")
    parser.add_argument("--host", help="listen address (MOSAIC_ROUTER_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="listen port (MOSAIC_ROUTER_PORT, default 4000)")
    parser.add_argument("--workers", type=int, help="worker processes (MOSAIC_ROUTER_WORKERS)")


def run(args: argparse.Namespace) -> int:
    import uvicorn

    # Worker processes rebuild settings from the environment: pass the flags down that way.
    for flag, name in (("supergraph", "SUPERGRAPH"), ("host", "HOST"), ("port", "PORT"),
                       ("workers", "WORKERS")):  # fmt: skip
        value = getattr(args, flag)
        if value is not None:
            os.environ[f"MOSAIC_ROUTER_{name}"] = str(value)
    from pydantic import ValidationError

    from router.server.http import RouterHttpProtocol
    from router.server.reload import StartupError, preflight
    from router.settings import RouterSettings

    try:
        settings = RouterSettings()
        preflight(settings)
    except ValidationError as error:
        print(f"error: invalid router settings:\n{error}", file=sys.stderr)
        return 2
    except StartupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    uvicorn.run(
        "router.server.app:create_app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers if settings.workers > 1 else None,
        loop="uvloop",
        http=RouterHttpProtocol,  # httptools, one write per response (router/server/http.py)
        log_level="warning",
        access_log=False,
        # The router never reads the client's address: no X-Forwarded-* rewriting per request.
        proxy_headers=False,
        server_header=False,
    )
    return 0
