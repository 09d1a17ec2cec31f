"""The variants a profile names, as ``imaging.Spec``s, and where their objects live. No I/O.

A variant's key is derived from its source's SHA-256 and its spec's fingerprint, under the default
profile's root: ``<location>/<prefix>/<installation>/variants/<sha256 hex>/<fingerprint><ext>``.
Equal bytes uploaded twice, by anyone, with equal specs, share one object and one ``Variant`` row.
"""

import base64
import re
from collections.abc import Mapping
from typing import Any

from uploads import conf, imaging, keys

FOLDER = "variants"


def spec_of(options: Mapping[str, Any]) -> imaging.Spec:
    """The ``imaging.Spec`` of one entry of a profile's ``VARIANTS`` (checked by the system checks)."""
    size = options["size"]
    box = (size, size) if isinstance(size, int) else tuple(size)
    given = {name: options[name] for name in ("fit", "format", "quality") if name in options}
    return imaging.Spec(size=box, **given)  # what a profile leaves out: Spec's defaults


def specs(profile: str) -> dict[str, imaging.Spec]:
    """``{name: Spec}`` of a profile's variants, largest first."""
    named = {name: spec_of(options) for name, options in (conf.get("VARIANTS", profile) or {}).items()}
    return dict(sorted(named.items(), key=lambda item: -item[1].size[0] * item[1].size[1]))


def thumbnail_name(profile: str) -> str | None:
    """The variant a thumbnail shows: the profile's smallest, or None when it names none."""
    names = list(specs(profile))
    return names[-1] if names else None


def hex_digest(sha256: str) -> str:
    """The hex form of a base64 SHA-256, for a key (base64 has '/' and '+')."""
    return base64.b64decode(sha256).hex()


def key(sha256: str, spec: imaging.Spec, location: str = "") -> str:
    folder = f"{keys.root(conf.DEFAULT_PROFILE, location)}{FOLDER}/{hex_digest(sha256)}"
    return f"{folder}/{spec.fingerprint()}{spec.extension}"


_EXTENSIONS = "|".join(re.escape(extension) for _, _, extension in imaging.FORMATS.values())
_VARIANT_PART = re.compile(rf"{FOLDER}/[0-9a-f]{{64}}/[0-9a-f]{{16}}(?:{_EXTENSIONS})")


def made_here(object_key: str, location: str = "") -> bool:
    """Whether ``object_key`` is a variant key of this installation, in the exact shape ``key`` builds."""
    for installation in keys.installation_ids():
        start = keys.root(conf.DEFAULT_PROFILE, location, installation)
        if object_key.startswith(start) and _VARIANT_PART.fullmatch(object_key[len(start) :]):
            return True
    return False
