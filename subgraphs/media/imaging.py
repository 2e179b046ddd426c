"""Pillow work, synchronous and pure (bytes in, bytes out): the service runs it in a worker
thread so the event loop never decodes an image.

The type is what the bytes decode as (the file name and the client's content type are never
trusted). The pixel count is checked from the header before any pixel is decoded, so a
decompression bomb costs nothing. EXIF orientation is applied and then every file is re-encoded
from pixels alone: no EXIF, GPS, XMP or ICC block survives into what is stored or served.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

# Formats accepted as uploads, and their content types.
CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
# Formats a variant may be written in.
OUTPUT_FORMATS = ("WEBP", "PNG", "JPEG")
# The variants every upload gets: name -> longest side in pixels.
STANDARD_VARIANTS = {"thumb": 256, "medium": 1024}


class ImageRefused(Exception):
    """The bytes are not an image this service accepts; `code` goes to the client."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Encoded:
    """One file to store: its bytes and what describes them."""

    data: bytes
    format: str
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    @property
    def etag(self) -> str:
        return hashlib.sha256(self.data).hexdigest()[:32]


@dataclass(frozen=True)
class Processed:
    original: Encoded
    variants: dict[str, Encoded]


def _open(data: bytes, max_pixels: int) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in CONTENT_TYPES:
                raise ImageRefused(
                    "UNSUPPORTED_MEDIA_TYPE",
                    f"{image.format} images are not accepted: send PNG, JPEG, WebP or GIF",
                )
            width, height = image.size
            if width * height > max_pixels:
                raise ImageRefused(
                    "IMAGE_TOO_LARGE",
                    f"The image is {width}x{height} pixels; at most {max_pixels} pixels are "
                    "accepted (a decompression bomb?); it was not decoded",
                )
            image.load()
    except (UnidentifiedImageError, SyntaxError, OSError, ValueError) as error:
        raise ImageRefused(
            "UNSUPPORTED_MEDIA_TYPE",
            "The file is not an image this service can read: send PNG, JPEG, WebP or GIF",
        ) from error
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        # Pillow's own guard fired while reading the header (beyond its ~89 M pixel default).
        raise ImageRefused(
            "IMAGE_TOO_LARGE",
            f"The image has more than {max_pixels} pixels (a decompression bomb?); "
            "it was not decoded",
        ) from error
    return image


def _pixels(image: Image.Image) -> Image.Image:
    """Orientation applied, then a copy made of pixels only (no metadata carried along)."""
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    if image.mode == "P" and image.getpalette():
        clean.putpalette(image.getpalette() or [])
    return clean


def _encode(image: Image.Image, fmt: str) -> Encoded:
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    if fmt == "WEBP" and image.mode == "P":
        image = image.convert("RGBA")
    out = io.BytesIO()
    options: dict[str, object] = {"quality": 85} if fmt in ("JPEG", "WEBP") else {}
    image.save(out, format=fmt, **options)
    return Encoded(out.getvalue(), fmt, image.width, image.height)


def _fit(image: Image.Image, width: int, height: int) -> Image.Image:
    """Scaled down (never up) to fit the box, aspect ratio kept."""
    if image.width <= width and image.height <= height:
        return image.copy()
    return ImageOps.contain(image, (width, height), Image.Resampling.LANCZOS)


def process_upload(data: bytes, max_pixels: int) -> Processed:
    """Decode, check, clean and re-encode an upload; make the standard variants (WebP)."""
    image = _open(data, max_pixels)
    fmt = image.format or ""
    clean = _pixels(image)
    variants = {
        name: _encode(_fit(clean, side, side), "WEBP") for name, side in STANDARD_VARIANTS.items()
    }
    return Processed(_encode(clean, fmt), variants)


def resize(data: bytes, width: int, height: int, fmt: str, max_pixels: int) -> Encoded:
    """A variant of a stored original fitting `width` x `height`, in `fmt`."""
    return _encode(_fit(_pixels(_open(data, max_pixels)), width, height), fmt)
