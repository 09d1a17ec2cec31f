"""System checks for the ``UPLOADS`` setting: offline and fast, one id per mistake."""

import re

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Warning, register
from django.utils.module_loading import import_string
from storages.backends.s3 import S3Storage

from uploads import conf, keys, s3, variants
from uploads.verify import MAX_PARTS

S3_POST_LIMIT = 5 * 2**30  # S3 refuses a single POST upload above 5 GB.
S3_OBJECT_LIMIT = 5 * 2**40  # and any object above 5 TB, however it is sent.
S3_PART_SIZES = (5 * 2**20, 5 * 2**30)  # S3's smallest part (but the last) and largest.
MAX_EXPIRES = 3600
_SAFE_PREFIX = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$")
_POSITIVE_INTS = {
    "SNIFF_BYTES": ("uploads.E010", "Bytes read to check a file's format; the default is 262144."),
    "PAGE_SIZE": ("uploads.E012", "Uploads per page of the list API; the default is 20."),
    "PARALLEL": ("uploads.E013", "Files the browser sends at once; the default is 3."),
    "MIN_WIDTH": ("uploads.E014", "Smallest width in pixels; the default is 1."),
    "MIN_HEIGHT": ("uploads.E015", "Smallest height in pixels; the default is 1."),
    "MAX_WIDTH": ("uploads.E016", "Largest width in pixels; the default is 20000."),
    "MAX_HEIGHT": ("uploads.E017", "Largest height in pixels; the default is 20000."),
    "MAX_PIXELS": ("uploads.E018", "Largest width × height; the default is 50000000."),
    "CLEANUP_GRACE": ("uploads.E019", "Seconds to wait after a policy expires; the default is 3600."),
    "S3_MAX_ATTEMPTS": ("uploads.E022", "Tries per S3 request, the first included; the default is 3."),
    "TASK_ATTEMPTS": ("uploads.E055", "Tries of a variant task when S3 fails; the default is 5."),
    "TASK_RETRY_DELAY": ("uploads.E055", "Seconds before a failed variant task is tried again; the default is 5."),
    "TASK_LEASE": ("uploads.E055", "Seconds after which lost variant tasks are asked for again; the default is 600."),
}
_OPTIONAL_POSITIVE_INTS = {
    "MAX_PENDING": "uploads.E025",
    "UPLOADS_PER_HOUR": "uploads.E026",
    "BYTES_PER_DAY": "uploads.E027",
    "DISCARD_UNATTACHED": "uploads.E042",
}
_UNSHARED_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.db.DatabaseCache",
    "django.core.cache.backends.filebased.FileBasedCache",
)
_TIMEOUTS = ("S3_CONNECT_TIMEOUT", "S3_READ_TIMEOUT", "S3_DEADLINE", "MULTIPART_DEADLINE")
_INSTALLATION_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,39}$")
# Aliases Django itself writes through (default_storage, collectstatic): never the app's alone.
_PROJECT_ALIASES = ("default", "staticfiles")
_RETRY_MODES = ("legacy", "standard", "adaptive")


_REVIEWS = (None, conf.BEFORE_PUBLISH, conf.AFTER_PUBLISH)
_VARIANT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,29}$")
_VARIANT_KEYS = {"size", "fit", "format", "quality"}
MAX_VARIANT_SIDE = 10_000
_IMMEDIATE_BACKENDS = ("django.tasks.backends.immediate.ImmediateBackend", "django_tasks.backends.immediate.ImmediateBackend")


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _positive(value):
    return _is_int(value) and value >= 1


