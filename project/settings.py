"""Demo project settings. Everything that differs between machines comes from the environment."""

from pathlib import Path

import django
import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; real environment variables win

# On for the local demo; a deployment sets DJANGO_DEBUG=false, and then nothing below falls back
# to a local-only default (key, S3 keys, S3 endpoint) and HTTPS protections are on by default.
DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_DEBUG is off, so set DJANGO_SECRET_KEY to a long random string, for example the output of "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
        )
    SECRET_KEY = "django-insecure-local-demo-key-do-not-use-in-production"
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

# HTTPS: each can be set on its own; with DEBUG off they default to on. HSTS starts at an hour, so
# a mistake can be undone; raise it to a year once every page is served over HTTPS.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 3600)
# These two commit every subdomain and, through browsers' preload lists, outlast the header: opt in.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
# Behind a proxy that ends TLS, e.g. DJANGO_SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https; only
# if the proxy always sets or strips that header, or any client could claim HTTPS.
SECURE_PROXY_SSL_HEADER = env.tuple("DJANGO_SECURE_PROXY_SSL_HEADER", default=None)
if SECURE_PROXY_SSL_HEADER is not None and len(SECURE_PROXY_SSL_HEADER) != 2:
    raise ImproperlyConfigured(
        "DJANGO_SECURE_PROXY_SSL_HEADER takes a header and its value, like HTTP_X_FORWARDED_PROTO,https."
    )

# Background work (the uploads' variants) goes through Django's Tasks API; DJANGO_TASKS_BACKEND picks
# where it runs: "immediate" (at once, in the process that asks: scripts and tests), "database"
# (a table here, run by `manage.py db_worker`; scripts/run starts one) or "rq" (Redis at REDIS_URL,
# run by `manage.py rqworker --with-scheduler`, for several machines).
TASKS_PACKAGE = "django.tasks" if django.VERSION >= (6, 0) else "django_tasks"  # the backport on 5.2
TASKS_BACKEND = env("DJANGO_TASKS_BACKEND", default="database")
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
_TASK_BACKENDS = {
    "immediate": ({"BACKEND": f"{TASKS_PACKAGE}.backends.immediate.ImmediateBackend"}, []),
    "database": ({"BACKEND": "django_tasks_db.DatabaseBackend"}, ["django_tasks_db"]),
    "rq": ({"BACKEND": "django_tasks_rq.RQBackend"}, ["django_rq", "django_tasks_rq"]),
}
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"DJANGO_TASKS_BACKEND is {TASKS_BACKEND!r}; use one of: {', '.join(_TASK_BACKENDS)}."
    )
TASKS = {"default": _TASK_BACKENDS[TASKS_BACKEND][0]}
# django_tasks_db always: its table exists whichever backend runs now, so switching needs no migration.
TASK_APPS = ["django_tasks"] if TASKS_PACKAGE == "django_tasks" else []
TASK_APPS += sorted({"django_tasks_db", *_TASK_BACKENDS[TASKS_BACKEND][1]})
RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "uploads",
    "project.catalog",
    *TASK_APPS,
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The browser's language picks the page's and the uploader's texts (English or German here).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "uploads.middleware.current_user",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / '.data' / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # SQLite has no row locks: take the write lock when a transaction starts, and wait for it,
    # so two simultaneous completions queue up instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
# The demo's own texts (templates/ and project/); the uploads app brings its catalogue along.
LOCALE_PATHS = [BASE_DIR / "project" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "catalog:list"
LOGOUT_REDIRECT_URL = "login"

# S3, named as django-storages names them. With DEBUG on, the defaults point at the local SeaweedFS
# that `scripts/run` starts; an empty AWS_S3_ENDPOINT_URL means real AWS. With DEBUG off there are
# no default keys: without AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, boto3 finds credentials
# itself (an instance or task role, ~/.aws), which it also renews.
AWS_ACCESS_KEY_ID = env("AWS_ACCESS_KEY_ID", default="local-dev-key" if DEBUG else None) or None
AWS_SECRET_ACCESS_KEY = env("AWS_SECRET_ACCESS_KEY", default="local-dev-secret" if DEBUG else None) or None
if (AWS_ACCESS_KEY_ID is None) != (AWS_SECRET_ACCESS_KEY is None):
    raise ImproperlyConfigured(
        "Set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither to use boto3's own credentials."
    )
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="demo-uploads")
AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", default="us-east-1")
AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL", default="http://127.0.0.1:8333" if DEBUG else "") or None
AWS_S3_SIGNATURE_VERSION = "s3v4"
AWS_S3_ADDRESSING_STYLE = "path" if AWS_S3_ENDPOINT_URL else "auto"

