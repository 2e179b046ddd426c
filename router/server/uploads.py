"""POST /graphql with `multipart/form-data`: file uploads (the GraphQL multipart request spec).

The request is read as it arrives (router/server/multipart.py) and run by the pipeline
(`Pipeline.upload`): CSRF prevention, auth and the document stages see it like any request;
the files stream to the one subgraph that takes them (router/executor/upload.py).
MOSAIC_ROUTER_UPLOADS=false turns this off: multipart requests then get the JSON path's 415.
"""

from __future__ import annotations

from starlette.types import Receive, Send

from router.pipeline.types import HttpRequest
from router.server.multipart import MultipartForm, UploadLimits
from router.server.reload import StateHolder
from router.settings import RouterSettings


class Uploads:
    def __init__(self, holder: StateHolder, settings: RouterSettings) -> None:
        self.holder = holder
        self.limits = UploadLimits(
            max_field_bytes=settings.max_body_bytes,
            max_file_bytes=settings.upload_max_file_bytes,
            max_files=settings.upload_max_files,
        )

    async def __call__(
        self,
        http: HttpRequest,
        content_type: bytes,
        receive: Receive,
        send: Send,
        cors: list[tuple[bytes, bytes]] | None,
    ) -> None:
        form = MultipartForm(receive, content_type, self.limits)
        try:
            # A refusal may come before the end of the body: uvicorn drops the rest of it
            # unread (the connection stays usable), so the client reads the answer at once.
            response = await self.holder.current.upload(http, form)
        finally:
            form.close()
        await _answer(send, response.status, list(response.headers), response.body, cors)


async def _answer(
    send: Send,
    status: int,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    cors: list[tuple[bytes, bytes]] | None,
) -> None:
    headers = [*headers, (b"content-length", b"%d" % len(body))]
    if cors:
        headers += cors
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
