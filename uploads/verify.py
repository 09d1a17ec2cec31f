"""The rules a request and a stored object must pass. Pure functions: no I/O, no models."""

import base64
import hashlib
import io
import re
import warnings
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from uploads import conf, filetypes, imaging
from uploads.errors import InvalidField, TooLarge, UnsupportedType, VerificationFailed

# What a file's contents show it is, when that is none of the types the app takes.
_NONE_WE_ACCEPT = pgettext_lazy("what a file's contents show it is", "not an image we accept")
_SIZE_UNITS = ((2**30, _("%(size)s GB")), (2**20, _("%(size)s MB")), (2**10, _("%(size)s KB")))


@dataclass(frozen=True)
class Declared:
    filename: str
    content_type: str
    size: int
    sha256: str = ""
    profile: str = conf.DEFAULT_PROFILE


class HeaderIncomplete(VerificationFailed):
    """The first bytes end before the image's header does."""

    default_message = _("The image's header is longer than the bytes read.")


class _Unreadable(VerificationFailed):
    pass


@dataclass(frozen=True)
class ImageInfo:
    content_type: str
    width: int
    height: int


def human_size(size: int) -> str:
    """``12.4 MB``, ``10 MB``, ``532 KB``, ``17 bytes`` in the active language (``12,4 MB`` in German);
    1 MB = 1,048,576 bytes, as the browser shows."""
    for factor, unit in _SIZE_UNITS:
        if size >= factor:
            value = Decimal(f"{size / factor:.1f}".removesuffix(".0"))
            return unit % {"size": number_format(value)}
    return byte_count(size)


def byte_count(size: int, *, grouped: bool = False) -> str:
    """``17 bytes``; ``2,001 bytes`` (``2.001 Bytes`` in German) when ``grouped``."""
    return ngettext("%(count)s byte", "%(count)s bytes", size) % {
        "count": number_format(size, force_grouping=grouped)
    }


def check_request(data: object, *, in_parts: bool = False) -> Declared:
    """Validate the create call's JSON body; return the declared file or raise.

    A file sent ``in_parts`` needs no whole-file digest under REQUIRE_CHECKSUM: S3 checks each
    part's instead (a browser cannot hash a large file whole without reading it into memory)."""
    if not isinstance(data, dict):
        raise InvalidField(gettext("The request body must be a JSON object."))
    profile = data.get("profile", conf.DEFAULT_PROFILE)
    if not isinstance(profile, str):
        raise InvalidField(gettext("The profile must be a string."), field="profile")
    if profile not in conf.profiles():
        known = ", ".join(conf.profiles())
        message = gettext("There is no upload profile %(profile)s; use one of: %(known)s.")
        raise InvalidField(message % {"profile": repr(profile), "known": known}, field="profile")
    for name in ("filename", "content_type", "size"):
        if name not in data:
            raise InvalidField(gettext("The field '%(name)s' is required.") % {"name": name}, field=name)

    filename = data["filename"]
    if not isinstance(filename, str) or not filename.strip():
        raise InvalidField(gettext("The file name must be a non-empty string."), field="filename")

    size = data["size"]
    if not isinstance(size, int) or isinstance(size, bool):
        raise InvalidField(gettext("The size must be a whole number of bytes."), field="size")
    if size < 0:
        raise InvalidField(gettext("The size cannot be negative."), field="size")
    if size == 0:
        raise InvalidField(gettext("The file is empty."), field="size")
    if size >= 2**63:  # no storage holds such a file; human_size() would overflow on larger ones
        raise InvalidField(gettext("The size is larger than any file can be."), field="size")
    max_size = conf.get("MAX_SIZE", profile)
    if size > max_size:
        shown, limit = human_size(size), human_size(max_size)
        if shown == limit:  # "2 KB; the limit is 2 KB" would explain nothing
            shown, limit = byte_count(size, grouped=True), byte_count(max_size, grouped=True)
        message = gettext("File is %(size)s; the limit is %(limit)s.")
        raise TooLarge(message % {"size": shown, "limit": limit}, field="size")

    content_type = data["content_type"]
    if not isinstance(content_type, str):
        raise InvalidField(gettext("The content type must be a string."), field="content_type")
    content_type = content_type.strip().lower()
    allowed = conf.get("ALLOWED_TYPES", profile)
    if content_type not in allowed:
        names = ", ".join(filetypes.name(t) for t in allowed)
        if content_type:
            message = gettext("Files of type %(type)s are not accepted; upload %(names)s.")
        else:
            message = gettext("Files of an unknown type are not accepted; upload %(names)s.")
        raise UnsupportedType(message % {"type": content_type, "names": names}, field="content_type")
    required = conf.get("REQUIRE_CHECKSUM") and not in_parts
    return Declared(
        filename, content_type, size, _checked_digest(data.get("sha256"), required=required), profile
    )