# What each profile key must be, as (test, rule said in the message).
_PROFILE_RULES = {
    "ALLOWED_TYPES": (
        lambda v: isinstance(v, (list, tuple)) and v and all(t in conf.VERIFIABLE_TYPES for t in v),
        f"a non-empty list from {', '.join(conf.VERIFIABLE_TYPES)}",
    ),
    "MAX_SIZE": (
        lambda v: _positive(v) and not _too_large(v),
        "a number of bytes from 1 to 10,000 parts of MULTIPART_PART_SIZE (at most 5 TB)",
    ),
    "EXPIRES": (lambda v: _positive(v) and v <= MAX_EXPIRES, f"a whole number of seconds from 1 to {MAX_EXPIRES}"),
    "KEY_PREFIX": (lambda v: isinstance(v, str) and _SAFE_PREFIX.match(v), "path segments of letters, digits, '-', '_'"),
    "PERMISSION": (lambda v: v is None or isinstance(v, str) or callable(v), "None, 'app.codename' or a callable"),
    "DISCARD_UNATTACHED": (lambda v: v is None or _positive(v), "None or a positive whole number of seconds"),
    "VARIANTS": (lambda v: not _variant_problems(v), "a dict of variant names to specs (see UPLOADS['VARIANTS'])"),
    "REVIEW": (lambda v: v in _REVIEWS, "None, 'before_publish' or 'after_publish'"),
    "CLIENT_RESIZE": (
        lambda v: not _client_resize_problems(v),
        "None or a dict with 'max_width', 'max_height' and optionally 'type', 'quality' (see UPLOADS['CLIENT_RESIZE'])",
    ),
    **{name: (_positive, "a positive whole number") for name in ("MIN_WIDTH", "MIN_HEIGHT", "MAX_WIDTH", "MAX_HEIGHT", "MAX_PIXELS")},
}


def _largest_file():
    """The largest MAX_SIZE S3 takes: 10,000 parts of MULTIPART_PART_SIZE, at most 5 TB (a file
    above MULTIPART_THRESHOLD, at most 5 GB, goes in parts; one below it in one POST, which S3
    takes up to 5 GB). None while those settings are wrong: uploads.E057 and E058 say so first."""
    threshold, part_size = conf.get("MULTIPART_THRESHOLD"), conf.get("MULTIPART_PART_SIZE")
    if _threshold_problem(threshold) or _part_size_problem(part_size):
        return None
    return min(S3_OBJECT_LIMIT, MAX_PARTS * part_size)


def _threshold_problem(value):
    return not (_positive(value) and value <= S3_POST_LIMIT)


def _part_size_problem(value):
    smallest, largest = S3_PART_SIZES
    return not (_is_int(value) and smallest <= value <= largest)


def _too_large(max_size):
    largest = _largest_file()
    return largest is not None and max_size > largest


def _max_size_error(max_size):
    """uploads.E004: a MAX_SIZE that S3 cannot take even in parts."""
    largest = _largest_file()
    if largest == S3_OBJECT_LIMIT:
        message, hint = "S3 stores at most 5 TB in one object.", f"Use a value up to {S3_OBJECT_LIMIT}."
    else:
        part_size = conf.get("MULTIPART_PART_SIZE")
        message = (
            f"S3 takes at most {MAX_PARTS:,} parts, and {MAX_PARTS:,} parts of MULTIPART_PART_SIZE "
            f"({part_size} bytes) hold {largest} bytes."
        )
        hint = f"Raise MULTIPART_PART_SIZE to {-(-max_size // MAX_PARTS)} bytes or more, or lower MAX_SIZE."
    return Error(f"UPLOADS['MAX_SIZE'] is {max_size} bytes; {message}", hint=hint, id="uploads.E004")


def _multipart_checks():
    errors = []
    if _threshold_problem(conf.get("MULTIPART_THRESHOLD")):
        errors.append(
            Error(
                "UPLOADS['MULTIPART_THRESHOLD'] must be a whole number of bytes from 1 to 5 GB.",
                hint="Files larger than it go to S3 in parts, smaller ones in one POST, which S3 takes "
                "up to 5 GB. The default is 104857600 (100 MB).",
                id="uploads.E057",
            )
        )
    if _part_size_problem(conf.get("MULTIPART_PART_SIZE")):
        errors.append(
            Error(
                "UPLOADS['MULTIPART_PART_SIZE'] must be a whole number of bytes from 5 MB (5242880) to 5 GB.",
                hint="The bytes of every part but the last; S3 refuses to assemble smaller parts. "
                "The default is 16777216 (16 MB).",
                id="uploads.E058",
            )
        )
    return errors


