"""The app's settings: one ``UPLOADS`` dict merged over the defaults at every read.

Reading at every access (never at import) means ``override_settings`` and
pytest-django's ``settings`` fixture just work. Each setting is one row of ``SETTINGS``: its
default beside the rules a value must keep, each rule with the id of the system check that
reports a value breaking it (``checks.py`` derives its checks from these rows, a profile's
included). Rules that tie several settings together are ``checks.py``'s own.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from uploads import filetypes, imaging

MB = 2**20

# Types we can verify by their magic bytes and Pillow, with the extension their keys end with.
VERIFIABLE_TYPES = {row.mime: row.extension for row in filetypes.TYPES}


@dataclass(frozen=True)
class Rule:
    """What a setting's value must be, and the system check that says so when it is not."""

    check_id: str
    must_be: str  # said as "UPLOADS['NAME'] must be <must_be>." (and of a profile's value)
    hint: str  # "{default}" stands for the setting's default
    valid: Callable[[Any], bool] | None = None
    # For a value wrong in several places at once, instead of ``valid``: one sentence per mistake,
    # each said after UPLOADS['NAME'] ("contains 'x', which …"); none when the value keeps the rule.
    problems: Callable[[Any], list[str]] | None = None

    def mistakes(self, value: object) -> list[str]:
        if self.problems is not None:
            return self.problems(value)
        return [] if self.valid(value) else [f"must be {self.must_be}"]


@dataclass(frozen=True)
class Setting:
    default: Any
    rules: tuple[Rule, ...] = ()  # in order: a value is judged by the first rule it breaks
    profile: bool = False  # a profile may set it for its own uploads

    def broken(self, value: object) -> tuple[Rule | None, list[str]]:
        """The first rule ``value`` breaks and its mistakes; ``(None, [])`` when it keeps them all."""
        for rule in self.rules:
            if mistakes := rule.mistakes(value):
                return rule, mistakes
        return None, []

    def valid(self, value: object) -> bool:
        return self.broken(value)[0] is None