def _checked_digest(value: object, *, required: bool) -> str:
    if value is None or value == "":
        if required:
            raise InvalidField(
                gettext("The field 'sha256' is required: the file's SHA-256 digest, base64-encoded."),
                field="sha256",
            )
        return ""
    try:
        valid = isinstance(value, str) and len(base64.b64decode(value, validate=True)) == 32
    except ValueError:
        valid = False
    if not valid:
        raise InvalidField(
            gettext("The field 'sha256' must be a SHA-256 digest, base64-encoded (44 characters)."),
            field="sha256",
        )
    return value


# Markup that makes a file a polyglot: an image to a decoder, a page to a browser that sniffs it.
# Seven or more fixed ASCII bytes almost never occur by chance in compressed image data.
_MARKUP = re.compile(rb"<(script|html|!doctype|svg|iframe|object|embed|body|\?xml)[\s>/]", re.IGNORECASE)


def sniff_type(head: bytes) -> str | None:
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


def _is_avif_ftyp(head: bytes) -> bool:
    box_size = int.from_bytes(head[:4], "big")
    brands = [head[8:12]] + [head[at : at + 4] for at in range(16, min(box_size, len(head)) - 3, 4)]
    return b"avif" in brands or b"avis" in brands


def check_digest(declared: Declared, stored: str) -> None:
    """S3 refused other bytes already; this confirms that the object is the one that was pinned."""
    if declared.sha256 and stored != declared.sha256:
        raise VerificationFailed(gettext("The stored file's SHA-256 digest is not the one declared."))


def check_object(
    declared: Declared,
    *,
    size: int,
    content_type: str,
    head: bytes,
    final: bool = False,
    extra_headers: Sequence[str] = (),
) -> ImageInfo:
    """Check a stored object against what was signed; return its dimensions or raise VerificationFailed.

    ``size`` and ``content_type`` come from S3's HEAD, ``head`` is the object's first bytes: when
    that is the whole file it is decoded in full. ``HeaderIncomplete`` means the image's header
    runs past ``head``; unless ``final``, the caller may read more and ask again.
    """
    expected = declared.content_type
    if size != declared.size:
        message = ngettext(
            "The stored file is %(size)s, but %(declared)s byte was declared.",
            "The stored file is %(size)s, but %(declared)s bytes were declared.",
            declared.size,
        )
        raise VerificationFailed(message % {"size": byte_count(size), "declared": declared.size})
    if content_type != declared.content_type:
        message = gettext("The stored file has type %(stored)s, but %(declared)s was declared.")
        raise VerificationFailed(message % {"stored": content_type, "declared": declared.content_type})
    if extra_headers:
        message = gettext("The file was stored with headers the upload did not allow (%(headers)s).")
        raise VerificationFailed(message % {"headers": ", ".join(extra_headers)})
    said = filetypes.BY_MIME[expected]  # only the table's types are ever allowed (check uploads.E007)
    found = sniff_type(head)
    if found != expected:
        shown = filetypes.BY_MIME[found].found if found else _NONE_WE_ACCEPT
        raise VerificationFailed(said.not_the_type % {"found": shown})
    if markup := _MARKUP.search(head):
        tag = markup.group(1).decode("ascii").lower()
        raise VerificationFailed(said.markup_hidden % {"tag": tag})
    whole = len(head) >= size
    width, height = _dimensions(head, declared, whole=whole, final=final or whole)
    return ImageInfo(content_type=declared.content_type, width=width, height=height)


def _dimensions(head: bytes, declared: Declared, *, whole: bool, final: bool) -> tuple[int, int]:
    content_type = declared.content_type
    if whole:
        return _decoded_size(head, declared)
    if content_type in _HEADER_READERS:
        # Pillow's WebP and AVIF decoders want the whole file; their headers carry the size.
        size = _HEADER_READERS[content_type](head)
        if size is None:
            raise VerificationFailed(str(filetypes.BY_MIME[content_type].header_damaged))
        return _checked(size, declared)
    try:
        return _pillow_size(head, declared)
    except _Unreadable:
        if final:
            raise
        raise HeaderIncomplete() from None


def _decoded_size(data: bytes, declared: Declared) -> tuple[int, int]:
    """Decode every pixel: only for files small enough to have been read whole."""
    return _pillow_size(data, declared, decode=True)


