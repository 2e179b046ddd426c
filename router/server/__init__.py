"""The router's HTTP server (Starlette)."""

from router.server.app import create_app, create_app_from_env

__all__ = ["create_app", "create_app_from_env"]
