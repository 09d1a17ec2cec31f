"""Real image bytes made with Pillow, in any format and size the tests need."""

import io
import random

from PIL import Image

FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/gif": "GIF", "image/avif": "AVIF"}


def image_bytes(content_type="image/jpeg", width=64, height=48, *, noise=False):
    if noise:
        # Random pixels do not compress, so a few megapixels give a file of several MB.
        rng = random.Random(width * height)
        image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    else:
        image = Image.new("RGB", (width, height), (200, 80, 40))
    out = io.BytesIO()
    image.save(out, FORMATS[content_type])
    return out.getvalue()
