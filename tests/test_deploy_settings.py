"""The demo's settings with DEBUG off: no local-only default, and nothing `check --deploy` warns about.

Settings are read once per process, so each case runs manage.py in a process of its own, with the
environment a deployer would give it (docs/demo.md, "Deploying the demo") and none of this machine's.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "shop.example.com,www.shop.example.com",
    "CACHE_URL": "redis://127.0.0.1:6379/0",
    "AWS_ACCESS_KEY_ID": "AKIA" + secrets.token_hex(8).upper(),
    "AWS_SECRET_ACCESS_KEY": secrets.token_urlsafe(30),
    "AWS_STORAGE_BUCKET_NAME": "shop-uploads",
    "AWS_S3_REGION_NAME": "eu-central-1",
    "DJANGO_SECURE_HSTS_SECONDS": "31536000",
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "DJANGO_SECURE_HSTS_PRELOAD": "true",
    "DJANGO_SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
}


def manage(*args, **environment):
    """Run manage.py with the parent's environment minus every DJANGO_*, AWS_* and CACHE_URL, plus ``environment``."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "AWS_")) and name != "CACHE_URL"
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**inherited, **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_of(*names, **environment):
    """The ``repr`` of each named setting, as that environment makes it."""
    code = f"from django.conf import settings\nfor name in {names!r}: print(repr(getattr(settings, name)))"
    done = manage("shell", "--no-imports", "-c", code, **environment)
    assert done.returncode == 0, done.stderr
    return dict(zip(names, done.stdout.splitlines(), strict=True))


def test_a_production_environment_passes_the_deploy_check_without_a_single_warning():
    done = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        "System check identified no issues (0 silenced).\n",
        "",
    )


def test_with_debug_off_the_https_protections_are_on_without_being_asked_for():
    environment = {name: PRODUCTION[name] for name in ("DJANGO_DEBUG", "DJANGO_SECRET_KEY")}
    names = (
        "SECURE_SSL_REDIRECT SESSION_COOKIE_SECURE CSRF_COOKIE_SECURE SECURE_HSTS_SECONDS SECURE_HSTS_PRELOAD"
    )

    assert settings_of(*names.split(), **environment) == {
        "SECURE_SSL_REDIRECT": "True",
        "SESSION_COOKIE_SECURE": "True",
        "CSRF_COOKIE_SECURE": "True",
        "SECURE_HSTS_SECONDS": "3600",
        "SECURE_HSTS_PRELOAD": "False",
    }


def test_with_debug_off_a_missing_secret_key_stops_it_with_a_sentence_saying_what_to_set():
    environment = {name: value for name, value in PRODUCTION.items() if name != "DJANGO_SECRET_KEY"}

    done = manage("check", **environment)

    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: DJANGO_DEBUG is off, so set DJANGO_SECRET_KEY to a long "
        "random string, for example the output of python -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )


def test_with_debug_off_there_are_no_local_s3_keys_or_endpoint_so_boto3_finds_its_own_credentials():
    environment = {name: PRODUCTION[name] for name in ("DJANGO_DEBUG", "DJANGO_SECRET_KEY")}

    names = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_S3_ENDPOINT_URL")

    assert settings_of(*names, **environment) == dict.fromkeys(names, "None")


def test_with_debug_off_half_a_pair_of_s3_keys_is_refused():
    environment = {
        name: PRODUCTION[name] for name in ("DJANGO_DEBUG", "DJANGO_SECRET_KEY", "AWS_ACCESS_KEY_ID")
    }

    done = manage("check", **environment)

    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: Set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
        "or neither to use boto3's own credentials."
    )


def test_a_bad_proxy_ssl_header_is_refused():
    done = manage("check", **{**PRODUCTION, "DJANGO_SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO"})

    assert done.stderr.splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: DJANGO_SECURE_PROXY_SSL_HEADER takes a header and its value, "
        "like HTTP_X_FORWARDED_PROTO,https."
    )


def test_the_production_environment_gives_djangos_own_redis_cache_and_the_proxy_header():
    assert settings_of("CACHES", "SECURE_PROXY_SSL_HEADER", **PRODUCTION) == {
        "CACHES": "{'default': {'BACKEND': 'django.core.cache.backends.redis.RedisCache', "
        "'LOCATION': 'redis://127.0.0.1:6379/0'}}",
        "SECURE_PROXY_SSL_HEADER": "('HTTP_X_FORWARDED_PROTO', 'https')",
    }


def test_with_no_environment_at_all_the_local_demo_still_runs_with_debug_on():
    done = manage("check")

    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("System check identified no issues")
    assert settings_of("DEBUG", "AWS_ACCESS_KEY_ID", "AWS_S3_ENDPOINT_URL", "SESSION_COOKIE_SECURE") == {
        "DEBUG": "True",
        "AWS_ACCESS_KEY_ID": "'local-dev-key'",
        "AWS_S3_ENDPOINT_URL": "'http://127.0.0.1:8333'",
        "SESSION_COOKIE_SECURE": "False",
    }
