"""Test images made with Pillow: real encoders, real metadata."""

from __future__ import annotations

import io

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def picture(width: int = 600, height: int = 300, mode: str = "RGB") -> Image.Image:
    """Not a flat color, so resampling and re-encoding are exercised."""
    image = Image.new(mode, (width, height))
    image.putdata(
        [
            ((x * 7) % 256, (y * 5) % 256, ((x + y) * 3) % 256)
            for y in range(height)
            for x in range(width)
        ]
        if mode == "RGB"
        else [((x * 7) % 256, (y * 5) % 256, 90, 200) for y in range(height) for x in range(width)]
    )
    return image


def jpeg_with_gps(width: int = 400, height: int = 200) -> bytes:
    """A JPEG whose EXIF says "rotate 90° clockwise to display" (orientation 6) and carries a
    GPS position and a camera model."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x0110] = "SecretCam 3000"  # Model
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (52.0, 31.0, 12.0)
    gps[3] = "E"
    gps[4] = (13.0, 24.0, 36.0)
    return encode(picture(width, height), "JPEG", exif=exif.tobytes())


def decompression_bomb(side: int = 10_000) -> bytes:
    """A 1-bit PNG of side x side pixels: tens of KB on the wire, hundreds of MB decoded."""
    return encode(Image.new("1", (side, side)), "PNG", optimize=True)


def not_an_image() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def animated_gif(frames: int = 6, size: tuple[int, int] = (300, 200)) -> bytes:
    """A real multi-frame GIF: a square moving across, each frame shown a little longer, and a
    comment block that must not survive."""
    images = []
    for i in range(frames):
        frame = Image.new("RGB", size, (30, 90, 160))
        frame.paste((250, 220, 40), (i * 20, 10, i * 20 + 40, 50))
        images.append(frame)
    return encode(
        images[0],
        "GIF",
        save_all=True,
        append_images=images[1:],
        duration=[40 + 10 * i for i in range(frames)],
        loop=0,
        comment=b"SecretComment",
    )


def animation_bomb(frames: int = 30, side: int = 2000) -> bytes:
    """frames x side x side pixels to decode, a few KB on the wire: each frame differs from
    the last in one pixel, so the encoder stores 1x1 frames on a large canvas."""
    images = []
    for i in range(frames):
        frame = Image.new("L", (side, side), 0)
        frame.putpixel((i, i), 255)
        images.append(frame)
    return encode(images[0], "GIF", save_all=True, append_images=images[1:], duration=50)


def durations(image: Image.Image) -> list[int]:
    found = []
    for index in range(getattr(image, "n_frames", 1)):
        image.seek(index)
        image.load()
        found.append(int(image.info.get("duration", 0)))
    return found