def _variant_problems(named):
    """What is wrong with one ``VARIANTS`` value, as sentences; none when it is right."""
    if not isinstance(named, dict):
        return ["must be a dict of variant names to specs"]
    problems = []
    for name, spec in named.items():
        if not isinstance(name, str) or not _VARIANT_NAME.match(name):
            problems.append(f"has the name {name!r}; names are 1-30 lower-case letters, digits, '-' and '_'")
            continue
        if not isinstance(spec, dict):
            problems.append(f"[{name!r}] must be a dict with 'size' and optionally 'fit', 'format', 'quality'")
            continue
        for key in sorted(set(spec) - _VARIANT_KEYS):
            problems.append(f"[{name!r}] has {key!r}; a variant takes {', '.join(sorted(_VARIANT_KEYS))}")
        size = spec.get("size")
        sides = [size] if _is_int(size) else list(size) if isinstance(size, (list, tuple)) and len(size) == 2 else None
        if not sides or not all(_is_int(side) and 1 <= side <= MAX_VARIANT_SIDE for side in sides):
            problems.append(f"[{name!r}]['size'] must be pixels from 1 to {MAX_VARIANT_SIDE}, or [width, height] of them")
        if spec.get("fit", variants.DEFAULT_FIT) not in variants.FITS:
            problems.append(f"[{name!r}]['fit'] must be one of {', '.join(variants.FITS)}")
        if spec.get("format", variants.DEFAULT_FORMAT) not in variants.FORMATS:
            problems.append(f"[{name!r}]['format'] must be one of {', '.join(variants.FORMATS)}")
        quality = spec.get("quality", variants.DEFAULT_QUALITY)
        if not (_is_int(quality) and 1 <= quality <= 100):
            problems.append(f"[{name!r}]['quality'] must be a whole number from 1 to 100")
    return problems


_RESIZE_KEYS = ("max_width", "max_height", "type", "quality")


def _client_resize_problems(spec):
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
        if not (_positive(spec.get(side)) and spec[side] <= MAX_VARIANT_SIDE):
            problems.append(f"[{side!r}] must be a whole number of pixels from 1 to {MAX_VARIANT_SIDE}")
    if spec.get("type", conf.CLIENT_RESIZE_DEFAULTS["type"]) not in conf.CLIENT_RESIZE_TYPES:
        problems.append(f"['type'] must be one of {', '.join(conf.CLIENT_RESIZE_TYPES)}")
    quality = spec.get("quality", conf.CLIENT_RESIZE_DEFAULTS["quality"])
    if not (_is_int(quality) and 1 <= quality <= 100):
        problems.append("['quality'] must be a whole number from 1 to 100")
    return problems


_PROFILE_HINT = "Each profile overrides the top-level UPLOADS settings for its own uploads."


def _profile_errors(profiles):
    if not isinstance(profiles, dict):
        return [
            Error(
                "UPLOADS['PROFILES'] must be a dict of profile names to dicts.",
                hint='For example {"avatar": {"MAX_SIZE": 2 * 2**20}}.',
                id="uploads.E028",
            )
        ]
    errors = []
    for name, overrides in profiles.items():
        where = f"UPLOADS['PROFILES'][{name!r}]"
        if not isinstance(name, str) or not isinstance(overrides, dict):
            errors.append(Error(f"{where} must be a dict of settings.", hint=_PROFILE_HINT, id="uploads.E028"))
            continue
        for key in sorted(set(overrides) - set(conf.PROFILE_KEYS)):
            errors.append(
                Error(
                    f"{where} has {key!r}, which a profile cannot set.",
                    hint=f"A profile can set: {', '.join(conf.PROFILE_KEYS)}.",
                    id="uploads.E029",
                )
            )
        for key, value in overrides.items():
            test, rule = _PROFILE_RULES.get(key, (lambda v: True, ""))
            if not test(value):
                errors.append(Error(f"{where}[{key!r}] must be {rule}.", hint=_PROFILE_HINT, id="uploads.E030"))
    return errors


