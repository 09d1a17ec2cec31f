"""Image variants (thumbnails and the like) from a verified upload's bytes: the pure core.

No S3, no database, no settings: bytes in, encoded variants out. A background task calls
:func:`render` once per upload with every :class:`Spec` the upload's profile names and stores
each :class:`Rendered` under a key that carries :meth:`Spec.fingerprint`.

What every output is, whatever the source:

* upright: the EXIF orientation (and AVIF's rotation/mirroring) is applied to the pixels;
* bare: no EXIF (so no GPS position), no XMP, no comment and no ICC profile. A source with an
  ICC profile is converted to sRGB first, so its colours survive the profile's removal;
* never larger than the source in either dimension (no upscaling);
* 8-bit RGB, or RGBA where the source has transparency and the format keeps it (WebP, AVIF);
  JPEG output is flattened on white;
* the same bytes for the same ``data`` and ``specs`` (no time stamps, no randomness).

Memory: the source's header is checked against ``max_pixels`` before a single pixel is decoded.
A JPEG is then decoded straight at the smallest of 1/1, 1/2, 1/4 or 1/8 of its size that still
covers the largest variant (libjpeg's DCT scaling, :meth:`PIL.Image.Image.draft`): a
4000 × 3000 photo becomes 2000 × 1500 pixels (12 MB) when the largest variant is 2000 px, and
never 48 MB. PNG, WebP, GIF and AVIF have no such scaled decoding in Pillow: they are decoded at
full size, which ``max_pixels`` bounds (about 4 bytes a pixel, plus the largest variant).

Pillow was chosen over pyvips by measurement (``python -m benchmarks.imaging``).
"""

import hashlib
import io
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageCms, UnidentifiedImageError

from uploads import filetypes

__all__ = ["FITS", "FORMATS", "ImageTooLarge", "Rendered", "Spec", "UnreadableImage", "render"]

# Part of every fingerprint: raise it when equal specs start giving visibly different output
# (another resampling filter, encoder settings, library), so new variants get new keys.
VERSION = 1

FITS = ("inside", "crop")
# format -> (Pillow's name, content type, file name extension), for the types a variant may be made as.
FORMATS = {row.variant: (row.pillow, row.mime, row.extension) for row in filetypes.TYPES if row.variant}
# The source formats rendered; Pillow's other decoders (EPS runs Ghostscript, …) never see the bytes.
SOURCE_FORMATS = tuple(row.pillow for row in filetypes.TYPES)

# EXIF orientation -> the transpose that makes the pixels upright (as ImageOps.exif_transpose).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_ORIENTATION = 0x0112
# The orientations that turn the picture a quarter (5 and 7 also mirror it): width and height swap.
_SIDEWAYS = frozenset({5, 6, 7, 8})
_WHITE = (255, 255, 255)
_SRGB = ImageCms.createProfile("sRGB")


class ImageTooLarge(ValueError):
    """The source has more pixels than ``max_pixels``; nothing was decoded."""


class UnreadableImage(ValueError):
    """The bytes are not a JPEG, PNG, WebP, GIF or AVIF image that can be decoded."""


@dataclass(frozen=True)
class Spec:
    """One variant as a profile names it."""

    size: tuple[int, int]  # (width, height) of the box, in pixels
    # "inside": scaled down to fit inside the box, aspect kept, never scaled up.
    # "crop": scaled to cover the box and centre-cropped to exactly the box; a source smaller
    # than the box is only cropped, to the box's aspect at the source's size (never scaled up).
    fit: str = "inside"
    format: str = "webp"  # "webp" | "avif" | "jpeg"
    quality: int = 80  # 1-100, the encoder's quality scale

    def __post_init__(self) -> None:
        size = tuple(self.size)  # a list from settings is fine; the dataclass stays hashable
        if len(size) != 2 or not all(type(n) is int and n > 0 for n in size):
            raise ValueError(f"Spec.size must be (width, height) in whole pixels above 0, not {self.size!r}")
        if self.fit not in FITS:
            raise ValueError(f"Spec.fit must be one of {', '.join(FITS)}, not {self.fit!r}")
        if self.format not in FORMATS:
            raise ValueError(f"Spec.format must be one of {', '.join(FORMATS)}, not {self.format!r}")
        if type(self.quality) is not int or not 1 <= self.quality <= 100:
            raise ValueError(f"Spec.quality must be a whole number from 1 to 100, not {self.quality!r}")
        object.__setattr__(self, "size", size)

    @property
    def content_type(self) -> str:
        return FORMATS[self.format][1]

    @property
    def extension(self) -> str:
        return FORMATS[self.format][2]

    def fingerprint(self) -> str:
        """16 hex digits naming what this spec makes, for object keys: equal specs, equal
        fingerprints, on every machine and Python; VERSION changes them all."""
        width, height = self.size
        canonical = f"uploads.imaging/{VERSION};{width}x{height};{self.fit};{self.format};q{self.quality}"
        return hashlib.sha256(canonical.encode("ascii")).hexdigest()[:16]


