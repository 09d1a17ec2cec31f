"""Object keys and display names. The server picks every key; the client's name is only a hint."""

import re
import unicodedata
import uuid

from uploads import conf

MAX_STEM = 80
MAX_DISPLAY_NAME = 255
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


def display_name(filename):
    """The client's file name, kept for people to read: no control, format or surrogate characters, capped."""
    name = unicodedata.normalize("NFC", str(filename))
    # Cc are control characters, Cf format ones such as the right-to-left override, Cs lone
    # surrogates (valid in JSON, not encodable in UTF-8).
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    name = name.strip() or "file"
    if len(name) > MAX_DISPLAY_NAME:
        stem, dot, ext = name.rpartition(".")
        keep = ext if dot and len(ext) <= 10 else ""
        name = name[: MAX_DISPLAY_NAME - len(keep) - 2] + "…" + ("." + keep if keep else "")
    return name


def safe_stem(filename):
    """An ASCII, path-free, short version of the name's stem, for the end of a key."""
    base = re.split(r"[/\\]", str(filename))[-1]
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    cleaned = _UNSAFE.sub("-", ascii_stem).strip(".-_")
    cleaned = re.sub(r"-{2,}", "-", cleaned)[:MAX_STEM].strip(".-_")
    if not cleaned or cleaned.lower() in _WINDOWS_RESERVED:
        return "file"
    return cleaned


def build_key(user_id, filename, content_type, token=None, profile=conf.DEFAULT_PROFILE):
    """``<prefix>/<user id>/<uuid>/<safe stem><extension of the declared type>``.

    The extension comes from the signed content type, never from the client's name,
    so a key can never end in ``.html`` or ``.svg``.
    """
    token = token or uuid.uuid4()
    extension = conf.VERIFIABLE_TYPES[content_type]
    return f"{conf.get('KEY_PREFIX', profile)}/{user_id}/{token.hex}/{safe_stem(filename)}{extension}"