@register()
def check_settings(app_configs, **kwargs):
    user = conf.user_settings()
    if not isinstance(user, dict):
        return [Error("UPLOADS must be a dict.", hint="Set UPLOADS = {...} in your settings.", id="uploads.E001")]

    errors = []
    for key in sorted(set(user) - set(conf.DEFAULTS)):
        errors.append(
            Error(
                f"UPLOADS has an unknown key {key!r}.",
                hint=f"Known keys: {', '.join(sorted(conf.DEFAULTS))}.",
                id="uploads.E002",
            )
        )

    errors += _profile_errors(conf.get("PROFILES"))

    max_size = conf.get("MAX_SIZE")
    if not _is_int(max_size) or max_size < 1:
        errors.append(
            Error(
                "UPLOADS['MAX_SIZE'] must be a positive number of bytes.",
                hint="For example 10 * 2**20 for 10 MB.",
                id="uploads.E003",
            )
        )
    elif _too_large(max_size):
        errors.append(_max_size_error(max_size))
    errors += _multipart_checks()

    for name, check_id in (("EXPIRES", "uploads.E005"), ("VIEW_EXPIRES", "uploads.E009")):
        value = conf.get(name)
        if not _is_int(value) or not 1 <= value <= MAX_EXPIRES:
            errors.append(
                Error(
                    f"UPLOADS['{name}'] must be a whole number of seconds from 1 to {MAX_EXPIRES}.",
                    hint="Signed URLs should be short-lived; the default is "
                    f"{conf.DEFAULTS[name]} seconds.",
                    id=check_id,
                )
            )

    types = conf.get("ALLOWED_TYPES")
    if not isinstance(types, (list, tuple)) or not types or not all(isinstance(t, str) for t in types):
        errors.append(
            Error(
                "UPLOADS['ALLOWED_TYPES'] must be a non-empty list of MIME types.",
                hint='For example ["image/jpeg", "image/png"].',
                id="uploads.E006",
            )
        )
    else:
        for content_type in types:
            if content_type not in conf.VERIFIABLE_TYPES:
                errors.append(
                    Error(
                        f"UPLOADS['ALLOWED_TYPES'] contains {content_type!r}, which the app cannot verify.",
                        hint=f"Choose from: {', '.join(conf.VERIFIABLE_TYPES)}. "
                        "SVG and HTML are never allowed: they can carry script.",
                        id="uploads.E007",
                    )
                )

    prefix = conf.get("KEY_PREFIX")
    if not isinstance(prefix, str) or not _SAFE_PREFIX.match(prefix):
        errors.append(
            Error(
                "UPLOADS['KEY_PREFIX'] must be one or more path segments of letters, digits, '-' and '_'.",
                hint="For example 'uploads' or 'media/uploads'; no leading or trailing slash, no '..'.",
                id="uploads.E008",
            )
        )

    for name, (check_id, hint) in _POSITIVE_INTS.items():
        value = conf.get(name)
        if not _is_int(value) or value < 1:
            errors.append(Error(f"UPLOADS['{name}'] must be a positive whole number.", hint=hint, id=check_id))

    for name, check_id in _OPTIONAL_POSITIVE_INTS.items():
        value = conf.get(name)
        if value is not None and (not _is_int(value) or value < 1):
            errors.append(
                Error(
                    f"UPLOADS['{name}'] must be a positive whole number, or None for no limit.",
                    hint="None (the default) switches the limit off.",
                    id=check_id,
                )
            )
    if not isinstance(conf.get("REQUIRE_CHECKSUM"), bool):
        errors.append(
            Error(
                "UPLOADS['REQUIRE_CHECKSUM'] must be True or False.",
                hint="A string such as 'false' would count as on.",
                id="uploads.E046",
            )
        )
    errors += _permission_checks()
    cache_alias = getattr(settings, "RATELIMIT_USE_CACHE", "default")
    if conf.get("UPLOADS_PER_HOUR") is not None and cache_alias not in settings.CACHES:
        errors.append(
            Error(
                f"UPLOADS['UPLOADS_PER_HOUR'] is counted in the cache {cache_alias!r} (RATELIMIT_USE_CACHE), "
                "which CACHES does not define.",
                hint=f"Add CACHES[{cache_alias!r}], or point RATELIMIT_USE_CACHE at one of: {', '.join(settings.CACHES)}.",
                id="uploads.E049",
            )
        )
    if conf.get("UPLOADS_PER_HOUR") is not None:
        backend = settings.CACHES.get(cache_alias, {}).get("BACKEND", "")
        if backend in _UNSHARED_CACHES:
            errors.append(
                Warning(
                    f"UPLOADS['UPLOADS_PER_HOUR'] is counted in the cache, and {backend.rsplit('.', 1)[-1]} "
                    "is not shared between processes or has no atomic increment.",
                    hint="Use Redis or Memcached as the cache in production; each process counts alone here.",
                    id="uploads.W002",
                )
            )

    for name in _TIMEOUTS:
        value = conf.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 120:
            errors.append(
                Error(
                    f"UPLOADS['{name}'] must be a number of seconds above 0 and at most 120.",
                    hint="A request to S3 that hangs should fail fast, so the user can retry.",
                    id="uploads.E023",
                )
            )
    if conf.get("S3_RETRY_MODE") not in _RETRY_MODES:
        errors.append(
            Error(
                f"UPLOADS['S3_RETRY_MODE'] must be one of {', '.join(_RETRY_MODES)}.",
                hint="botocore's retry modes; the default is 'standard'.",
                id="uploads.E024",
            )
        )

    for low, high, check_id in (("MIN_WIDTH", "MAX_WIDTH", "uploads.E020"), ("MIN_HEIGHT", "MAX_HEIGHT", "uploads.E021")):
        smallest, largest = conf.get(low), conf.get(high)
        if _is_int(smallest) and _is_int(largest) and 1 <= largest < smallest:
            errors.append(
                Error(
                    f"UPLOADS['{low}'] is larger than UPLOADS['{high}']: no image could pass.",
                    hint=f"Make {low} at most {high}.",
                    id=check_id,
                )
            )

    sniff = conf.get("SNIFF_BYTES")
    if _is_int(sniff) and 1 <= sniff < 64 * 1024:
        errors.append(
            Warning(
                f"UPLOADS['SNIFF_BYTES'] is {sniff}; JPEGs with large metadata may then fail verification.",
                hint="Keep it at 65536 or more.",
                id="uploads.W001",
            )
        )

    installation = conf.get("INSTALLATION_ID")
    if installation is not None and not (isinstance(installation, str) and _INSTALLATION_ID.match(installation)):
        errors.append(
            Error(
                "UPLOADS['INSTALLATION_ID'] must be None or 3 to 40 lower-case letters, digits and '-'.",
                hint="It becomes a segment of every key, e.g. 'shop-production'. None derives one from SECRET_KEY.",
                id="uploads.E045",
            )
        )

    errors += _storage_checks(conf.get("STORAGE"))
    # Only a valid configuration can be built and compared with the project's storages.
    if any(message.is_serious() for message in errors):
        return errors
    return errors + _overlap_checks(conf.get("STORAGE"))