def _pillow_size(data: bytes, declared: Declared, *, decode: bool = False) -> tuple[int, int]:
    content_type = declared.content_type
    expected = filetypes.name(content_type)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            # A damaged EXIF block is the seller's camera's business: the stored size stands.
            warnings.filterwarnings("ignore", "Corrupt EXIF data", UserWarning)
            with Image.open(io.BytesIO(data), formats=[filetypes.BY_MIME[content_type].pillow]) as image:
                width, height = imaging.shown_size(image)  # a portrait photo stays portrait
                # Check the header's size before decoding a single pixel.
                _checked((width, height), declared)
                if decode:
                    image.load()
    except Image.DecompressionBombError:
        message = gettext("The %(type)s image has too many pixels to be processed safely.")
        raise VerificationFailed(message % {"type": expected}) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise _Unreadable(str(filetypes.BY_MIME[content_type].unreadable)) from None
    return width, height


def _checked(size: tuple[int, int], declared: Declared) -> tuple[int, int]:
    width, height = size
    profile = declared.profile
    if width < 1 or height < 1:
        message = gettext("The %(type)s image has no pixels.")
        raise VerificationFailed(message % {"type": filetypes.name(declared.content_type)})
    max_pixels = conf.get("MAX_PIXELS", profile)
    if width * height > max_pixels:
        message = ngettext(
            "The image is %(width)s × %(height)s pixels; at most %(max_pixels)s pixel is accepted.",
            "The image is %(width)s × %(height)s pixels; at most %(max_pixels)s pixels are accepted.",
            max_pixels,
        )
        grouped = {"width": width, "height": height, "max_pixels": max_pixels}
        raise VerificationFailed(
            message % {key: number_format(n, force_grouping=True) for key, n in grouped.items()}
        )
    min_width, min_height = conf.get("MIN_WIDTH", profile), conf.get("MIN_HEIGHT", profile)
    sizes = {"width": width, "height": height}
    if width < min_width or height < min_height:
        message = gettext(
            "The image is %(width)s × %(height)s pixels; the minimum is %(min_width)s × %(min_height)s."
        )
        raise VerificationFailed(message % {**sizes, "min_width": min_width, "min_height": min_height})
    max_width, max_height = conf.get("MAX_WIDTH", profile), conf.get("MAX_HEIGHT", profile)
    if width > max_width or height > max_height:
        message = gettext(
            "The image is %(width)s × %(height)s pixels; the maximum is %(max_width)s × %(max_height)s."
        )
        raise VerificationFailed(message % {**sizes, "max_width": max_width, "max_height": max_height})
    return width, height


