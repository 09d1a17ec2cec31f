"""The same ``render(data, specs)`` as ``uploads.imaging``, made with pyvips (libvips) instead of
Pillow: the library measured against it and not chosen (``python -m benchmarks.imaging``).

It keeps the same promises, so the two are timed doing the same work: decode once (libvips's
``thumbnail`` shrinks a JPEG or WebP on load), upright, sRGB, no metadata, never upscaled,
alpha kept for WebP/AVIF and flattened on white for JPEG, the same output sizes. The specs,
errors and :class:`Rendered` are ``uploads.imaging``'s own.

For a libvips of one thread set ``VIPS_CONCURRENCY=1`` before the import. libvips's operation
cache is switched off: a worker renders each upload once, and a benchmark repeating the same
photo must not be served from it.
"""

import math
from collections.abc import Sequence

import pyvips

from uploads.imaging import ImageTooLarge, Rendered, Spec, UnreadableImage, _output_size, _scale_needed

pyvips.cache_set_max(0)

LOADERS = {"jpegload_buffer", "pngload_buffer", "webpload_buffer", "gifload_buffer", "heifload_buffer"}
_KEEP_NONE = {"keep": "none"} if (pyvips.version(0), pyvips.version(1)) >= (8, 15) else {"strip": True}


def library():
    """Which libvips this is: the pyvips-binary wheel's (API mode) or the system's (ABI mode)."""
    version = ".".join(str(pyvips.version(i)) for i in range(3))
    return f"libvips {version} ({'pyvips-binary wheel' if pyvips.API_mode else 'system library, ABI mode'})"


def render(
    data: bytes, specs: Sequence[Spec], *, max_pixels: int = 50_000_000, thumbnail: bool = False
) -> list[Rendered]:
    """As ``uploads.imaging.render``. ``thumbnail=True``: libvips's ``thumbnail_buffer`` decodes
    instead, shrinking a JPEG on load only down to about twice the size needed."""
    specs = list(specs)
    try:
        header = pyvips.Image.new_from_buffer(data, "", access="sequential")  # reads the header only
        loader = header.get("vips-loader")
    except pyvips.Error as error:
        raise UnreadableImage(f"The bytes are not an image that can be rendered: {error}") from None
    if loader not in LOADERS or (loader == "heifload_buffer" and header.get("heif-compression") != "av1"):
        raise UnreadableImage(f"Not a JPEG, PNG, WebP, GIF or AVIF image ({loader}).")
    width, height = header.width, header.height
    if width * height > max_pixels:
        raise ImageTooLarge(
            f"The image is {width} × {height} pixels; at most {max_pixels:,} pixels are rendered."
        )
    if not specs:
        return []
    orientation = header.get("orientation") if header.get_typeof("orientation") else 1
    upright = (height, width) if orientation in (5, 6, 7, 8) else (width, height)
    scale = max(_scale_needed(spec, upright) for spec in specs)
    needed = (math.ceil(upright[0] * scale), math.ceil(upright[1] * scale))
    try:
        if thumbnail:
            # libvips's own way: shrink-on-load leaves a factor of about 2 for its Lanczos
            # (sharper, slower); the exact size, upright, sRGB.
            options = {"export_profile": "srgb"} if header.get_typeof("icc-profile-data") else {}
            base = pyvips.Image.thumbnail_buffer(
                data, needed[0], height=needed[1], size="down", fail_on="error", **options
            )
        else:
            # As Pillow's draft(): a JPEG decoded at 1/1, 1/2, 1/4 or 1/8, at least the size needed.
            options = {"fail_on": "error"}
            if loader == "jpegload_buffer":
                room = min(upright[0] // needed[0], upright[1] // needed[1])
                options["shrink"] = next(s for s in (8, 4, 2, 1) if s <= max(room, 1))
            base = pyvips.Image.new_from_buffer(data, "", **options).autorot()
            if base.get_typeof("icc-profile-data"):
                base = base.icc_transform("srgb", embedded=True)
        base = _normalised(base).copy_memory()  # decoded once, for every spec
    except pyvips.Error as error:
        raise UnreadableImage(f"The image could not be decoded: {error}") from None

    order = sorted(range(len(specs)), key=lambda i: -math.prod(_output_size(specs[i], upright)))
    rendered = [None] * len(specs)
    for index in order:
        rendered[index] = _variant(base, upright, specs[index])
    return rendered


def render_thumbnail(data: bytes, specs: Sequence[Spec], *, max_pixels: int = 50_000_000) -> list[Rendered]:
    return render(data, specs, max_pixels=max_pixels, thumbnail=True)


def _normalised(image):
    if image.interpretation not in ("srgb", "b-w") or image.format != "uchar":
        image = image.colourspace("srgb") if image.interpretation != "srgb" else image
        image = image.cast("uchar") if image.format != "uchar" else image
    if image.interpretation == "b-w":
        image = image.colourspace("srgb")
    if image.bands == 4 and image[3].min() == 255:
        image = image[:3]  # an alpha channel that hides nothing only costs bytes
    return image


def _variant(base, upright, spec):
    out_width, out_height = _output_size(spec, upright)
    width, height = upright
    if spec.fit == "inside":
        region = (0.0, 0.0, float(width), float(height))
    elif width * out_height > height * out_width:
        kept = height * out_width / out_height
        region = ((width - kept) / 2, 0.0, (width + kept) / 2, float(height))
    else:
        kept = width * out_height / out_width
        region = (0.0, (height - kept) / 2, float(width), (height + kept) / 2)
    x_scale, y_scale = base.width / width, base.height / height
    left, top = round(region[0] * x_scale), round(region[1] * y_scale)
    right, bottom = max(left + 1, round(region[2] * x_scale)), max(top + 1, round(region[3] * y_scale))
    image = base
    if (left, top, right, bottom) != (0, 0, base.width, base.height):
        image = image.crop(left, top, right - left, bottom - top)
    if (image.width, image.height) != (out_width, out_height):
        alpha = image.bands == 4
        if alpha:
            image = image.premultiply()
        image = image.resize(out_width / image.width, vscale=out_height / image.height, kernel="lanczos3")
        if alpha:
            image = image.unpremultiply()
        image = image.cast("uchar")
        if (image.width, image.height) != (out_width, out_height):  # resize rounds its own way
            image = image.gravity("centre", out_width, out_height, extend="copy")
    if spec.format == "jpeg":
        if image.bands == 4:
            image = image.flatten(background=[255, 255, 255])
        data = image.jpegsave_buffer(Q=spec.quality, optimize_coding=True, interlace=True, **_KEEP_NONE)
    elif spec.format == "webp":
        data = image.webpsave_buffer(Q=spec.quality, effort=4, **_KEEP_NONE)
    else:
        data = image.heifsave_buffer(Q=spec.quality, compression="av1", **_KEEP_NONE)
    return Rendered(data, out_width, out_height, spec.content_type)
