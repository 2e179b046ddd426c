"""The GraphiQL playground at `GET /graphql` for browsers: one page and the GraphiQL and React
files that `make playground` copies from npm into `assets/`, all served by the router itself
(no CDN). Subscriptions run over the router's websocket; the token box sets Authorization and
the `connection_init` payload; the plan panel shows `extensions.queryPlan`."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from router.settings import RouterSettings

HERE = Path(__file__).parent
ASSETS = HERE / "assets"
TYPES = {
    "graphiql.min.js": "text/javascript; charset=utf-8",
    "graphiql.min.css": "text/css; charset=utf-8",
    "react.production.min.js": "text/javascript; charset=utf-8",
    "react-dom.production.min.js": "text/javascript; charset=utf-8",
}
# The page's scripts and styles come from this origin only.
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self' ws: wss:"
)


def enabled(settings: RouterSettings) -> bool:
    """On unless turned off; off in production unless MOSAIC_ROUTER_PLAYGROUND=true."""
    if settings.playground is not None:
        return settings.playground
    return settings.env != "production"


class Playground:
    def __init__(self) -> None:
        self.page = (HERE / "index.html").read_bytes()
        self._assets: dict[str, bytes] = {}

    def built(self) -> bool:
        return all((ASSETS / name).is_file() for name in TYPES)

    def page_body(self) -> tuple[int, bytes, bytes]:
        """(status, content type, body) of the page; 503 with the fix when assets are missing."""
        if not self.built():
            text = b"The playground's assets are not built: run `make playground`.\n"
            return 503, b"text/plain; charset=utf-8", text
        return 200, b"text/html; charset=utf-8", self.page

    async def asset(self, request: Request) -> Response:
        name = request.path_params["name"]
        media = TYPES.get(name)
        if media is None:
            return Response(b"not found", 404, media_type="text/plain")
        body = self._assets.get(name)
        if body is None:
            try:
                body = self._assets[name] = (ASSETS / name).read_bytes()
            except OSError:
                return Response(b"run `make playground`", 503, media_type="text/plain")
        return Response(body, media_type=media, headers={"cache-control": "public, max-age=3600"})
