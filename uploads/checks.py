"""System checks for the ``UPLOADS`` setting: offline and fast, one id per mistake."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from uploads import attachments, conf, keys, s3, variants
from uploads.verify import MAX_PARTS

S3_OBJECT_LIMIT = 5 * 2**40  # S3 stores no object above 5 TB, however it is sent.
_UNSHARED_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.db.DatabaseCache",
    "django.core.cache.backends.filebased.FileBasedCache",
)
# Aliases Django itself writes through (default_storage, collectstatic): never the app's alone.
_PROJECT_ALIASES = ("default", "staticfiles")
_IMMEDIATE_BACKENDS = (
    "django.tasks.backends.immediate.ImmediateBackend",
    "django_tasks.backends.immediate.ImmediateBackend",
)
_PROFILE_HINT = "Each profile overrides the top-level UPLOADS settings for its own uploads."


def _largest_file() -> int | None:
    """The largest MAX_SIZE S3 takes: 10,000 parts of MULTIPART_PART_SIZE, at most 5 TB (a file
    above MULTIPART_THRESHOLD, at most 5 GB, goes in parts; one below it in one POST, which S3
    takes up to 5 GB). None while those settings are wrong: uploads.E057 and E058 say so first."""
    threshold, part_size = conf.get("MULTIPART_THRESHOLD"), conf.get("MULTIPART_PART_SIZE")
    rows = conf.SETTINGS
    if not (rows["MULTIPART_THRESHOLD"].valid(threshold) and rows["MULTIPART_PART_SIZE"].valid(part_size)):
        return None
    return min(S3_OBJECT_LIMIT, MAX_PARTS * part_size)


def _too_large(max_size: int) -> bool:
    largest = _largest_file()
    return largest is not None and max_size > largest


def _max_size_error(max_size: int) -> Error:
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


def _setting_errors(name: str, value: object) -> list[CheckMessage]:
    """What the rules of ``name``'s row in ``conf.SETTINGS`` say of ``value``: one error per mistake."""
    setting = conf.SETTINGS[name]
    rule, mistakes = setting.broken(value)
    if rule is None:
        return []
    hint = rule.hint.replace("{default}", repr(setting.default))
    return [Error(f"UPLOADS[{name!r}] {mistake}.", hint=hint, id=rule.check_id) for mistake in mistakes]


def _profile_errors(profiles: object) -> list[CheckMessage]:
    """uploads.E028 to E030: each profile is a dict of the settings a profile may set, each value
    kept to the rules of that setting's row (and MAX_SIZE to what S3 takes)."""
    if not isinstance(profiles, dict):
        return []  # uploads.E028, from the row of PROFILES
    errors = []
    for name, overrides in profiles.items():
        where = f"UPLOADS['PROFILES'][{name!r}]"
        if not isinstance(name, str) or not isinstance(overrides, dict):
            errors.append(
                Error(f"{where} must be a dict of settings.", hint=_PROFILE_HINT, id="uploads.E028")
            )
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
            if key not in conf.PROFILE_KEYS:
                continue
            rule, _mistakes = conf.SETTINGS[key].broken(value)
            if rule is not None:
                must_be = rule.must_be
            elif key == "MAX_SIZE" and _too_large(value):
                must_be = "a number of bytes from 1 to 10,000 parts of MULTIPART_PART_SIZE (at most 5 TB)"
            else:
                continue
            errors.append(
                Error(f"{where}[{key!r}] must be {must_be}.", hint=_PROFILE_HINT, id="uploads.E030")
            )
    return errors


