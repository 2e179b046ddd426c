"""Pillow work, synchronous and pure (bytes in, bytes out), in two steps:

- `clean_original` (the upload request, in a worker thread): the type is what the bytes decode
  as (the file name and the client's content type are never trusted); the pixel count, and for
  an animation frames x pixels, is checked from the header before any pixel is decoded, so a
  decompression or animation bomb costs nothing; EXIF orientation is applied and the image is
  re-encoded from pixels alone, so no EXIF, GPS, XMP, ICC block or GIF comment is stored.
- `make_variants` (the media worker, in a process pool): the standard WebP variants of the
  cleaned original. Animations (GIF, animated WebP) stay animated: every frame is scaled and
  the variant is an animated WebP with the same frame durations and loop count.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

# Formats accepted as uploads, and their content types.
CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
# Formats a variant may be written in.
OUTPUT_FORMATS = ("WEBP", "PNG", "JPEG")
# The variants every upload gets: name -> longest side in pixels.
STANDARD_VARIANTS = {"thumb": 256, "medium": 1024}
# Frames an animation may have at most, however small (each frame costs an object).
MAX_FRAMES = 1000
ORIENTATION = 0x0112
# EXIF orientation -> the transpose that shows the image upright (as ImageOps.exif_transpose).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class ImageRefused(Exception):
    """The bytes are not an image this service accepts; `code` goes to the client."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple[type[ImageRefused], tuple[str, str]]:
        # Raised in a pool process and unpickled in the worker: rebuilt from both fields.
        return (ImageRefused, (self.code, self.message))


@dataclass(frozen=True)
class Limits:
    max_pixels: int  # of one frame
    max_animation_pixels: int  # frames x pixels of an animation


@dataclass(frozen=True)
class Encoded:
    """One file to store: its bytes and what describes them."""

    data: bytes
    format: str
    width: int
    height: int
    frames: int = 1

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    @property
    def etag(self) -> str:
        return hashlib.sha256(self.data).hexdigest()[:32]


@dataclass(frozen=True)
class Frames:
    """An image as pixels only: one frame, or an animation's frames with their durations."""

    format: str  # what the upload decoded as
    images: tuple[Image.Image, ...]
    durations: tuple[int, ...]  # milliseconds per frame
    loop: int


def _check_header(image: Image.Image, limits: Limits) -> None:
    """Refuse from the header alone: nothing is decoded yet."""
    if image.format not in CONTENT_TYPES:
        raise ImageRefused(
            "UNSUPPORTED_MEDIA_TYPE",
            f"{image.format} images are not accepted: send PNG, JPEG, WebP or GIF",
        )
    width, height = image.size
    if width * height > limits.max_pixels:
        raise ImageRefused(
            "IMAGE_TOO_LARGE",
            f"The image is {width}x{height} pixels; at most {limits.max_pixels} pixels are "
            "accepted (a decompression bomb?); it was not decoded",
        )
    frames = int(getattr(image, "n_frames", 1))
    if frames > MAX_FRAMES:
        raise ImageRefused(
            "IMAGE_TOO_LARGE", f"The animation has {frames} frames; at most {MAX_FRAMES}"
        )
    if frames > 1 and frames * width * height > limits.max_animation_pixels:
        raise ImageRefused(
            "IMAGE_TOO_LARGE",
            f"The animation has {frames} frames of {width}x{height} pixels; at most "
            f"{limits.max_animation_pixels} pixels in all are accepted (an animation bomb?); "
            "it was not decoded",
        )


def _upright(image: Image.Image) -> Image.Transpose | None:
    return _UPRIGHT.get(image.getexif().get(ORIENTATION, 1))


def _pixels(frame: Image.Image, upright: Image.Transpose | None, animated: bool) -> Image.Image:
    """Orientation applied, then a copy made of pixels only (no metadata carried along)."""
    image = frame if upright is None else frame.transpose(upright)
    if animated:
        # Frames after the first decode as RGB(A) in Pillow: one mode for all of them.
        image = image.convert("RGBA")
    elif image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    if image.mode == "P" and image.getpalette():
        clean.putpalette(image.getpalette() or [])
    return clean


def decode(data: bytes, limits: Limits) -> Frames:
    """The frames of an upload (or a stored original), checked against the limits first."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            _check_header(image, limits)
            upright = _upright(image)
            animated = int(getattr(image, "n_frames", 1)) > 1
            images: list[Image.Image] = []
            durations: list[int] = []
            for frame in ImageSequence.Iterator(image):
                frame.load()
                images.append(_pixels(frame, upright, animated))
                durations.append(int(frame.info.get("duration") or 100))
            return Frames(
                format=image.format or "",
                images=tuple(images),
                durations=tuple(durations),
                loop=int(image.info.get("loop", 0)),
            )
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        # Pillow's own guard fired while reading the header (beyond its ~89 M pixel default).
        raise ImageRefused(
            "IMAGE_TOO_LARGE",
            f"The image has more than {limits.max_pixels} pixels (a decompression bomb?); "
            "it was not decoded",
        ) from error
    except (UnidentifiedImageError, SyntaxError, OSError, ValueError, EOFError) as error:
        raise ImageRefused(
            "UNSUPPORTED_MEDIA_TYPE",
            "The file is not an image this service can read: send PNG, JPEG, WebP or GIF",
        ) from error


def _still(image: Image.Image, fmt: str) -> Image.Image:
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        return image.convert("RGB")
    if fmt == "WEBP" and image.mode == "P":
        return image.convert("RGBA")
    return image


def encode(frames: Frames, fmt: str) -> Encoded:
    """Write the frames in `fmt`: an animation stays one in GIF, WebP and PNG (APNG); JPEG
    has no animation, so it gets the first frame."""
    first = frames.images[0]
    animated = len(frames.images) > 1 and fmt != "JPEG"
    options: dict[str, object] = {"quality": 85} if fmt in ("JPEG", "WEBP") else {}
    if animated:
        options |= {
            "save_all": True,
            "append_images": list(frames.images[1:]),
            "duration": list(frames.durations),
            "loop": frames.loop,
        }
    out = io.BytesIO()
    _still(first, fmt).save(out, format=fmt, **options)
    return Encoded(
        out.getvalue(), fmt, first.width, first.height, len(frames.images) if animated else 1
    )


def _fit(frames: Frames, width: int, height: int) -> Frames:
    """Scaled down (never up) to fit the box, aspect ratio kept; every frame alike."""
    first = frames.images[0]
    if first.width <= width and first.height <= height:
        return frames
    images = tuple(
        ImageOps.contain(image, (width, height), Image.Resampling.LANCZOS)
        for image in frames.images
    )
    return Frames(frames.format, images, frames.durations, frames.loop)


def clean_original(data: bytes, limits: Limits) -> Encoded:
    """The upload step: decode, check and re-encode in the format it came in (no metadata)."""
    frames = decode(data, limits)
    return encode(frames, frames.format)


def make_variants(data: bytes, limits: Limits) -> dict[str, Encoded]:
    """The worker step: the standard variants (WebP) of a cleaned original."""
    frames = decode(data, limits)
    return {
        name: encode(_fit(frames, side, side), "WEBP") for name, side in STANDARD_VARIANTS.items()
    }


def resize(data: bytes, width: int, height: int, fmt: str, limits: Limits) -> Encoded:
    """A variant of a stored original fitting `width` x `height`, in `fmt`."""
    return encode(_fit(decode(data, limits), width, height), fmt)