def is_int(value: object) -> bool:
    """A whole number, and not True or False (which Python counts as 1 and 0)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_positive(value: object) -> bool:
    return is_int(value) and value >= 1


def _optional_positive(value: object) -> bool:
    return value is None or is_positive(value)


def _whole(low: int, high: int) -> Callable[[Any], bool]:
    return lambda value: is_int(value) and low <= value <= high


def _seconds_up_to(high: int) -> Callable[[Any], bool]:
    return lambda value: not isinstance(value, bool) and isinstance(value, (int, float)) and 0 < value <= high


def _whole_number(check_id: str, hint: str) -> Rule:
    return Rule(check_id, "a positive whole number", hint, is_positive)


def _limit(check_id: str) -> Rule:
    return Rule(
        check_id,
        "a positive whole number, or None for no limit",
        "None (the default) switches the limit off.",
        _optional_positive,
    )


def _timeout(check_id: str) -> Rule:
    return Rule(
        check_id,
        "a number of seconds above 0 and at most 120",
        "A request to S3 that hangs should fail fast, so the user can retry.",
        _seconds_up_to(120),
    )


# S3's own limits.
S3_POST_LIMIT = 5 * 2**30  # S3 refuses a single POST upload above 5 GB.
S3_PART_SIZES = (5 * MB, 5 * 2**30)  # S3's smallest part (but the last) and largest.
# Signed URLs live at most an hour.
MAX_EXPIRES = 3600
_SAFE_PREFIX = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$")
_INSTALLATION_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,39}$")
RETRY_MODES = ("legacy", "standard", "adaptive")
# The values of REVIEW.
BEFORE_PUBLISH, AFTER_PUBLISH = "before_publish", "after_publish"
REVIEWS = (None, BEFORE_PUBLISH, AFTER_PUBLISH)
# A variant is an imaging.Spec written as a dict; what it leaves out is the Spec's default.
VARIANT_KEYS = ("size", "fit", "format", "quality")
_VARIANT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,29}$")
MAX_VARIANT_SIDE = 10_000
# What a CLIENT_RESIZE leaves out: JPEG, which every browser's canvas encodes (Safari's makes no
# WebP), at a quality that shows no artefacts in a photo.
CLIENT_RESIZE_DEFAULTS = {"type": "image/jpeg", "quality": 85}
# The types a CLIENT_RESIZE may make: those browsers' canvases encode and the server verifies.
CLIENT_RESIZE_TYPES = tuple(row.mime for row in filetypes.TYPES if row.canvas)
_RESIZE_KEYS = ("max_width", "max_height", "type", "quality")


def _allowed_types_shape(value: object) -> bool:
    return isinstance(value, (list, tuple)) and bool(value) and all(isinstance(t, str) for t in value)


def _unverifiable(types: list[str]) -> list[str]:
    return [f"contains {t!r}, which the app cannot verify" for t in types if t not in VERIFIABLE_TYPES]


def _permission(value: object) -> list[str]:
    if value is None or callable(value) or (isinstance(value, str) and value.count(".") == 1):
        return []
    return [f"must be None, a permission written 'app_label.codename', or a callable; it is {value!r}"]


def variant_problems(named: object) -> list[str]:
    """What is wrong with one ``VARIANTS`` value, as sentences; none when it is right."""
    if not isinstance(named, dict):
        return ["must be a dict of variant names to specs"]
    problems = []
    for name, spec in named.items():
        if not isinstance(name, str) or not _VARIANT_NAME.match(name):
            problems.append(f"has the name {name!r}; names are 1-30 lower-case letters, digits, '-' and '_'")
            continue
        if not isinstance(spec, dict):
            problems.append(
                f"[{name!r}] must be a dict with 'size' and optionally 'fit', 'format', 'quality'"
            )
            continue
        for key in sorted(set(spec) - set(VARIANT_KEYS)):
            problems.append(f"[{name!r}] has {key!r}; a variant takes {', '.join(sorted(VARIANT_KEYS))}")
        size = spec.get("size")
        sides = (
            [size]
            if is_int(size)
            else list(size)
            if isinstance(size, (list, tuple)) and len(size) == 2
            else None
        )
        if not sides or not all(is_int(side) and 1 <= side <= MAX_VARIANT_SIDE for side in sides):
            problems.append(
                f"[{name!r}]['size'] must be pixels from 1 to {MAX_VARIANT_SIDE}, or [width, height] of them"
            )
        if spec.get("fit", imaging.Spec.fit) not in imaging.FITS:
            problems.append(f"[{name!r}]['fit'] must be one of {', '.join(imaging.FITS)}")
        if spec.get("format", imaging.Spec.format) not in imaging.FORMATS:
            problems.append(f"[{name!r}]['format'] must be one of {', '.join(imaging.FORMATS)}")
        quality = spec.get("quality", imaging.Spec.quality)
        if not (is_int(quality) and 1 <= quality <= 100):
            problems.append(f"[{name!r}]['quality'] must be a whole number from 1 to 100")
    return problems


def client_resize_problems(spec: object) -> list[str]:
    """What is wrong with one ``CLIENT_RESIZE`` value, as sentences; none when it is right."""
    if spec is None:
        return []
    if not isinstance(spec, dict):
        return ["must be None or a dict with 'max_width', 'max_height' and optionally 'type', 'quality'"]
    problems = [
        f"has {key!r}, which is not one of {', '.join(map(repr, _RESIZE_KEYS))}"
        for key in sorted(set(spec) - set(_RESIZE_KEYS), key=repr)
    ]
    for side in ("max_width", "max_height"):
        if not (is_positive(spec.get(side)) and spec[side] <= MAX_VARIANT_SIDE):
            problems.append(f"[{side!r}] must be a whole number of pixels from 1 to {MAX_VARIANT_SIDE}")
    if spec.get("type", CLIENT_RESIZE_DEFAULTS["type"]) not in CLIENT_RESIZE_TYPES:
        problems.append(f"['type'] must be one of {', '.join(CLIENT_RESIZE_TYPES)}")
    quality = spec.get("quality", CLIENT_RESIZE_DEFAULTS["quality"])
    if not (is_int(quality) and 1 <= quality <= 100):
        problems.append("['quality'] must be a whole number from 1 to 100")
    return problems


def _reason_pairs(reasons: object) -> bool:
    return (
        isinstance(reasons, (list, tuple))
        and bool(reasons)
        and all(
            isinstance(pair, (list, tuple))
            and len(pair) == 2
            and isinstance(pair[0], str)
            and 1 <= len(pair[0]) <= 50
            for pair in reasons
        )
    )


def _codes_once(reasons: list) -> bool:
    codes = [code for code, _text in reasons]
    return len(set(codes)) == len(codes)


SETTINGS = {
    # Largest file a policy is signed for, in bytes.
    "MAX_SIZE": Setting(
        10 * MB,
        (
            Rule(
                "uploads.E003", "a positive number of bytes", "For example 10 * 2**20 for 10 MB.", is_positive
            ),
        ),
        profile=True,
    ),
    # MIME types a seller may upload; each must be in VERIFIABLE_TYPES.
    "ALLOWED_TYPES": Setting(
        list(VERIFIABLE_TYPES),
        (
            Rule(
                "uploads.E006",
                "a non-empty list of MIME types",
                'For example ["image/jpeg", "image/png"].',
                _allowed_types_shape,
            ),
            Rule(
                "uploads.E007",
                f"a non-empty list from {', '.join(VERIFIABLE_TYPES)}",
                f"Choose from: {', '.join(VERIFIABLE_TYPES)}. "
                "SVG and HTML are never allowed: they can carry script.",
                problems=_unverifiable,
            ),
        ),
        profile=True,
    ),
    # Seconds a POST policy stays valid.
    "EXPIRES": Setting(
        600,
        (
            Rule(
                "uploads.E005",
                f"a whole number of seconds from 1 to {MAX_EXPIRES}",
                "Signed URLs should be short-lived; the default is {default} seconds.",
                _whole(1, MAX_EXPIRES),
            ),
        ),
        profile=True,
    ),
    # Seconds a presigned GET (viewing) URL stays valid.
    "VIEW_EXPIRES": Setting(
        300,
        (
            Rule(
                "uploads.E009",
                f"a whole number of seconds from 1 to {MAX_EXPIRES}",
                "Signed URLs should be short-lived; the default is {default} seconds.",
                _whole(1, MAX_EXPIRES),
            ),
        ),
    ),
    # First segment of every object key (after the storage's location):
    # <location>/<prefix>/<installation>/<user id>/<uuid>/<name>.
    "KEY_PREFIX": Setting(
        "uploads",
        (
            Rule(
                "uploads.E008",
                "one or more path segments of letters, digits, '-' and '_'",
                "For example 'uploads' or 'media/uploads'; no leading or trailing slash, no '..'.",
                lambda value: isinstance(value, str) and bool(_SAFE_PREFIX.match(value)),
            ),
        ),
        profile=True,
    ),
    # The segment that marks this installation's keys, so the clean-up deletes only what this
    # installation made. None: derived from SECRET_KEY (and SECRET_KEY_FALLBACKS still count).
    # Set it when two deployments share a bucket and a SECRET_KEY.
    "INSTALLATION_ID": Setting(
        None,
        (
            Rule(
                "uploads.E045",
                "None or 3 to 40 lower-case letters, digits and '-'",
                "It becomes a segment of every key, e.g. 'shop-production'. "
                "None derives one from SECRET_KEY.",
                lambda value: (
                    value is None or (isinstance(value, str) and bool(_INSTALLATION_ID.match(value)))
                ),
            ),
        ),
    ),
    # Bytes read from the start of an object to check its format and dimensions.
    "SNIFF_BYTES": Setting(
        256 * 1024,
        (_whole_number("uploads.E010", "Bytes read to check a file's format; the default is {default}."),),
    ),
    # Uploads per page in the list API.
    "PAGE_SIZE": Setting(
        20, (_whole_number("uploads.E012", "Uploads per page of the list API; the default is {default}."),)
    ),
    # How many files the browser uploads at once.
    "PARALLEL": Setting(
        3, (_whole_number("uploads.E013", "Files the browser sends at once; the default is {default}."),)
    ),
    # Image size limits, in pixels; a file outside them fails verification.
    "MIN_WIDTH": Setting(
        1,
        (_whole_number("uploads.E014", "Smallest width in pixels; the default is {default}."),),
        profile=True,
    ),
    "MIN_HEIGHT": Setting(
        1,
        (_whole_number("uploads.E015", "Smallest height in pixels; the default is {default}."),),
        profile=True,
    ),
    "MAX_WIDTH": Setting(
        20_000,
        (_whole_number("uploads.E016", "Largest width in pixels; the default is {default}."),),
        profile=True,
    ),
    "MAX_HEIGHT": Setting(
        20_000,
        (_whole_number("uploads.E017", "Largest height in pixels; the default is {default}."),),
        profile=True,
    ),
    # Width × height; refuses decompression bombs (a tiny file that decodes to gigabytes).
    "MAX_PIXELS": Setting(
        50_000_000,
        (_whole_number("uploads.E018", "Largest width × height; the default is {default}."),),
        profile=True,
    ),
    # Seconds after a policy expires before the clean-up treats its upload as abandoned.
    "CLEANUP_GRACE": Setting(
        3600,
        (_whole_number("uploads.E019", "Seconds to wait after a policy expires; the default is {default}."),),
    ),
    # Seconds after verification after which the clean-up deletes an upload that no model's upload
    # field holds (a form left before saving, a product deleted). None keeps them: uploads made
    # with {% uploader %} alone are never attached to anything.
    "DISCARD_UNATTACHED": Setting(None, (_limit("uploads.E042"),), profile=True),
    # Whether the create call must carry the file's SHA-256 (base64), which the policy then pins.
    "REQUIRE_CHECKSUM": Setting(
        False,
        (
            Rule(
                "uploads.E046",
                "True or False",
                "A string such as 'false' would count as on.",
                lambda v: isinstance(v, bool),
            ),
        ),
    ),
    # Per-user limits on the create call; None switches one off. Answered with 429 and Retry-After.
    # MAX_PENDING: uploads whose policy has not expired yet, whatever their status.
    "MAX_PENDING": Setting(None, (_limit("uploads.E025"),)),
    # UPLOADS_PER_HOUR: counted in Django's cache by django-ratelimit.
    "UPLOADS_PER_HOUR": Setting(None, (_limit("uploads.E026"),)),
    # BYTES_PER_DAY: declared bytes of the last 24 hours' uploads, failed ones excluded.
    "BYTES_PER_DAY": Setting(None, (_limit("uploads.E027"),)),
    # Who may start an upload: None for any logged-in user, a permission ("app.codename"), or a
    # callable taking the user and returning True or False.
    "PERMISSION": Setting(
        None,
        (
            Rule(
                "uploads.E047",
                "None, a permission written 'app_label.codename', or a callable",
                "For example 'catalog.add_product', or lambda user: user.is_active.",
                problems=_permission,
            ),
        ),
        profile=True,
    ),
    # Dotted paths of callables ``authenticate(request) -> user or None`` for API clients that
    # send a credential a browser never adds by itself (a bearer token in ``Authorization``).
    # Only a request one of them authenticates is spared the CSRF check; Basic, Digest,
    # Negotiate and NTLM credentials are never passed to them.
    "TOKEN_AUTHENTICATION": Setting(
        [],
        (
            Rule(
                "uploads.E050",
                "a list of dotted paths",
                'For example ["myproject.tokens.authenticate"]: each a callable taking the request '
                "and returning a user or None.",
                lambda v: isinstance(v, (list, tuple)) and all(isinstance(path, str) for path in v),
            ),
        ),
    ),
    # Named kinds of upload, each overriding any setting marked profile=True; the top level is "default".
    "PROFILES": Setting(
        {},
        (
            Rule(
                "uploads.E028",
                "a dict of profile names to dicts",
                'For example {"avatar": {"MAX_SIZE": 2 * 2**20}}.',
                lambda v: isinstance(v, dict),
            ),
        ),
    ),
    # How the app's S3 client waits and retries (botocore's connect/read timeouts and retry mode);
    # these win over the same fields of AWS_S3_CLIENT_CONFIG.
    "S3_CONNECT_TIMEOUT": Setting(3, (_timeout("uploads.E023"),)),
    "S3_READ_TIMEOUT": Setting(10, (_timeout("uploads.E023"),)),
    "S3_MAX_ATTEMPTS": Setting(
        3,
        (
            _whole_number(
                "uploads.E022", "Tries per S3 request, the first included; the default is {default}."
            ),
        ),
    ),
    "S3_RETRY_MODE": Setting(
        "standard",
        (
            Rule(
                "uploads.E024",
                f"one of {', '.join(RETRY_MODES)}",
                "botocore's retry modes; the default is {default}.",
                lambda v: v in RETRY_MODES,
            ),
        ),
    ),
    # Seconds an API request waits for S3 in all, every attempt and call together; then 503.
    "S3_DEADLINE": Setting(5, (_timeout("uploads.E023"),)),
    # Files larger than this many bytes go to S3 in parts (a multipart upload), each part's URL
    # pinned to that part's SHA-256; at most 5 GB, the largest single POST. Only a profile whose
    # MAX_SIZE is above it ever sees one, and only such a profile's MAX_SIZE may pass 5 GB.
    "MULTIPART_THRESHOLD": Setting(
        100 * MB,
        (
            Rule(
                "uploads.E057",
                "a whole number of bytes from 1 to 5 GB",
                "Files larger than it go to S3 in parts, smaller ones in one POST, which S3 takes "
                "up to 5 GB. The default is {default} (100 MB).",
                _whole(1, S3_POST_LIMIT),
            ),
        ),
    ),
    # Bytes in every part but the last. S3 takes 5 MB to 5 GB and at most 10,000 parts, so a
    # profile's MAX_SIZE can be at most 10,000 parts of this size.
    "MULTIPART_PART_SIZE": Setting(
        16 * MB,
        (
            Rule(
                "uploads.E058",
                f"a whole number of bytes from 5 MB ({S3_PART_SIZES[0]}) to 5 GB",
                "The bytes of every part but the last; S3 refuses to assemble smaller parts. "
                "The default is {default} (16 MB).",
                _whole(*S3_PART_SIZES),
            ),
        ),
    ),
    # Seconds completing a multipart upload may wait for S3 in all: S3 assembles the parts then.
    "MULTIPART_DEADLINE": Setting(30, (_timeout("uploads.E023"),)),
    # Where the S3 client's configuration comes from. None: the django-storages AWS_* settings.
    # A string: the alias of a STORAGES entry whose BACKEND is django-storages' S3 storage (or a
    # subclass); its OPTIONS configure the client, and AWS_* fill what they leave out, as in
    # django-storages itself.
    "STORAGE": Setting(
        None,
        (
            Rule(
                "uploads.E031",
                "None or the alias of a STORAGES entry",
                "None (the default) uses the django-storages AWS_* settings; a string such as "
                "'uploads' uses STORAGES['uploads'].",
                lambda v: v is None or isinstance(v, str),
            ),
        ),
    ),
    # Smaller copies of each verified image, made by a background task: a dict of names to
    # {"size": 320 or (width, height), "fit": "inside" or "crop", "format": "webp", "avif" or
    # "jpeg", "quality": 1-100}. Thumbnails show the smallest; none: thumbnails show a placeholder.
    "VARIANTS": Setting(
        {},
        (
            Rule(
                "uploads.E052",
                "a dict of variant names to specs (see UPLOADS['VARIANTS'])",
                'For example {"thumb": {"size": 320}, '
                '"square": {"size": 512, "fit": "crop", "format": "avif", "quality": 70}}.',
                problems=variant_problems,
            ),
        ),
        profile=True,
    ),
    # What the page re-encodes an image to before it is hashed, declared and sent, when the image
    # is larger than the box, heavier than MAX_SIZE or of a type not allowed: {"max_width": 1024,
    # "max_height": 1024, "type": "image/jpeg", "image/webp" or "image/png", "quality": 1-100}
    # (type and quality as in CLIENT_RESIZE_DEFAULTS when left out). None sends every file as
    # picked. Only the resized bytes are signed and sent; the server checks them like any other.
    "CLIENT_RESIZE": Setting(
        None,
        (
            Rule(
                "uploads.E070",
                "None or a dict with 'max_width', 'max_height' and optionally 'type', 'quality' "
                "(see UPLOADS['CLIENT_RESIZE'])",
                'For example {"max_width": 1024, "max_height": 1024, "type": "image/jpeg", "quality": 85}.',
                problems=client_resize_problems,
            ),
        ),
        profile=True,
    ),
    # Whether staff review a profile's uploads, and what others see meanwhile: None (no review),
    # "before_publish" (shown to others once approved) or "after_publish" (shown at once, hidden
    # once rejected). A rejected upload is shown to its owner and staff only.
    "REVIEW": Setting(
        None,
        (
            Rule(
                "uploads.E053",
                "None, 'before_publish' or 'after_publish'",
                "'before_publish' shows an upload to others once approved; 'after_publish' at once, "
                "until it is rejected.",
                lambda v: v in REVIEWS,
            ),
        ),
        profile=True,
    ),
    # Reasons a reviewer picks from when rejecting (with free text beside them): (code, text) pairs.
    "REJECTION_REASONS": Setting(
        [
            ("quality", _("The image is blurred, too dark or too small to show the product.")),
            ("content", _("The image does not show what it is meant to show.")),
            ("text", _("The image carries contact details, prices or advertising.")),
            ("rights", _("The image seems to belong to someone else.")),
            ("other", _("Another reason, given below.")),
        ],
        (
            Rule(
                "uploads.E054",
                "a non-empty list of (code, text) pairs, codes of 1 to 50 characters",
                'For example [("blurry", _("The image is blurred.")), '
                '("other", _("Another reason, given below."))].',
                _reason_pairs,
            ),
            Rule(
                "uploads.E054",
                "(code, text) pairs with a code of their own each",
                "Give each reason its own code.",
                problems=lambda reasons: [] if _codes_once(reasons) else ["names a code twice"],
            ),
        ),
    ),
    # The Tasks API backend (an alias of the TASKS setting) the variant tasks are enqueued on.
    "TASK_BACKEND": Setting("default"),
    # How often a variant task is tried when S3 fails, and the first wait (doubled each time), in seconds.
    "TASK_ATTEMPTS": Setting(
        5,
        (_whole_number("uploads.E055", "Tries of a variant task when S3 fails; the default is {default}."),),
    ),
    "TASK_RETRY_DELAY": Setting(
        5,
        (
            _whole_number(
                "uploads.E055",
                "Seconds before a failed variant task is tried again; the default is {default}.",
            ),
        ),
    ),
    # Seconds after which variants asked for and still not made are asked for again: the worker
    # that took the task may have died. Longer than a task ever runs.
    "TASK_LEASE": Setting(
        600,
        (
            _whole_number(
                "uploads.E055",
                "Seconds after which lost variant tasks are asked for again; the default is {default}.",
            ),
        ),
    ),
}

DEFAULTS = {name: setting.default for name, setting in SETTINGS.items()}
DEFAULT_PROFILE = "default"
# What a profile may set for its own uploads.
PROFILE_KEYS = tuple(name for name, setting in SETTINGS.items() if setting.profile)


def get(name: str, profile: str = DEFAULT_PROFILE) -> Any:  # noqa: ANN401 (whatever the setting holds)
    """Return the effective value of one ``UPLOADS`` setting, for one upload profile."""
    merged = {**DEFAULTS, **getattr(settings, "UPLOADS", {})}
    if profile != DEFAULT_PROFILE and name in PROFILE_KEYS:
        return merged["PROFILES"].get(profile, {}).get(name, merged[name])
    return merged[name]


def profiles() -> list[str]:
    """The names of the upload profiles: "default" and the configured ones."""
    return [DEFAULT_PROFILE, *(name for name in get("PROFILES") if name != DEFAULT_PROFILE)]


def user_settings() -> object:
    """``UPLOADS`` as the project wrote it (maybe not a dict: uploads.E001 says so)."""
    return getattr(settings, "UPLOADS", {})