def _webp_size(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8 " and head[23:26] == b"\x9d\x01\x2a":
        return int.from_bytes(head[26:28], "little") & 0x3FFF, int.from_bytes(head[28:30], "little") & 0x3FFF
    if chunk == b"VP8L" and head[20:21] == b"\x2f":
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(head) >= 30:
        return int.from_bytes(head[24:27], "little") + 1, int.from_bytes(head[27:30], "little") + 1
    return None


def _avif_size(head: bytes) -> tuple[int, int] | None:
    # The primary image's 'ispe' (image spatial extents) property: version/flags, width, height.
    at = head.find(b"ispe")
    if at < 4 or len(head) < at + 16:
        return None
    return int.from_bytes(head[at + 8 : at + 12], "big"), int.from_bytes(head[at + 12 : at + 16], "big")


_HEADER_READERS = {"image/webp": _webp_size, "image/avif": _avif_size}


# --- Uploads sent in parts (S3 multipart) ------------------------------------------------------


class ListedPart(Protocol):
    """What the rules below read of a part the storage lists: ``s3.StoredPart``, which is not
    imported here (``s3`` is in this module's layer)."""

    @property
    def number(self) -> int: ...

    @property
    def size(self) -> int: ...


# S3 assembles at most this many parts into one object.
MAX_PARTS = 10_000
# Parts one call may ask URLs for: their digests keep the body far under the API's 16 KB.
SIGN_BATCH = 100


def part_count(size: int, part_size: int) -> int:
    """How many parts a file of ``size`` bytes goes in: ``part_size`` bytes each, the last the rest."""
    return -(-size // part_size)


def part_length(number: int, size: int, part_size: int) -> int:
    """The bytes of part ``number`` (counted from 1) of a file of ``size`` bytes."""
    return min(part_size, size - (number - 1) * part_size)


def check_part_count(declared: Declared, part_size: int) -> None:
    """Refuse a file that would need more parts than S3 assembles, as any file over the limit is."""
    largest = MAX_PARTS * part_size
    if declared.size > largest:
        shown, limit = human_size(declared.size), human_size(largest)
        if shown == limit:
            shown, limit = byte_count(declared.size, grouped=True), byte_count(largest, grouped=True)
        message = gettext("File is %(size)s; the limit is %(limit)s.")
        raise TooLarge(message % {"size": shown, "limit": limit}, field="size")


def check_parts(data: object) -> list[tuple[int, str]]:
    """Validate the body of a call that asks for part URLs: ``{"parts": [{"number", "sha256"}, …]}``.

    Returns ``[(number, sha256)]`` in the order asked; whether each number exists in the upload
    is ``check_part_numbers``'s to say.
    """
    if not isinstance(data, dict):
        raise InvalidField(gettext("The request body must be a JSON object."))
    parts = data.get("parts")
    shape = gettext("The field 'parts' must be a list of parts, each with a 'number' and a 'sha256'.")
    if not isinstance(parts, list) or not parts:
        raise InvalidField(shape, field="parts")
    if len(parts) > SIGN_BATCH:
        message = ngettext(
            "Ask for at most %(limit)d part at a time.",
            "Ask for at most %(limit)d parts at a time.",
            SIGN_BATCH,
        )
        raise InvalidField(message % {"limit": SIGN_BATCH}, field="parts")
    wanted = {}
    for part in parts:
        if not isinstance(part, dict):
            raise InvalidField(shape, field="parts")
        number = part.get("number")
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise InvalidField(gettext("A part's number must be a whole number, 1 or more."), field="parts")
        if number in wanted:
            raise InvalidField(
                gettext("Part %(number)d is asked for twice.") % {"number": number}, field="parts"
            )
        if not _is_sha256(part.get("sha256")):
            message = gettext("Part %(number)d needs its SHA-256 digest, base64-encoded (44 characters).")
            raise InvalidField(message % {"number": number}, field="parts")
        wanted[number] = part["sha256"]
    return list(wanted.items())


def _is_sha256(value: object) -> bool:
    try:
        return isinstance(value, str) and len(base64.b64decode(value, validate=True)) == 32
    except ValueError:
        return False


def check_part_numbers(wanted: Iterable[tuple[int, str]], count: int) -> None:
    """Refuse a part number the file does not have (``count`` parts)."""
    for number, _sha256 in wanted:
        if number > count:
            message = ngettext(
                "There is no part %(number)d: the file has %(count)d part.",
                "There is no part %(number)d: the file has %(count)d parts.",
                count,
            )
            raise InvalidField(message % {"number": number, "count": count}, field="parts")


def check_stored_parts(
    stored: Iterable[ListedPart], declared: Container[int], *, size: int, part_size: int
) -> None:
    """Each part S3 holds (``number``, ``size``) must be one a URL of this upload was signed for
    (``declared``: the numbers given a digest) and have the size of its place in the file: else S3
    took it some other way, and the upload fails."""
    for part in stored:
        if part.number not in declared:
            message = gettext(
                "The storage holds a part %(number)d that no URL of this upload was signed for."
            )
            raise VerificationFailed(message % {"number": part.number})
        expected = part_length(part.number, size, part_size)
        if part.size != expected:
            message = ngettext(
                "Part %(number)d in storage is %(size)s, but %(expected)s byte was declared.",
                "Part %(number)d in storage is %(size)s, but %(expected)s bytes were declared.",
                expected,
            )
            raise VerificationFailed(
                message % {"number": part.number, "size": byte_count(part.size), "expected": expected}
            )


def missing_parts(stored: Iterable[ListedPart], count: int) -> list[int]:
    """The numbers of a file's ``count`` parts that are not among the ``stored`` ones."""
    held = {part.number for part in stored}
    return [number for number in range(1, count + 1) if number not in held]


def composite_checksum(digests: Sequence[str]) -> str:
    """The checksum S3 stores for an object assembled from parts of these SHA-256s (base64, in
    order): the SHA-256 of the parts' digests one after another, a dash, and how many there are."""
    joined = b"".join(base64.b64decode(digest) for digest in digests)
    return f"{base64.b64encode(hashlib.sha256(joined).digest()).decode()}-{len(digests)}"


def check_composite(expected: str, stored: str) -> None:
    """The assembled object is made of exactly the parts whose digests were declared and signed."""
    if stored != expected:
        raise VerificationFailed(
            gettext("The stored file's checksum is not the one its declared parts give.")
        )
