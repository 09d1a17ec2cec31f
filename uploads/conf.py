"""The app's settings: one ``UPLOADS`` dict merged over ``DEFAULTS`` at every read.

Reading at every access (never at import) means ``override_settings`` and
pytest-django's ``settings`` fixture just work.
"""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

MB = 2**20

# Types we can verify by their magic bytes and Pillow. Never SVG or HTML: both can carry script.
VERIFIABLE_TYPES = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "image/avif": ".avif",
}

DEFAULTS = {
    # Largest file a policy is signed for, in bytes.
    "MAX_SIZE": 10 * MB,
    # MIME types a seller may upload; each must be in VERIFIABLE_TYPES.
    "ALLOWED_TYPES": list(VERIFIABLE_TYPES),
    # Seconds a POST policy stays valid.
    "EXPIRES": 600,
    # Seconds a presigned GET (viewing) URL stays valid.
    "VIEW_EXPIRES": 300,
    # First segment of every object key (after the storage's location):
    # <location>/<prefix>/<installation>/<user id>/<uuid>/<name>.
    "KEY_PREFIX": "uploads",
    # The segment that marks this installation's keys, so the clean-up deletes only what this
    # installation made. None: derived from SECRET_KEY (and SECRET_KEY_FALLBACKS still count).
    # Set it when two deployments share a bucket and a SECRET_KEY.
    "INSTALLATION_ID": None,
    # Bytes read from the start of an object to check its format and dimensions.
    "SNIFF_BYTES": 256 * 1024,
    # Uploads per page in the list API.
    "PAGE_SIZE": 20,
    # How many files the browser uploads at once.
    "PARALLEL": 3,
    # Image size limits, in pixels; a file outside them fails verification.
    "MIN_WIDTH": 1,
    "MIN_HEIGHT": 1,
    "MAX_WIDTH": 20_000,
    "MAX_HEIGHT": 20_000,
    # Width × height; refuses decompression bombs (a tiny file that decodes to gigabytes).
    "MAX_PIXELS": 50_000_000,
    # Seconds after a policy expires before the clean-up treats its upload as abandoned.
    "CLEANUP_GRACE": 3600,
    # Seconds after verification after which the clean-up deletes an upload that no model's upload
    # field holds (a form left before saving, a product deleted). None keeps them: uploads made
    # with {% uploader %} alone are never attached to anything.
    "DISCARD_UNATTACHED": None,
    # Whether the create call must carry the file's SHA-256 (base64), which the policy then pins.
    "REQUIRE_CHECKSUM": False,
    # Per-user limits on the create call; None switches one off. Answered with 429 and Retry-After.
    "MAX_PENDING": None,  # uploads whose policy has not expired yet, whatever their status
    "UPLOADS_PER_HOUR": None,  # counted in Django's cache by django-ratelimit
    "BYTES_PER_DAY": None,  # declared bytes of the last 24 hours' uploads, failed ones excluded
    # Who may start an upload: None for any logged-in user, a permission ("app.codename"), or a
    # callable taking the user and returning True or False.
    "PERMISSION": None,
    # Dotted paths of callables ``authenticate(request) -> user or None`` for API clients that
    # send a credential a browser never adds by itself (a bearer token in ``Authorization``).
    # Only a request one of them authenticates is spared the CSRF check; Basic, Digest,
    # Negotiate and NTLM credentials are never passed to them.
    "TOKEN_AUTHENTICATION": [],
    # Named kinds of upload, each overriding any of PROFILE_KEYS; the top level is "default".
    "PROFILES": {},
    # How the app's S3 client waits and retries (botocore's connect/read timeouts and retry mode);
    # these win over the same fields of AWS_S3_CLIENT_CONFIG.
    "S3_CONNECT_TIMEOUT": 3,
    "S3_READ_TIMEOUT": 10,
    "S3_MAX_ATTEMPTS": 3,
    "S3_RETRY_MODE": "standard",
    # Seconds an API request waits for S3 in all, every attempt and call together; then 503.
    "S3_DEADLINE": 5,
    # Files larger than this many bytes go to S3 in parts (a multipart upload), each part's URL
    # pinned to that part's SHA-256; at most 5 GB, the largest single POST. Only a profile whose
    # MAX_SIZE is above it ever sees one, and only such a profile's MAX_SIZE may pass 5 GB.
    "MULTIPART_THRESHOLD": 100 * MB,
    # Bytes in every part but the last. S3 takes 5 MB to 5 GB and at most 10,000 parts, so a
    # profile's MAX_SIZE can be at most 10,000 parts of this size.
    "MULTIPART_PART_SIZE": 16 * MB,
    # Seconds completing a multipart upload may wait for S3 in all: S3 assembles the parts then.
    "MULTIPART_DEADLINE": 30,
    # Where the S3 client's configuration comes from. None: the django-storages AWS_* settings.
    # A string: the alias of a STORAGES entry whose BACKEND is django-storages' S3 storage (or a
    # subclass); its OPTIONS configure the client, and AWS_* fill what they leave out, as in
    # django-storages itself.
    "STORAGE": None,
    # Smaller copies of each verified image, made by a background task: a dict of names to
    # {"size": 320 or (width, height), "fit": "inside" or "crop", "format": "webp", "avif" or
    # "jpeg", "quality": 1-100}. Thumbnails show the smallest; none: thumbnails show a placeholder.
    "VARIANTS": {},
    # What the page re-encodes an image to before it is hashed, declared and sent, when the image
    # is larger than the box, heavier than MAX_SIZE or of a type not allowed: {"max_width": 1024,
    # "max_height": 1024, "type": "image/jpeg", "image/webp" or "image/png", "quality": 1-100}
    # (type and quality as in CLIENT_RESIZE_DEFAULTS when left out). None sends every file as
    # picked. Only the resized bytes are signed and sent; the server checks them like any other.
    "CLIENT_RESIZE": None,
    # Whether staff review a profile's uploads, and what others see meanwhile: None (no review),
    # "before_publish" (shown to others once approved) or "after_publish" (shown at once, hidden
    # once rejected). A rejected upload is shown to its owner and staff only.
    "REVIEW": None,
    # Reasons a reviewer picks from when rejecting (with free text beside them): (code, text) pairs.
    "REJECTION_REASONS": [
        ("quality", _("The image is blurred, too dark or too small to show the product.")),
        ("content", _("The image does not show what it is meant to show.")),
        ("text", _("The image carries contact details, prices or advertising.")),
        ("rights", _("The image seems to belong to someone else.")),
        ("other", _("Another reason, given below.")),
    ],
    # The Tasks API backend (an alias of the TASKS setting) the variant tasks are enqueued on.
    "TASK_BACKEND": "default",
    # How often a variant task is tried when S3 fails, and the first wait (doubled each time), in seconds.
    "TASK_ATTEMPTS": 5,
    "TASK_RETRY_DELAY": 5,
    # Seconds after which variants asked for and still not made are asked for again: the worker
    # that took the task may have died. Longer than a task ever runs.
    "TASK_LEASE": 600,
}


