"""The rules a request and a stored object must pass. Pure functions: no I/O, no models."""

import base64
import io
import re
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from uploads import conf
from uploads.errors import InvalidField, TooLarge, UnsupportedType, VerificationFailed

PILLOW_FORMATS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WEBP",
    "image/gif": "GIF",
    "image/avif": "AVIF",
}
TYPE_NAMES = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WebP",
    "image/gif": "GIF",
    "image/avif": "AVIF",
}


@dataclass(frozen=True)
class Declared:
    filename: str
    content_type: str
    size: int
    sha256: str = ""
    profile: str = conf.DEFAULT_PROFILE


class HeaderIncomplete(VerificationFailed):
    """The first bytes end before the image's header does."""

    default_message = "The image's header is longer than the bytes read."


class _Unreadable(VerificationFailed):
    pass


@dataclass(frozen=True)
class ImageInfo:
    content_type: str
    width: int
    height: int


def human_size(size):
    """``12.4 MB``, ``10 MB``, ``532 KB``, ``17 bytes`` (1 MB = 1,048,576 bytes, as the browser shows)."""
    for unit, factor in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if size >= factor:
            value = f"{size / factor:.1f}".removesuffix(".0")
            return f"{value} {unit}"
    return f"{size} byte" if size == 1 else f"{size} bytes"


def type_name(content_type):
    return TYPE_NAMES.get(content_type, content_type)


def _a(name):
    return f"an {name}" if name[0] in "AEIO" else f"a {name}"


def check_request(data):
    """Validate the create call's JSON body; return the declared file or raise."""
    if not isinstance(data, dict):
        raise InvalidField("The request body must be a JSON object.")
    profile = data.get("profile", conf.DEFAULT_PROFILE)
    if not isinstance(profile, str):
        raise InvalidField("The profile must be a string.", field="profile")
    if profile not in conf.profiles():
        known = ", ".join(conf.profiles())
        raise InvalidField(f"There is no upload profile {profile!r}; use one of: {known}.", field="profile")
    for name in ("filename", "content_type", "size"):
        if name not in data:
            raise InvalidField(f"The field '{name}' is required.", field=name)

    filename = data["filename"]
    if not isinstance(filename, str) or not filename.strip():
        raise InvalidField("The file name must be a non-empty string.", field="filename")

    size = data["size"]
    if not isinstance(size, int) or isinstance(size, bool):
        raise InvalidField("The size must be a whole number of bytes.", field="size")
    if size < 0:
        raise InvalidField("The size cannot be negative.", field="size")
    if size == 0:
        raise InvalidField("The file is empty.", field="size")
    if size >= 2**63:  # no storage holds such a file; human_size() would overflow on larger ones
        raise InvalidField("The size is larger than any file can be.", field="size")
    max_size = conf.get("MAX_SIZE", profile)
    if size > max_size:
        shown, limit = human_size(size), human_size(max_size)
        if shown == limit:  # "2 KB; the limit is 2 KB" would explain nothing
            shown, limit = f"{size:,} bytes", f"{max_size:,} bytes"
        raise TooLarge(f"File is {shown}; the limit is {limit}.", field="size")

    content_type = data["content_type"]
    if not isinstance(content_type, str):
        raise InvalidField("The content type must be a string.", field="content_type")
    content_type = content_type.strip().lower()
    allowed = conf.get("ALLOWED_TYPES", profile)
    if content_type not in allowed:
        names = ", ".join(type_name(t) for t in allowed)
        shown = content_type or "an unknown type"
        raise UnsupportedType(f"Files of type {shown} are not accepted; upload {names}.", field="content_type")
    return Declared(filename, content_type, size, _checked_digest(data.get("sha256")), profile)


def _checked_digest(value):
    if value is None or value == "":
        if conf.get("REQUIRE_CHECKSUM"):
            raise InvalidField(
                "The field 'sha256' is required: the file's SHA-256 digest, base64-encoded.", field="sha256"
            )
        return ""
    try:
        valid = isinstance(value, str) and len(base64.b64decode(value, validate=True)) == 32
    except ValueError:
        valid = False
    if not valid:
        raise InvalidField("The field 'sha256' must be a SHA-256 digest, base64-encoded (44 characters).", field="sha256")
    return value


# Markup that makes a file a polyglot: an image to a decoder, a page to a browser that sniffs it.
# Seven or more fixed ASCII bytes almost never occur by chance in compressed image data.
_MARKUP = re.compile(rb"<(script|html|!doctype|svg|iframe|object|embed|body|\?xml)[\s>/]", re.IGNORECASE)