@dataclass(frozen=True)
class Rendered:
    data: bytes
    width: int
    height: int
    content_type: str


def render(data: bytes, specs: Sequence[Spec], *, max_pixels: int = 50_000_000) -> list[Rendered]:
    """Decode the source once (bounded in memory: reduce on load), then make every spec from it,
    largest first. Returns one :class:`Rendered` per spec, in the order of ``specs``.

    Raises :class:`ImageTooLarge` for a source of more than ``max_pixels`` pixels (also above
    Pillow's own decompression-bomb limit, about 179 million) before decoding, and
    :class:`UnreadableImage` for bytes that are not an image of the five formats or are damaged.
    """
    specs = list(specs)
    base = None
    image = _opened(data)
    try:
        width, height = image.size
        if width * height > max_pixels:
            raise ImageTooLarge(
                f"The image is {width} × {height} pixels; at most {max_pixels:,} pixels are rendered."
            )
        if not specs:
            return []
        orientation = _orientation(image)
        sideways = orientation in _SIDEWAYS
        upright = upright_size(image.size, orientation)
        # The least the decoder may shrink to and still cover every variant.
        scale = max(_scale_needed(spec, upright) for spec in specs)
        needed = (math.ceil(upright[0] * scale), math.ceil(upright[1] * scale))
        image.draft(None, needed[::-1] if sideways else needed)  # JPEG only; others ignore it
        try:
            image.load()
        except (OSError, SyntaxError, ValueError, EOFError) as error:
            raise UnreadableImage(f"The image could not be decoded: {error}") from None
        base = _normalised(image, orientation)
    finally:
        # The decoded source's pixels go as soon as they are turned into base (or on an error).
        if base is not image:
            image.close()
    try:
        # The biggest first: its encoder's peak comes while only base and no other output is held.
        order = sorted(range(len(specs)), key=lambda i: -math.prod(_output_size(specs[i], upright)))
        rendered = [None] * len(specs)
        for index in order:
            rendered[index] = _variant(base, upright, specs[index])
        return rendered
    finally:
        base.close()


