"""Real image bytes made with Pillow, in any format and size the tests need."""

import io
import random

from PIL import Image

FORMATS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WEBP",
    "image/gif": "GIF",
    "image/avif": "AVIF",
}


def image_bytes(content_type="image/jpeg", width=64, height=48, *, noise=False, mode="RGB", **save_options):
    if noise:
        # Random pixels do not compress, so a few megapixels give a file of several MB.
        rng = random.Random(width * height)
        image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    else:
        image = Image.new(mode, (width, height), (200, 80, 40, 128)[: len(mode)])
    out = io.BytesIO()
    image.save(out, FORMATS[content_type], **save_options)
    return out.getvalue()


def jpeg_with_metadata(extra_bytes, width=640, height=480):
    """A real JPEG with ``extra_bytes`` of comment segments before its frame header, as cameras
    and editors put EXIF, XMP and ICC profiles there."""
    jpeg = image_bytes("image/jpeg", width, height)
    segments = b""
    while extra_bytes > 0:
        chunk = min(extra_bytes, 65_000)
        segments += b"\xff\xfe" + (chunk + 2).to_bytes(2, "big") + b"m" * chunk
        extra_bytes -= chunk
    return jpeg[:2] + segments + jpeg[2:]