def _storage_checks(alias):
    aws_bucket = getattr(settings, "AWS_STORAGE_BUCKET_NAME", None)
    if alias is None:
        if aws_bucket:
            return []
        return [
            Error(
                "AWS_STORAGE_BUCKET_NAME is not set; the uploads app has no bucket to sign for.",
                hint="Set it (and the other django-storages AWS_* settings) in your settings.",
                id="uploads.E011",
            )
        ]
    if not isinstance(alias, str):
        return [
            Error(
                "UPLOADS['STORAGE'] must be None or the alias of a STORAGES entry.",
                hint="None (the default) uses the django-storages AWS_* settings; a string such as "
                "'uploads' uses STORAGES['uploads'].",
                id="uploads.E031",
            )
        ]
    entry = settings.STORAGES.get(alias)
    if entry is None:
        return [
            Error(
                f"UPLOADS['STORAGE'] is {alias!r}, but STORAGES has no such entry.",
                hint=f"Add STORAGES[{alias!r}] with django-storages' S3 backend, or name one of: "
                f"{', '.join(settings.STORAGES)}.",
                id="uploads.E032",
            )
        ]
    path = entry.get("BACKEND", "")
    try:
        backend = import_string(path)
    except ImportError:
        return [
            Error(
                f"STORAGES[{alias!r}]['BACKEND'] is {path!r}, which cannot be imported.",
                hint="Check the dotted path, e.g. 'storages.backends.s3.S3Storage', and that its package is installed.",
                id="uploads.E033",
            )
        ]
    if not (isinstance(backend, type) and issubclass(backend, S3Storage)):
        return [
            Error(
                f"STORAGES[{alias!r}]['BACKEND'] is {path!r}, which is not django-storages' S3 storage.",
                hint="The uploads app signs for S3: use 'storages.backends.s3.S3Storage' or a subclass of it.",
                id="uploads.E034",
            )
        ]
    # As django-storages does: OPTIONS win, then the class's own attribute, then the AWS_* setting.
    bucket = entry.get("OPTIONS", {}).get("bucket_name", getattr(backend, "bucket_name", aws_bucket))
    if not bucket:
        return [
            Error(
                f"STORAGES[{alias!r}] names no bucket: its OPTIONS have no 'bucket_name' and "
                "AWS_STORAGE_BUCKET_NAME is not set.",
                hint=f"Add 'bucket_name' to STORAGES[{alias!r}]['OPTIONS'], or set AWS_STORAGE_BUCKET_NAME.",
                id="uploads.E035",
            )
        ]
    return []


