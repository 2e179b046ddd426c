"""Media files in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, ...) through aiobotocore:
`MOSAIC_MEDIA_S3_URL=s3://bucket/prefix?endpoint=http://host:9000&region=us-east-1`.

Keys are `<prefix>/<media id>/<name>`. A put is one PutObject, so readers see the old object
or the new one, never a part. The client is made on first use (in the running event loop) and
closed with the app or worker. Credentials come from the settings and are never logged; without
them the SDK's own chain applies (an instance profile, ...)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import ClientError

from subgraphs.media.storage import check_key

_MISSING = {"NoSuchKey", "404", "NotFound"}
# `/ready` answers within this even when the endpoint does not (the client would retry for long).
PING_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # "" or "some/path/" (always ending in "/")
    endpoint: str | None
    region: str | None
    addressing: str  # "path", "virtual" or "auto"

    @classmethod
    def parse(cls, url: str) -> S3Location:
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError("MOSAIC_MEDIA_S3_URL must look like s3://bucket/prefix?endpoint=...")
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        unknown = set(query) - {"endpoint", "region", "addressing"}
        if unknown:
            raise ValueError(f"MOSAIC_MEDIA_S3_URL: unknown options {sorted(unknown)}")
        endpoint = query.get("endpoint")
        # S3-compatible servers on a host name of their own want path-style URLs.
        addressing = query.get("addressing", "path" if endpoint else "auto")
        if addressing not in ("path", "virtual", "auto"):
            raise ValueError("MOSAIC_MEDIA_S3_URL: addressing is path, virtual or auto")
        prefix = parts.path.strip("/")
        return cls(
            bucket=parts.netloc,
            prefix=f"{prefix}/" if prefix else "",
            endpoint=endpoint,
            region=query.get("region"),
            addressing=addressing,
        )


class S3Storage:
    def __init__(
        self,
        location: S3Location,
        *,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> None:
        self.location = location
        self._credentials = (access_key_id, secret_access_key)
        self._client: Any = None
        self._exit = contextlib.AsyncExitStack()
        self._opening = asyncio.Lock()

    @classmethod
    def from_url(
        cls, url: str, *, access_key_id: str | None = None, secret_access_key: str | None = None
    ) -> S3Storage:
        return cls(
            S3Location.parse(url), access_key_id=access_key_id, secret_access_key=secret_access_key
        )

    def __repr__(self) -> str:  # never the credentials
        return f"S3Storage(bucket={self.location.bucket!r}, prefix={self.location.prefix!r})"

    async def _s3(self) -> Any:
        async with self._opening:
            if self._client is None:
                key_id, secret = self._credentials
                config = AioConfig(
                    s3={"addressing_style": self.location.addressing},
                    # Checksums only where S3 requires them: many S3-compatible servers do not
                    # take the streaming checksums newer SDKs send by default.
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required",
                    retries={"max_attempts": 3, "mode": "standard"},
                )
                self._client = await self._exit.enter_async_context(
                    get_session().create_client(
                        "s3",
                        endpoint_url=self.location.endpoint,
                        region_name=self.location.region,
                        aws_access_key_id=key_id,
                        aws_secret_access_key=secret,
                        config=config,
                    )
                )
            return self._client

    def _key(self, media_id: str, name: str) -> str:
        check_key(media_id, name)
        return f"{self.location.prefix}{media_id}/{name}"

    async def put(self, media_id: str, name: str, data: bytes) -> None:
        s3 = await self._s3()
        await s3.put_object(Bucket=self.location.bucket, Key=self._key(media_id, name), Body=data)

    async def get(self, media_id: str, name: str) -> bytes | None:
        s3 = await self._s3()
        try:
            response = await s3.get_object(
                Bucket=self.location.bucket, Key=self._key(media_id, name)
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise
        async with response["Body"] as body:
            data: bytes = await body.read()
        return data

    async def delete(self, media_id: str) -> None:
        check_key(media_id)
        s3 = await self._s3()
        prefix = f"{self.location.prefix}{media_id}/"
        paginator = s3.get_paginator("list_objects_v2")
        async for page in paginator.paginate(Bucket=self.location.bucket, Prefix=prefix):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:  # a page holds at most 1,000 keys: what one DeleteObjects takes
                await s3.delete_objects(
                    Bucket=self.location.bucket, Delete={"Objects": keys, "Quiet": True}
                )

    async def ping(self) -> None:
        async with asyncio.timeout(PING_TIMEOUT_SECONDS):
            s3 = await self._s3()
            await s3.head_bucket(Bucket=self.location.bucket)

    async def close(self) -> None:
        await self._exit.aclose()
        self._client = None