# The hourly upload count lives here; set CACHE_URL=redis://… when running several processes.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if DEBUG and not env("CACHE_URL", default=""):
    # runserver is one process, so its memory is as shared as a cache needs to be here.
    SILENCED_SYSTEM_CHECKS = ["uploads.W002"]

UPLOADS = {
    "MAX_SIZE": 10 * 2**20,
    "EXPIRES": 600,
    # The page sends every file's SHA-256; S3 then refuses any other bytes.
    "REQUIRE_CHECKSUM": True,
    # Per-seller limits (the app's defaults switch them off).
    # Uploads started in the last EXPIRES seconds (their policies could still store bytes).
    "MAX_PENDING": 60,
    "UPLOADS_PER_HOUR": 300,
    "BYTES_PER_DAY": 2 * 2**30,
    # The image library's own uploads: a thumbnail and a larger view (WebP, made by a task).
    "VARIANTS": {"thumb": {"size": 320}, "card": {"size": 800}},
    # What the catalog attaches: product photos big enough to zoom, and small square-ish avatars.
    "PROFILES": {
        "product_image": {
            "VARIANTS": {"thumb": {"size": 320}, "card": {"size": 800}, "zoom": {"size": 2000}},
            # Shown in the shop only once a reviewer approved them.
            "REVIEW": "before_publish",
            "ALLOWED_TYPES": ["image/jpeg", "image/png", "image/webp", "image/avif"],
            "MAX_SIZE": 10 * 2**20,
            "MIN_WIDTH": 500,
            "MIN_HEIGHT": 500,
            # Phone photos are shrunk in the browser to fit 2560 px: above the 2000 px zoom variant,
            # so zooming loses nothing, and a third of the bytes (benchmarks/resize.py). JPEG, which
            # every browser's canvas makes (Safari's makes no WebP); quality 90, as the variants
            # re-encode it once more.
            "CLIENT_RESIZE": {"max_width": 2560, "max_height": 2560, "type": "image/jpeg", "quality": 90},
            "KEY_PREFIX": "products",
            # Images dropped into a form that was never saved, or of a deleted product.
            "DISCARD_UNATTACHED": 24 * 3600,
        },
        "avatar": {
            "ALLOWED_TYPES": ["image/jpeg", "image/png", "image/webp"],
            "MAX_SIZE": 2 * 2**20,
            "MIN_WIDTH": 128,
            "MIN_HEIGHT": 128,
            "MAX_WIDTH": 4096,
            "MAX_HEIGHT": 4096,
            # A 7 MB phone photo becomes a JPEG of 100-300 KB in the browser, not a refusal: 1024 px
            # is twice the largest variant (512), sharp on high-density screens.
            "CLIENT_RESIZE": {"max_width": 1024, "max_height": 1024, "type": "image/jpeg", "quality": 85},
            "KEY_PREFIX": "avatars",
            "VARIANTS": {"small": {"size": 128, "fit": "crop"}, "large": {"size": 512, "fit": "crop"}},
            # Shown at once; hidden again if a reviewer rejects one.
            "REVIEW": "after_publish",
            "DISCARD_UNATTACHED": 24 * 3600,
        },
    },
}

# The demo tells sellers of review decisions by email too; here the email is printed to the console.
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="shop@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"uploads": {"handlers": ["console"], "level": "INFO"}},
}