def _permission_checks():
    """PERMISSION, at the top and in each profile: None, a callable, or a permission that exists.

    A profile's value of the wrong type is uploads.E030's, like every other profile key.
    """
    found = [("UPLOADS['PERMISSION']", conf.get("PERMISSION"))]
    profiles = conf.get("PROFILES")
    if isinstance(profiles, dict):
        found += [
            (f"UPLOADS['PROFILES'][{name!r}]['PERMISSION']", overrides["PERMISSION"])
            for name, overrides in profiles.items()
            if isinstance(overrides, dict) and isinstance(overrides.get("PERMISSION"), str)
        ]
    known = None
    errors = []
    for where, value in found:
        if value is None or callable(value):
            continue
        if not isinstance(value, str) or value.count(".") != 1:
            errors.append(
                Error(
                    f"{where} must be None, a permission written 'app_label.codename', or a callable; it is {value!r}.",
                    hint="For example 'catalog.add_product', or lambda user: user.is_active.",
                    id="uploads.E047",
                )
            )
            continue
        known = known if known is not None else _model_permissions()
        if value not in known:
            errors.append(
                Error(
                    f"{where} is {value!r}, which names no permission of an installed model: every user "
                    "would be refused.",
                    hint="Write it as 'app_label.codename' (the app's label, not its module), e.g. "
                    "'catalog.add_product'. If the permission is made another way than a model's Meta, "
                    "silence uploads.E048.",
                    id="uploads.E048",
                )
            )
    return errors


def _model_permissions():
    """Every permission the installed models declare: Django's defaults and each Meta.permissions."""
    names = set()
    for model in apps.get_models():
        opts = model._meta
        names.update(f"{opts.app_label}.{action}_{opts.model_name}" for action in opts.default_permissions)
        names.update(f"{opts.app_label}.{codename}" for codename, _ in opts.permissions)
    return names


def _overlap_checks(alias):
    """The app's keys must not sit where the project's own storages write in the same bucket:
    the clean-up would see the project's files among its own (it deletes none of them, but
    an app that shares its prefix with anything else cannot be told apart by a person either)."""
    ours = s3.storage()
    areas = sorted({keys.area(profile, ours.location) for profile in conf.profiles()})
    errors = []
    for name, entry in settings.STORAGES.items():
        if name == alias and name not in _PROJECT_ALIASES:
            continue  # the app's own entry
        try:
            backend = import_string(entry.get("BACKEND", ""))
        except ImportError:
            continue  # Django's own check reports it
        if not (isinstance(backend, type) and issubclass(backend, S3Storage)):
            continue
        theirs = backend(**entry.get("OPTIONS", {}))
        if (theirs.bucket_name, theirs.endpoint_url) != (ours.bucket_name, ours.endpoint_url):
            continue
        where = theirs.location.strip("/")
        writes = f"{where}/" if where else ""
        for area in areas:
            if area.startswith(writes) or writes.startswith(area):
                errors.append(
                    Error(
                        f"STORAGES[{name!r}] writes {f'under {writes!r}' if writes else 'anywhere'} in bucket "
                        f"{ours.bucket_name!r}, and the uploads' keys go under {area!r}.",
                        hint="Give the uploads a place no other storage writes to: a STORAGES entry of their "
                        "own whose 'location' differs (named in UPLOADS['STORAGE']), another KEY_PREFIX "
                        "outside that storage's location, or another bucket.",
                        id="uploads.E044",
                    )
                )
    return errors


_MIDDLEWARE = "uploads.middleware.current_user"
_AUTHENTICATION = "django.contrib.auth.middleware.AuthenticationMiddleware"


