"""Object keys and display names. The server picks every key; the client's name is only a hint.

A key is ``<location>/<prefix>/<installation>/<user id>/<uuid>/<stem><ext>``: the storage's
location, the profile's prefix, this installation's id, then the upload's own part. An object
whose key has that exact shape under one of this installation's roots was made here; nothing
else is (``made_here``), and the clean-up deletes nothing else.
"""

import functools
import re
import unicodedata
import uuid

from django.conf import settings
from django.utils.crypto import salted_hmac

from uploads import conf

MAX_STEM = 80
MAX_DISPLAY_NAME = 255
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_WINDOWS_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"{name}{i}" for name in ("com", "lpt") for i in range(1, 10)),
}


def display_name(filename: str) -> str:
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


def safe_stem(filename: str) -> str:
    """An ASCII, path-free, short version of the name's stem, for the end of a key."""
    base = re.split(r"[/\\]", str(filename))[-1]
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    cleaned = _UNSAFE.sub("-", ascii_stem).strip(".-_")
    cleaned = re.sub(r"-{2,}", "-", cleaned)[:MAX_STEM].strip(".-_")
    if not cleaned or cleaned.lower() in _WINDOWS_RESERVED:
        return "file"
    return cleaned


# Where the verified copy of an upload sent without a digest lives: a key no policy ever names.
VERIFIED_DIR = "verified"


def build_key(
    user_id: int | str | uuid.UUID,
    filename: str,
    content_type: str,
    token: uuid.UUID | None = None,
    profile: str = conf.DEFAULT_PROFILE,
    location: str = "",
) -> str:
    """``<root of the profile>/<user id>/<uuid>/<safe stem><extension of the declared type>``.

    The extension comes from the signed content type, never from the client's name,
    so a key can never end in ``.html`` or ``.svg``.
    """
    token = token or uuid.uuid4()
    extension = conf.VERIFIABLE_TYPES[content_type]
    return f"{root(profile, location)}{user_id}/{token.hex}/{safe_stem(filename)}{extension}"


def verified_key(key: str) -> str:
    """The key an upload's verified bytes are copied to: beside the signed one, never signed itself."""
    folder, _, name = key.rpartition("/")
    return f"{folder}/{VERIFIED_DIR}/{name}"


def installation_id() -> str:
    """The segment that marks this installation's keys: ``INSTALLATION_ID``, or one derived from
    ``SECRET_KEY`` (two deployments with their own secrets never share it)."""
    return conf.get("INSTALLATION_ID") or _derived_id(settings.SECRET_KEY)


def installation_ids() -> list[str]:
    """Every id this installation has written keys under: the current one, and those of
    ``SECRET_KEY_FALLBACKS`` while a rotated secret is kept there."""
    if conf.get("INSTALLATION_ID"):
        return [conf.get("INSTALLATION_ID")]
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [_derived_id(secret) for secret in secrets]


@functools.lru_cache(maxsize=8)
def _derived_id(secret: str | bytes) -> str:
    digest = salted_hmac("uploads.installation", "installation id", secret=secret, algorithm="sha256")
    return digest.hexdigest()[:12]


def _join(*parts: str) -> str:
    return "/".join(part.strip("/") for part in parts if part and part.strip("/"))


def area(profile: str, location: str = "") -> str:
    """Where a profile's keys go, for every installation: ``<location>/<prefix>/``."""
    return _join(location, conf.get("KEY_PREFIX", profile)) + "/"


def root(profile: str, location: str = "", installation: str | None = None) -> str:
    """Where this installation puts a profile's keys: ``<location>/<prefix>/<installation>/``."""
    return _join(location, conf.get("KEY_PREFIX", profile), installation or installation_id()) + "/"


_OWN_PART = re.compile(
    rf"[^/]+/[0-9a-f]{{32}}/(?:{VERIFIED_DIR}/)?[A-Za-z0-9._-]{{1,{MAX_STEM}}}"
    rf"(?:{'|'.join(re.escape(ext) for ext in sorted(set(conf.VERIFIABLE_TYPES.values())))})"
)


def made_here(key: str, location: str = "") -> bool:
    """Whether this installation made ``key``: under one of its roots, in the exact shape it builds."""
    for profile in conf.profiles():
        for installation in installation_ids():
            start = root(profile, location, installation)
            if key.startswith(start) and _OWN_PART.fullmatch(key[len(start) :]):
                return True
    return False
