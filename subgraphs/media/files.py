"""`GET /media/{id}/{variant}`: the stored files, with their content type, a strong `ETag`
(a hash of the bytes), `Cache-Control` and `304 Not Modified` on `If-None-Match`.

Variants are public to anyone with the URL and never change (a resize adds a new name), so
they are cacheable for a year. The original (`/media/{id}/original`) is for its owner only:
a bearer token is required and the response is `private`."""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from subgraphs.common.app import RoutesFactory, Runtime
from subgraphs.common.auth import bearer_token
from subgraphs.common.errors import MosaicError
from subgraphs.media.models import Media, Variant
from subgraphs.media.service import ORIGINAL
from subgraphs.media.storage import Storage

PUBLIC = "public, max-age=31536000, immutable"
PRIVATE = "private, no-cache"


def _error(status: int, code: str, message: str) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status)


def _not_modified(request: Request, etag: str) -> bool:
    wanted = request.headers.get("if-none-match")
    if wanted is None:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in wanted.split(",")}
    return "*" in tags or etag in tags


def file_routes(storage: Storage) -> RoutesFactory:
    def routes(runtime: Runtime) -> list[BaseRoute]:
        async def serve_file(request: Request) -> Response:
            media_id = request.path_params["media_id"]
            name = request.path_params["variant"]
            async with runtime.db.sessions() as session:
                media = await session.get(Media, media_id)
                variant = (
                    None
                    if media is None or name == ORIGINAL
                    else await session.scalar(
                        select(Variant).where(Variant.media_id == media_id, Variant.name == name)
                    )
                )
            if media is None or (name != ORIGINAL and variant is None):
                return _error(404, "NOT_FOUND", "No such media file")
            if name == ORIGINAL:
                token = bearer_token(request.headers.get("authorization"))
                if token is None:
                    return _error(401, "UNAUTHENTICATED", "The original needs the owner's token")
                try:
                    caller = await runtime.verifier.verify(token)
                except MosaicError as error:
                    return _error(401, "UNAUTHENTICATED", error.message)
                if caller.user_id != media.owner_id:
                    return _error(403, "FORBIDDEN", "Only the owner may read the original")
                etag, content_type, cache = f'"{media.etag}"', media.content_type, PRIVATE
            else:
                assert variant is not None
                etag, content_type, cache = f'"{variant.etag}"', variant.content_type, PUBLIC
            headers = {"ETag": etag, "Cache-Control": cache}
            if _not_modified(request, etag):
                return Response(status_code=304, headers=headers)
            data = await storage.get(media_id, name)
            if data is None:
                return _error(404, "NOT_FOUND", "The file is missing from storage")
            return Response(data, media_type=content_type, headers=headers)

        return [Route("/media/{media_id}/{variant}", serve_file, methods=["GET", "HEAD"])]

    return routes