@register()
def check_middleware(app_configs, **kwargs):
    """Upload fields need to know who submits: the middleware, after authentication."""
    from uploads import fields

    if not fields.upload_fields():
        return []
    middleware = list(settings.MIDDLEWARE)
    if _MIDDLEWARE not in middleware:
        return [
            Error(
                f"The project has upload fields but MIDDLEWARE lacks {_MIDDLEWARE!r}: their forms "
                "check that new uploads belong to the user who submits them.",
                hint=f"Add {_MIDDLEWARE!r} to MIDDLEWARE after AuthenticationMiddleware.",
                id="uploads.E041",
            )
        ]
    if _AUTHENTICATION in middleware and middleware.index(_MIDDLEWARE) < middleware.index(_AUTHENTICATION):
        return [
            Error(
                f"{_MIDDLEWARE!r} comes before AuthenticationMiddleware, so it cannot know the user.",
                hint=f"Move {_MIDDLEWARE!r} after {_AUTHENTICATION!r}.",
                id="uploads.E043",
            )
        ]
    return []


@register()
def check_token_authentication(app_configs, **kwargs):
    """Each TOKEN_AUTHENTICATION entry must import to a callable: a wrong one would let no token in."""
    paths = conf.get("TOKEN_AUTHENTICATION") if isinstance(conf.user_settings(), dict) else []
    if not isinstance(paths, (list, tuple)) or not all(isinstance(path, str) for path in paths):
        return [
            Error(
                "UPLOADS['TOKEN_AUTHENTICATION'] must be a list of dotted paths.",
                hint='For example ["myproject.tokens.authenticate"]: each a callable taking the request '
                "and returning a user or None.",
                id="uploads.E050",
            )
        ]
    errors = []
    for path in paths:
        try:
            found = import_string(path)
        except ImportError:
            found = None
        if not callable(found):
            errors.append(
                Error(
                    f"UPLOADS['TOKEN_AUTHENTICATION'] has {path!r}, which does not import to a callable.",
                    hint="Check the dotted path: it must name a function authenticate(request) that "
                    "returns a user or None.",
                    id="uploads.E051",
                )
            )
    return errors


@register()
def check_variants_and_review(app_configs, **kwargs):
    """VARIANTS, REVIEW and REJECTION_REASONS at the top level (profiles' own are checked with the
    profile), and a Tasks backend for the variants to be made on."""
    if not isinstance(conf.user_settings(), dict):
        return []
    errors = [
        Error(f"UPLOADS['VARIANTS'] {problem}.", hint=_VARIANTS_HINT, id="uploads.E052")
        for problem in _variant_problems(conf.get("VARIANTS"))
    ]
    if conf.get("REVIEW") not in _REVIEWS:
        errors.append(
            Error(
                "UPLOADS['REVIEW'] must be None, 'before_publish' or 'after_publish'.",
                hint="'before_publish' shows an upload to others once approved; 'after_publish' at once, "
                "until it is rejected.",
                id="uploads.E053",
            )
        )
    errors += _reason_checks(conf.get("REJECTION_REASONS"))
    if any(variants.specs(name) for name in _valid_profiles()):
        errors += _task_backend_checks(conf.get("TASK_BACKEND"))
    return errors


_VARIANTS_HINT = (
    'For example {"thumb": {"size": 320}, "square": {"size": 512, "fit": "crop", "format": "avif", "quality": 70}}.'
)


def _valid_profiles():
    profiles = conf.get("PROFILES")
    named = [name for name, overrides in profiles.items() if isinstance(overrides, dict)] if isinstance(profiles, dict) else []
    candidates = [conf.DEFAULT_PROFILE, *named]
    return [name for name in candidates if not _variant_problems(conf.get("VARIANTS", name))]


def _reason_checks(reasons):
    pairs = isinstance(reasons, (list, tuple)) and all(
        isinstance(pair, (list, tuple)) and len(pair) == 2 and isinstance(pair[0], str) and 1 <= len(pair[0]) <= 50
        for pair in reasons
    )
    if not pairs or not reasons:
        return [
            Error(
                "UPLOADS['REJECTION_REASONS'] must be a non-empty list of (code, text) pairs, codes of 1 to 50 characters.",
                hint='For example [("blurry", _("The image is blurred.")), ("other", _("Another reason, given below."))].',
                id="uploads.E054",
            )
        ]
    codes = [code for code, _text in reasons]
    if len(set(codes)) != len(codes):
        return [Error("UPLOADS['REJECTION_REASONS'] names a code twice.", hint="Give each reason its own code.", id="uploads.E054")]
    return []


