"""Each system check, once; and that Django runs them."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from uploads.checks import check_settings


def ids():
    return [message.id for message in check_settings(None)]


def test_the_defaults_pass(settings):
    settings.UPLOADS = {}

    assert ids() == []


def test_checks_are_registered_with_django(settings):
    settings.UPLOADS = {"MAX_SIZE": -1}

    with pytest.raises(SystemCheckError, match="uploads.E003"):
        call_command("check")


@pytest.mark.parametrize(
    ("uploads", "expected"),
    [
        ("not a dict", ["uploads.E001"]),
        ({"MAX_SIZ": 10}, ["uploads.E002"]),
        ({"MAX_SIZE": 0}, ["uploads.E003"]),
        ({"MAX_SIZE": "10MB"}, ["uploads.E003"]),
        ({"MAX_SIZE": 5 * 2**30 + 1}, ["uploads.E004"]),
        ({"EXPIRES": 3601}, ["uploads.E005"]),
        ({"EXPIRES": 0}, ["uploads.E005"]),
        ({"ALLOWED_TYPES": []}, ["uploads.E006"]),
        ({"ALLOWED_TYPES": "image/png"}, ["uploads.E006"]),
        ({"ALLOWED_TYPES": ["image/png", "image/svg+xml"]}, ["uploads.E007"]),
        ({"ALLOWED_TYPES": ["text/html"]}, ["uploads.E007"]),
        ({"KEY_PREFIX": "/uploads"}, ["uploads.E008"]),
        ({"KEY_PREFIX": "a/../b"}, ["uploads.E008"]),
        ({"KEY_PREFIX": ""}, ["uploads.E008"]),
        ({"VIEW_EXPIRES": 86400}, ["uploads.E009"]),
        ({"SNIFF_BYTES": 0}, ["uploads.E010"]),
        ({"PAGE_SIZE": 0}, ["uploads.E012"]),
        ({"PARALLEL": True}, ["uploads.E013"]),
        ({"SNIFF_BYTES": 1024}, ["uploads.W001"]),
        ({"MIN_WIDTH": 0}, ["uploads.E014"]),
        ({"MIN_HEIGHT": "1"}, ["uploads.E015"]),
        ({"MAX_WIDTH": 0}, ["uploads.E016"]),
        ({"MAX_HEIGHT": -5}, ["uploads.E017"]),
        ({"MAX_PIXELS": 0}, ["uploads.E018"]),
        ({"CLEANUP_GRACE": 0}, ["uploads.E019"]),
        ({"MIN_WIDTH": 600, "MAX_WIDTH": 500}, ["uploads.E020"]),
        ({"MIN_HEIGHT": 600, "MAX_HEIGHT": 500}, ["uploads.E021"]),
        ({"S3_MAX_ATTEMPTS": 0}, ["uploads.E022"]),
        ({"S3_READ_TIMEOUT": 0}, ["uploads.E023"]),
        ({"S3_CONNECT_TIMEOUT": 600}, ["uploads.E023"]),
        ({"S3_RETRY_MODE": "eager"}, ["uploads.E024"]),
        ({"MAX_PENDING": 0}, ["uploads.E025"]),
        ({"UPLOADS_PER_HOUR": "100/h"}, ["uploads.E026", "uploads.W002"]),
        ({"BYTES_PER_DAY": -1}, ["uploads.E027"]),
    ],
)
def test_each_mistake_in_uploads_has_its_own_check_id(settings, uploads, expected):
    settings.UPLOADS = uploads

    assert ids() == expected


def test_a_missing_bucket_is_an_error(settings):
    settings.UPLOADS = {}
    settings.AWS_STORAGE_BUCKET_NAME = None

    assert ids() == ["uploads.E011"]


def test_messages_have_hints_that_say_what_to_do(settings):
    settings.UPLOADS = {"MAX_SIZE": 6 * 2**30, "ALLOWED_TYPES": ["image/svg+xml"]}

    messages = check_settings(None)

    assert [m.msg for m in messages] == [
        "UPLOADS['MAX_SIZE'] is 6442450944 bytes; S3 accepts at most 5 GB in one POST upload.",
        "UPLOADS['ALLOWED_TYPES'] contains 'image/svg+xml', which the app cannot verify.",
    ]
    assert messages[1].hint == (
        "Choose from: image/jpeg, image/png, image/webp, image/gif, image/avif. "
        "SVG and HTML are never allowed: they can carry script."
    )


def test_every_error_has_a_hint(settings):
    settings.UPLOADS = {
        "MAX_SIZE": 0, "EXPIRES": 0, "VIEW_EXPIRES": 0, "ALLOWED_TYPES": [], "KEY_PREFIX": "/",
        "SNIFF_BYTES": 0, "PAGE_SIZE": 0, "PARALLEL": 0, "NOPE": 1,
    }

    messages = check_settings(None)

    assert len(messages) == 9
    assert all(message.hint for message in messages)


def test_an_hourly_limit_counted_in_a_per_process_cache_is_a_warning(settings):
    settings.UPLOADS = {"UPLOADS_PER_HOUR": 100}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    assert ids() == ["uploads.W002"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://x"}}
    assert ids() == []
