"""The file types the app can take: one row per MIME type, which every other module reads.

Only types whose magic bytes ``verify.sniff_type`` knows and one Pillow decoder reads: never SVG or
HTML, which can carry script. Adding a type is adding a row here and its magic bytes there (and in
the page's ``files.js``, which sniffs only the types its element declares). Pure: no I/O, no settings.
"""

import json
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


@dataclass(frozen=True)
class FileType:
    mime: str
    name: str  # as people know it, in hints and refusals: "WebP"
    extensions: tuple[str, ...]  # the names a file of it may end with; keys end with the first
    pillow: str  # the one Pillow decoder that may open it (no other decoder ever sees the bytes)
    variant: str | None  # the VARIANTS "format" that makes it; None: no variant is made of this type
    canvas: bool  # browsers' canvases encode it, so a CLIENT_RESIZE may make it
    # Whole sentences, not one with the name put in: the article ("a JPEG", "an AVIF") is English
    # grammar, and other languages inflect differently.
    found: str  # what a file's contents show it is
    not_the_type: str
    markup_hidden: str
    header_damaged: str
    unreadable: str

    @property
    def extension(self) -> str:
        return self.extensions[0]


TYPES = (
    FileType(
        "image/jpeg",
        "JPEG",
        (".jpg", ".jpeg", ".jpe", ".jfif"),
        pillow="JPEG",
        variant="jpeg",
        canvas=True,
        found=pgettext_lazy("what a file's contents show it is", "a JPEG image"),
        not_the_type=_("The file is not a JPEG image: its contents show it is %(found)s."),
        markup_hidden=_("The file is a JPEG image with web page markup (<%(tag)s>) hidden in it."),
        header_damaged=_("The file starts like a JPEG image but its header is damaged."),
        unreadable=_("The file starts like a JPEG image but could not be read as one."),
    ),
    FileType(
        "image/png",
        "PNG",
        (".png",),
        pillow="PNG",
        variant=None,
        canvas=True,
        found=pgettext_lazy("what a file's contents show it is", "a PNG image"),
        not_the_type=_("The file is not a PNG image: its contents show it is %(found)s."),
        markup_hidden=_("The file is a PNG image with web page markup (<%(tag)s>) hidden in it."),
        header_damaged=_("The file starts like a PNG image but its header is damaged."),
        unreadable=_("The file starts like a PNG image but could not be read as one."),
    ),
    FileType(
        "image/webp",
        "WebP",
        (".webp",),
        pillow="WEBP",
        variant="webp",
        canvas=True,
        found=pgettext_lazy("what a file's contents show it is", "a WebP image"),
        not_the_type=_("The file is not a WebP image: its contents show it is %(found)s."),
        markup_hidden=_("The file is a WebP image with web page markup (<%(tag)s>) hidden in it."),
        header_damaged=_("The file starts like a WebP image but its header is damaged."),
        unreadable=_("The file starts like a WebP image but could not be read as one."),
    ),
    FileType(
        "image/gif",
        "GIF",
        (".gif",),
        pillow="GIF",
        variant=None,
        canvas=False,
        found=pgettext_lazy("what a file's contents show it is", "a GIF image"),
        not_the_type=_("The file is not a GIF image: its contents show it is %(found)s."),
        markup_hidden=_("The file is a GIF image with web page markup (<%(tag)s>) hidden in it."),
        header_damaged=_("The file starts like a GIF image but its header is damaged."),
        unreadable=_("The file starts like a GIF image but could not be read as one."),
    ),
    FileType(
        "image/avif",
        "AVIF",
        (".avif",),
        pillow="AVIF",
        variant="avif",
        canvas=False,
        found=pgettext_lazy("what a file's contents show it is", "an AVIF image"),
        not_the_type=_("The file is not an AVIF image: its contents show it is %(found)s."),
        markup_hidden=_("The file is an AVIF image with web page markup (<%(tag)s>) hidden in it."),
        header_damaged=_("The file starts like an AVIF image but its header is damaged."),
        unreadable=_("The file starts like an AVIF image but could not be read as one."),
    ),
)

BY_MIME = {row.mime: row for row in TYPES}


def name(mime: str) -> str:
    """The type as people know it ("WebP"); a type not in the table stays as it is written."""
    row = BY_MIME.get(mime)
    return row.name if row else mime


def for_page(mimes: list[str] | tuple[str, ...]) -> str:
    """The JSON of an uploader element's ``data-types``: what its script needs of each type the
    element accepts, in order: ``{"image/jpeg": {"name": "JPEG", "extensions": [".jpg", …]}, …}``.
    Its keys are the accepted types; the script sniffs, names and renames files by these alone."""
    described = {
        mime: {"name": name(mime), "extensions": list(BY_MIME[mime].extensions) if mime in BY_MIME else []}
        for mime in mimes
    }
    return json.dumps(described, separators=(",", ":"))