def _task_backend_checks(alias):
    backends = getattr(settings, "TASKS", {"default": {"BACKEND": _IMMEDIATE_BACKENDS[0]}})
    if alias not in backends:
        return [
            Error(
                f"UPLOADS['TASK_BACKEND'] is {alias!r}, which the TASKS setting does not define; "
                "the variants would never be made.",
                hint=f"Add TASKS[{alias!r}], or use one of: {', '.join(map(repr, backends))}.",
                id="uploads.E056",
            )
        ]
    if backends[alias].get("BACKEND") in _IMMEDIATE_BACKENDS:
        return [
            Warning(
                f"The Tasks backend {alias!r} runs tasks at once, inside the request: every completion call "
                "then waits for its upload's variants.",
                hint="Fine for scripts and tests; in production use a queue, e.g. django_tasks_db.DatabaseBackend "
                "with `manage.py db_worker`, or django_tasks_rq.RQBackend.",
                id="uploads.W003",
            )
        ]
    return []


@register()
def check_client_resize(app_configs, **kwargs):
    """CLIENT_RESIZE at the top level (a profile's own is checked with the profile), and that what
    it makes can pass the server's checks of each profile that uses it: the server stays the
    authority, so a target it would refuse turns every resized photo into an error."""
    if not isinstance(conf.user_settings(), dict):
        return []
    errors = [
        Error(f"UPLOADS['CLIENT_RESIZE'] {problem}.", hint=_CLIENT_RESIZE_HINT, id="uploads.E070")
        for problem in _client_resize_problems(conf.get("CLIENT_RESIZE"))
    ]
    profiles = conf.get("PROFILES")
    named = [name for name, overrides in profiles.items() if isinstance(overrides, dict)] if isinstance(profiles, dict) else []
    for profile in dict.fromkeys([conf.DEFAULT_PROFILE, *named]):
        spec = conf.get("CLIENT_RESIZE", profile)
        if spec is not None and not _client_resize_problems(spec):
            errors += _resize_target_checks(profile, spec)
    return errors


_CLIENT_RESIZE_HINT = 'For example {"max_width": 1024, "max_height": 1024, "type": "image/jpeg", "quality": 85}.'


def _resize_target_checks(profile, spec):
    """uploads.E071 and E072: a target whose images the profile's own checks would refuse."""
    where = f"The {profile!r} profile's CLIENT_RESIZE"
    errors = []
    made = spec.get("type", conf.CLIENT_RESIZE_DEFAULTS["type"])
    allowed = conf.get("ALLOWED_TYPES", profile)
    if isinstance(allowed, (list, tuple)) and made not in allowed:
        errors.append(
            Error(
                f"{where} makes {made}, which its ALLOWED_TYPES ({', '.join(map(str, allowed))}) do not include: "
                "every resized image would be refused.",
                hint="Make CLIENT_RESIZE['type'] one of the profile's ALLOWED_TYPES, or allow that type.",
                id="uploads.E071",
            )
        )
    for side, low, high in (("max_width", "MIN_WIDTH", "MAX_WIDTH"), ("max_height", "MIN_HEIGHT", "MAX_HEIGHT")):
        smallest, largest = conf.get(low, profile), conf.get(high, profile)
        if _positive(smallest) and spec[side] < smallest:
            errors.append(
                Error(
                    f"{where} has {side} {spec[side]}, below its {low} ({smallest}): every image it shrinks "
                    "would be too small.",
                    hint=f"Make CLIENT_RESIZE[{side!r}] at least {low}.",
                    id="uploads.E072",
                )
            )
        if _positive(largest) and spec[side] > largest:
            errors.append(
                Error(
                    f"{where} has {side} {spec[side]}, above its {high} ({largest}): an image between the two "
                    "would be sent unresized and refused.",
                    hint=f"Make CLIENT_RESIZE[{side!r}] at most {high}.",
                    id="uploads.E072",
                )
            )
    pixels, box = conf.get("MAX_PIXELS", profile), spec["max_width"] * spec["max_height"]
    if _positive(pixels) and box > pixels:
        errors.append(
            Error(
                f"{where} fits images inside {spec['max_width']} × {spec['max_height']} ({box} pixels), "
                f"above its MAX_PIXELS ({pixels}): an image between the two would be sent unresized and refused.",
                hint="Make the box smaller, or raise MAX_PIXELS.",
                id="uploads.E072",
            )
        )
    return errors