DEFAULT_PROFILE = "default"
# What a profile may set for its own uploads.
PROFILE_KEYS = (
    "ALLOWED_TYPES",
    "MAX_SIZE",
    "MIN_WIDTH",
    "MIN_HEIGHT",
    "MAX_WIDTH",
    "MAX_HEIGHT",
    "MAX_PIXELS",
    "KEY_PREFIX",
    "EXPIRES",
    "PERMISSION",
    "DISCARD_UNATTACHED",
    "VARIANTS",
    "REVIEW",
    "CLIENT_RESIZE",
)

# What a CLIENT_RESIZE leaves out: JPEG, which every browser's canvas encodes (Safari's makes no
# WebP), at a quality that shows no artefacts in a photo.
CLIENT_RESIZE_DEFAULTS = {"type": "image/jpeg", "quality": 85}
# The types a CLIENT_RESIZE may make: those browsers' canvases encode and the server verifies.
CLIENT_RESIZE_TYPES = ("image/jpeg", "image/webp", "image/png")

# The values of REVIEW.
BEFORE_PUBLISH, AFTER_PUBLISH = "before_publish", "after_publish"


def get(name, profile=DEFAULT_PROFILE):
    """Return the effective value of one ``UPLOADS`` setting, for one upload profile."""
    merged = {**DEFAULTS, **getattr(settings, "UPLOADS", {})}
    if profile != DEFAULT_PROFILE and name in PROFILE_KEYS:
        return merged["PROFILES"].get(profile, {}).get(name, merged[name])
    return merged[name]


def profiles():
    """The names of the upload profiles: "default" and the configured ones."""
    return [DEFAULT_PROFILE, *(name for name in get("PROFILES") if name != DEFAULT_PROFILE)]


def user_settings():
    return getattr(settings, "UPLOADS", {})