@register()
def check_settings(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """Every ``UPLOADS`` setting by the rules of its row in ``conf.SETTINGS``, each profile's values
    too; then the rules that tie settings together, and the storage the uploads go to."""
    user = conf.user_settings()
    if not isinstance(user, dict):
        return [
            Error("UPLOADS must be a dict.", hint="Set UPLOADS = {...} in your settings.", id="uploads.E001")
        ]

    errors = []
    for key in sorted(set(user) - set(conf.SETTINGS)):
        errors.append(
            Error(
                f"UPLOADS has an unknown key {key!r}.",
                hint=f"Known keys: {', '.join(sorted(conf.SETTINGS))}.",
                id="uploads.E002",
            )
        )
    for name in conf.SETTINGS:
        errors += _setting_errors(name, conf.get(name))
    errors += _profile_errors(conf.get("PROFILES"))
    errors += _across_settings()
    errors += _permission_checks()
    errors += _storage_checks(conf.get("STORAGE"))
    # Only a valid configuration can be built and compared with the project's storages.
    if any(message.is_serious() for message in errors):
        return errors
    return errors + _overlap_checks(conf.get("STORAGE"))


def _valid(name: str) -> object:
    """The top-level value of ``name``, or None when its row's rules refuse it (and say so)."""
    value = conf.get(name)
    return value if conf.SETTINGS[name].valid(value) else None


def _across_settings() -> list[CheckMessage]:
    """The rules that tie one setting to another (or to the cache), for values valid on their own."""
    errors = []
    max_size = _valid("MAX_SIZE")
    if max_size is not None and _too_large(max_size):
        errors.append(_max_size_error(max_size))

    for low, high, check_id in (
        ("MIN_WIDTH", "MAX_WIDTH", "uploads.E020"),
        ("MIN_HEIGHT", "MAX_HEIGHT", "uploads.E021"),
    ):
        smallest, largest = _valid(low), _valid(high)
        if smallest is not None and largest is not None and largest < smallest:
            errors.append(
                Error(
                    f"UPLOADS['{low}'] is larger than UPLOADS['{high}']: no image could pass.",
                    hint=f"Make {low} at most {high}.",
                    id=check_id,
                )
            )

    sniff = _valid("SNIFF_BYTES")
    if sniff is not None and sniff < 64 * 1024:
        errors.append(
            Warning(
                f"UPLOADS['SNIFF_BYTES'] is {sniff}; JPEGs with large metadata may then fail verification.",
                hint="Keep it at 65536 or more.",
                id="uploads.W001",
            )
        )

    if conf.get("UPLOADS_PER_HOUR") is not None:
        cache_alias = getattr(settings, "RATELIMIT_USE_CACHE", "default")
        if cache_alias not in settings.CACHES:
            errors.append(
                Error(
                    f"UPLOADS['UPLOADS_PER_HOUR'] is counted in the cache {cache_alias!r} "
                    "(RATELIMIT_USE_CACHE), which CACHES does not define.",
                    hint=f"Add CACHES[{cache_alias!r}], or point RATELIMIT_USE_CACHE at one of: "
                    f"{', '.join(settings.CACHES)}.",
                    id="uploads.E049",
                )
            )
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
    return errors


def _storage_checks(alias: object) -> list[CheckMessage]:
    """uploads.E011 and E032 to E035: the storage ``s3.storage_backend`` finds, and its bucket."""
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
        return []  # uploads.E031, from the row of STORAGE
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
        backend, options = s3.storage_backend(alias)
    except ImportError:
        return [
            Error(
                f"STORAGES[{alias!r}]['BACKEND'] is {path!r}, which cannot be imported.",
                hint="Check the dotted path, e.g. 'storages.backends.s3.S3Storage', and that its package is "
                "installed.",
                id="uploads.E033",
            )
        ]
    except ImproperlyConfigured:  # the entry exists and imports: it is not an S3 storage
        return [
            Error(
                f"STORAGES[{alias!r}]['BACKEND'] is {path!r}, which is not django-storages' S3 storage.",
                hint="The uploads app signs for S3: use 'storages.backends.s3.S3Storage' or a subclass of "
                "it.",
                id="uploads.E034",
            )
        ]
    # As django-storages does: OPTIONS win, then the class's own attribute, then the AWS_* setting.
    bucket = options.get("bucket_name", getattr(backend, "bucket_name", aws_bucket))
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


def _permission_checks() -> list[CheckMessage]:
    """uploads.E048: a permission, at the top or in a profile, that no installed model declares.

    A value of the wrong shape is its row's to report: uploads.E047 at the top, E030 in a profile.
    """
    found = [("UPLOADS['PERMISSION']", conf.get("PERMISSION"))]
    profiles = conf.get("PROFILES")
    if isinstance(profiles, dict):
        found += [
            (f"UPLOADS['PROFILES'][{name!r}]['PERMISSION']", overrides["PERMISSION"])
            for name, overrides in profiles.items()
            if isinstance(overrides, dict) and "PERMISSION" in overrides
        ]
    named = [
        (where, value)
        for where, value in found
        if isinstance(value, str) and conf.SETTINGS["PERMISSION"].valid(value)
    ]
    known = _model_permissions() if named else set()
    return [
        Error(
            f"{where} is {value!r}, which names no permission of an installed model: every user "
            "would be refused.",
            hint="Write it as 'app_label.codename' (the app's label, not its module), e.g. "
            "'catalog.add_product'. If the permission is made another way than a model's Meta, "
            "silence uploads.E048.",
            id="uploads.E048",
        )
        for where, value in named
        if value not in known
    ]


def _model_permissions() -> set[str]:
    """Every permission the installed models declare: Django's defaults and each Meta.permissions."""
    names = set()
    for model in apps.get_models():
        opts = model._meta
        names.update(f"{opts.app_label}.{action}_{opts.model_name}" for action in opts.default_permissions)
        names.update(f"{opts.app_label}.{codename}" for codename, _ in opts.permissions)
    return names


def _overlap_checks(alias: str | None) -> list[CheckMessage]:
    """The app's keys must not sit where the project's own storages write in the same bucket:
    the clean-up would see the project's files among its own (it deletes none of them, but
    an app that shares its prefix with anything else cannot be told apart by a person either)."""
    ours = s3.storage()
    areas = sorted({keys.area(profile, ours.location) for profile in conf.profiles()})
    errors = []
    for name in settings.STORAGES:
        if name == alias and name not in _PROJECT_ALIASES:
            continue  # the app's own entry
        try:
            backend, options = s3.storage_backend(name)
        except (ImportError, ImproperlyConfigured):
            continue  # not S3 (or broken, which Django's own check reports)
        theirs = backend(**options)
        if (theirs.bucket_name, theirs.endpoint_url) != (ours.bucket_name, ours.endpoint_url):
            continue
        where = theirs.location.strip("/")
        writes = f"{where}/" if where else ""
        for area in areas:
            if area.startswith(writes) or writes.startswith(area):
                errors.append(
                    Error(
                        f"STORAGES[{name!r}] writes {f'under {writes!r}' if writes else 'anywhere'} in "
                        f"bucket {ours.bucket_name!r}, and the uploads' keys go under {area!r}.",
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
def check_middleware(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """Upload fields need to know who submits: the middleware, after authentication."""
    if not attachments.upload_fields():
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
def check_token_authentication(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """Each TOKEN_AUTHENTICATION entry must import to a callable: a wrong one would let no token in.
    (A value that is no list of dotted paths is its row's to report, uploads.E050.)"""
    paths = _valid("TOKEN_AUTHENTICATION") if isinstance(conf.user_settings(), dict) else None
    errors = []
    for path in paths or []:
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
def check_variant_tasks(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """A Tasks backend for the variants to be made on, when any profile names variants."""
    if not isinstance(conf.user_settings(), dict):
        return []
    if any(variants.specs(name) for name in _valid_profiles()):
        return _task_backend_checks(conf.get("TASK_BACKEND"))
    return []


def _profiles_to_check() -> list[str]:
    """The default profile and every named profile written as a dict (others are reported as such)."""
    profiles = conf.get("PROFILES")
    named = (
        [name for name, overrides in profiles.items() if isinstance(overrides, dict)]
        if isinstance(profiles, dict)
        else []
    )
    return list(dict.fromkeys([conf.DEFAULT_PROFILE, *named]))


def _valid_profiles() -> list[str]:
    """The profiles whose VARIANTS keep their rules (the others are reported as such)."""
    return [
        name for name in _profiles_to_check() if conf.SETTINGS["VARIANTS"].valid(conf.get("VARIANTS", name))
    ]


def _task_backend_checks(alias: str) -> list[CheckMessage]:
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
                hint="Fine for scripts and tests; in production use a queue, e.g. "
                "django_tasks_db.DatabaseBackend with `manage.py db_worker`, or django_tasks_rq.RQBackend.",
                id="uploads.W003",
            )
        ]
    return []


@register()
def check_client_resize(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """That what each profile's CLIENT_RESIZE makes can pass the server's checks of that profile:
    the server stays the authority, so a target it would refuse turns every resized photo into an
    error. (A CLIENT_RESIZE of the wrong shape is its row's to report: uploads.E070, or E030 in a profile.)"""
    if not isinstance(conf.user_settings(), dict):
        return []
    errors = []
    for profile in _profiles_to_check():
        spec = conf.get("CLIENT_RESIZE", profile)
        if spec is not None and conf.SETTINGS["CLIENT_RESIZE"].valid(spec):
            errors += _resize_target_checks(profile, spec)
    return errors


def _resize_target_checks(profile: str, spec: dict) -> list[CheckMessage]:
    """uploads.E071 and E072: a target whose images the profile's own checks would refuse."""
    where = f"The {profile!r} profile's CLIENT_RESIZE"
    errors = []
    made = spec.get("type", conf.CLIENT_RESIZE_DEFAULTS["type"])
    allowed = conf.get("ALLOWED_TYPES", profile)
    if isinstance(allowed, (list, tuple)) and made not in allowed:
        errors.append(
            Error(
                f"{where} makes {made}, which its ALLOWED_TYPES ({', '.join(map(str, allowed))}) do not "
                "include: every resized image would be refused.",
                hint="Make CLIENT_RESIZE['type'] one of the profile's ALLOWED_TYPES, or allow that type.",
                id="uploads.E071",
            )
        )
    for side, low, high in (
        ("max_width", "MIN_WIDTH", "MAX_WIDTH"),
        ("max_height", "MIN_HEIGHT", "MAX_HEIGHT"),
    ):
        smallest, largest = conf.get(low, profile), conf.get(high, profile)
        if conf.is_positive(smallest) and spec[side] < smallest:
            errors.append(
                Error(
                    f"{where} has {side} {spec[side]}, below its {low} ({smallest}): every image it shrinks "
                    "would be too small.",
                    hint=f"Make CLIENT_RESIZE[{side!r}] at least {low}.",
                    id="uploads.E072",
                )
            )
        if conf.is_positive(largest) and spec[side] > largest:
            errors.append(
                Error(
                    f"{where} has {side} {spec[side]}, above its {high} ({largest}): an image between the "
                    "two would be sent unresized and refused.",
                    hint=f"Make CLIENT_RESIZE[{side!r}] at most {high}.",
                    id="uploads.E072",
                )
            )
    pixels, box = conf.get("MAX_PIXELS", profile), spec["max_width"] * spec["max_height"]
    if conf.is_positive(pixels) and box > pixels:
        errors.append(
            Error(
                f"{where} fits images inside {spec['max_width']} × {spec['max_height']} ({box} pixels), "
                f"above its MAX_PIXELS ({pixels}): an image between the two would be sent unresized and "
                "refused.",
                hint="Make the box smaller, or raise MAX_PIXELS.",
                id="uploads.E072",
            )
        )
    return errors