def _opened(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Our own max_pixels decides; Pillow's error above twice its limit is still refused.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data), formats=SOURCE_FORMATS)
    except Image.DecompressionBombError as error:
        raise ImageTooLarge(str(error)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, TypeError) as error:
        raise UnreadableImage(f"The bytes are not an image that can be rendered: {error}") from None


def upright_size(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    """``size`` (width, height) of pixels stored with EXIF ``orientation``, as they are shown."""
    width, height = size
    return (height, width) if orientation in _SIDEWAYS else (width, height)


def shown_size(image: Image.Image) -> tuple[int, int]:
    """The opened ``image``'s size as a viewer shows it, from its header alone: no pixel is
    decoded, so limits can be checked first. Only EXIF read with the header counts (a JPEG's
    APP1, a PNG's eXIf before the pixels); with a damaged block, the stored size stands.
    """
    raw = image.info.get("exif")
    if not raw:
        return image.size
    exif = Image.Exif()
    try:
        exif.load(raw)
        orientation = exif.get(_ORIENTATION, 1)
    except Exception:  # Pillow raises many kinds on a damaged block; the pixels decide alone
        return image.size
    return upright_size(image.size, orientation)


def _orientation(image: Image.Image) -> int:
    try:
        orientation = image.getexif().get(_ORIENTATION, 1)
    except (OSError, SyntaxError, ValueError, EOFError):  # damaged EXIF: leave the pixels as they are
        return 1
    return orientation if orientation in _UPRIGHT else 1


def _scale_needed(spec: Spec, size: tuple[int, int]) -> float:
    """The fraction of the source's size the variant is made from (1 = every source pixel)."""
    (width, height), (box_width, box_height) = size, spec.size
    if spec.fit == "inside":
        return min(1.0, box_width / width, box_height / height)
    return min(1.0, max(box_width / width, box_height / height))


def _output_size(spec: Spec, size: tuple[int, int]) -> tuple[int, int]:
    (width, height), (box_width, box_height) = size, spec.size
    if spec.fit == "inside":
        if width <= box_width and height <= box_height:
            return width, height
        if width * box_height >= height * box_width:  # as wide as the box or wider: width decides
            return box_width, max(1, _div_round(height * box_width, width))
        return max(1, _div_round(width * box_height, height)), box_height
    if width >= box_width and height >= box_height:
        return box_width, box_height
    # Smaller than the box: the box's aspect at the source's size.
    if width * box_height <= height * box_width:
        return width, max(1, min(height, _div_round(width * box_height, box_width)))
    return max(1, min(width, _div_round(height * box_width, box_height))), height


def _div_round(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, in integers (no float in a pixel count)."""
    return (2 * numerator + denominator) // (2 * denominator)


def _normalised(image: Image.Image, orientation: int) -> Image.Image:
    """The decoded frame, upright, in sRGB, as RGB or (with transparency) RGBA."""
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):  # 16-bit grey PNGs
        image = image.convert("I") if image.mode != "F" else image
        image = image.point(lambda value: value * (1 / 257)).convert("L")
    has_alpha = image.mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in image.info
    icc = image.info.get("icc_profile")
    if icc:
        image = _to_srgb(image, icc, has_alpha)
    mode = "RGBA" if has_alpha else "RGB"
    if image.mode != mode:
        image = image.convert(mode)
    if has_alpha and image.getchannel("A").getextrema() == (255, 255):
        image = image.convert("RGB")  # an alpha channel that hides nothing only costs bytes
    if orientation in _UPRIGHT:
        image = image.transpose(_UPRIGHT[orientation])
    image.info = {}  # nothing of the source's metadata reaches an encoder
    return image


def _to_srgb(image: Image.Image, icc: bytes, has_alpha: bool) -> Image.Image:
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if image.mode not in ("RGB", "RGBA", "CMYK", "L"):
            image = image.convert("RGBA" if has_alpha else "RGB")
        mode = "RGBA" if image.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(image, source, _SRGB, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        # A profile LittleCMS cannot use: the pixels are taken as sRGB, as browsers do.
        return image


def _variant(base: Image.Image, upright: tuple[int, int], spec: Spec) -> Rendered:
    width, height = _output_size(spec, upright)
    image = _resized(base, upright, spec, (width, height))
    pillow_format = FORMATS[spec.format][0]
    if image.mode == "RGBA" and spec.format == "jpeg":
        flat = Image.new("RGB", image.size, _WHITE)
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    out = io.BytesIO()
    if spec.format == "jpeg":
        image.save(out, pillow_format, quality=spec.quality, optimize=True, progressive=True)
    elif spec.format == "webp":
        image.save(out, pillow_format, quality=spec.quality, method=4)
    else:
        image.save(out, pillow_format, quality=spec.quality)
    return Rendered(out.getvalue(), width, height, spec.content_type)


def _resized(base: Image.Image, upright: tuple[int, int], spec: Spec, size: tuple[int, int]) -> Image.Image:
    """The variant's pixels: ``base`` is the upright source, possibly decoded smaller than
    ``upright`` (the source's size); regions are worked out at the source's size."""
    width, height = upright
    out_width, out_height = size
    # The centred part of the source that becomes the variant: all of it for "inside".
    if spec.fit == "inside":
        region = (0.0, 0.0, float(width), float(height))
    elif width * out_height > height * out_width:  # wider than the output: trim left and right
        kept = height * out_width / out_height
        region = ((width - kept) / 2, 0.0, (width + kept) / 2, float(height))
    else:
        kept = width * out_height / out_width
        region = (0.0, (height - kept) / 2, float(width), (height + kept) / 2)
    x_scale, y_scale = base.width / width, base.height / height
    left, right = region[0] * x_scale, region[2] * x_scale
    top, bottom = region[1] * y_scale, region[3] * y_scale
    if abs(right - left - out_width) < 1e-6 and abs(bottom - top - out_height) < 1e-6:
        # Pixel for pixel: a plain crop, no resampling blur.
        left, top = math.floor(left + 1e-6), math.floor(top + 1e-6)
        if (left, top, out_width, out_height) == (0, 0, base.width, base.height):
            return base
        return base.crop((left, top, left + out_width, top + out_height))
    return base.resize(size, Image.Resampling.LANCZOS, box=(left, top, right, bottom), reducing_gap=3.0)