def sniff_type(head):
    """The image type that the first bytes announce, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and _is_avif_ftyp(head):
        return "image/avif"
    return None


def _is_avif_ftyp(head):
    box_size = int.from_bytes(head[:4], "big")
    brands = [head[8:12]] + [head[at : at + 4] for at in range(16, min(box_size, len(head)) - 3, 4)]
    return b"avif" in brands or b"avis" in brands


def check_digest(declared, stored):
    """S3 refused other bytes already; this confirms that the object is the one that was pinned."""
    if declared.sha256 and stored != declared.sha256:
        raise VerificationFailed("The stored file's SHA-256 digest is not the one declared.")


def check_object(declared, *, size, content_type, head, final=False, extra_headers=()):
    """Check a stored object against what was signed; return its dimensions or raise VerificationFailed.

    ``size`` and ``content_type`` come from S3's HEAD, ``head`` is the object's first bytes: when
    that is the whole file it is decoded in full. ``HeaderIncomplete`` means the image's header
    runs past ``head``; unless ``final``, the caller may read more and ask again.
    """
    expected = type_name(declared.content_type)
    if size != declared.size:
        raise VerificationFailed(f"The stored file is {size} bytes, but {declared.size} bytes were declared.")
    if content_type != declared.content_type:
        raise VerificationFailed(f"The stored file has type {content_type}, but {declared.content_type} was declared.")
    if extra_headers:
        raise VerificationFailed(
            f"The file was stored with headers the upload did not allow ({', '.join(extra_headers)})."
        )
    found = sniff_type(head)
    if found != declared.content_type:
        what = f"{_a(type_name(found))} image" if found else "not an image we accept"
        raise VerificationFailed(f"The file is not {_a(expected)} image: its contents show it is {what}.")
    if markup := _MARKUP.search(head):
        tag = markup.group(1).decode("ascii").lower()
        raise VerificationFailed(f"The file is {_a(expected)} image with web page markup (<{tag}>) hidden in it.")
    whole = len(head) >= size
    width, height = _dimensions(head, declared, whole=whole, final=final or whole)
    return ImageInfo(content_type=declared.content_type, width=width, height=height)


def _dimensions(head, declared, *, whole, final):
    content_type = declared.content_type
    expected = type_name(content_type)
    if whole:
        return _decoded_size(head, declared)
    if content_type in _HEADER_READERS:
        # Pillow's WebP and AVIF decoders want the whole file; their headers carry the size.
        size = _HEADER_READERS[content_type](head)
        if size is None:
            raise VerificationFailed(f"The file starts like {_a(expected)} image but its header is damaged.")
        return _checked(size, declared)
    try:
        return _pillow_size(head, declared)
    except _Unreadable:
        if final:
            raise
        raise HeaderIncomplete() from None


def _decoded_size(data, declared):
    """Decode every pixel: only for files small enough to have been read whole."""
    return _pillow_size(data, declared, decode=True)


def _pillow_size(data, declared, *, decode=False):
    content_type = declared.content_type
    expected = type_name(content_type)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[PILLOW_FORMATS[content_type]]) as image:
                width, height = image.size
                # Check the header's size before decoding a single pixel.
                _checked((width, height), declared)
                if decode:
                    image.load()
    except Image.DecompressionBombError:
        raise VerificationFailed(f"The {expected} image has too many pixels to be processed safely.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise _Unreadable(f"The file starts like {_a(expected)} image but could not be read as one.") from None
    return width, height


def _checked(size, declared):
    width, height = size
    profile = declared.profile
    if width < 1 or height < 1:
        raise VerificationFailed(f"The {type_name(declared.content_type)} image has no pixels.")
    max_pixels = conf.get("MAX_PIXELS", profile)
    if width * height > max_pixels:
        raise VerificationFailed(
            f"The image is {width:,} × {height:,} pixels; at most {max_pixels:,} pixels are accepted."
        )
    min_width, min_height = conf.get("MIN_WIDTH", profile), conf.get("MIN_HEIGHT", profile)
    if width < min_width or height < min_height:
        raise VerificationFailed(f"The image is {width} × {height} pixels; the minimum is {min_width} × {min_height}.")
    max_width, max_height = conf.get("MAX_WIDTH", profile), conf.get("MAX_HEIGHT", profile)
    if width > max_width or height > max_height:
        raise VerificationFailed(f"The image is {width} × {height} pixels; the maximum is {max_width} × {max_height}.")
    return width, height


def _webp_size(head):
    chunk = head[12:16]
    if chunk == b"VP8 " and head[23:26] == b"\x9d\x01\x2a":
        return int.from_bytes(head[26:28], "little") & 0x3FFF, int.from_bytes(head[28:30], "little") & 0x3FFF
    if chunk == b"VP8L" and head[20:21] == b"\x2f":
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(head) >= 30:
        return int.from_bytes(head[24:27], "little") + 1, int.from_bytes(head[27:30], "little") + 1
    return None


def _avif_size(head):
    # The primary image's 'ispe' (image spatial extents) property: version/flags, width, height.
    at = head.find(b"ispe")
    if at < 4 or len(head) < at + 16:
        return None
    return int.from_bytes(head[at + 8 : at + 12], "big"), int.from_bytes(head[at + 12 : at + 16], "big")


_HEADER_READERS = {"image/webp": _webp_size, "image/avif": _avif_size}
