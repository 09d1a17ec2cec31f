"""Each system check, once; and that Django runs them."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from storages.backends.s3 import S3Storage

from uploads.checks import check_settings


def ids():
    return [message.id for message in check_settings(None)]


def test_the_defaults_pass(settings):
    settings.UPLOADS = {}

    assert ids() == []


# db: Django 6.1's model checks ask SQLite whether it has JSON (django-tasks-db's table has a JSONField).
def test_checks_are_registered_with_django(settings, db):
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
        ({"MAX_SIZE": 5 * 2**40 + 1}, ["uploads.E004"]),
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
        ({"DISCARD_UNATTACHED": 0}, ["uploads.E042"]),
        ({"S3_DEADLINE": 0}, ["uploads.E023"]),
        ({"REQUIRE_CHECKSUM": "false"}, ["uploads.E046"]),
        ({"PERMISSION": 42}, ["uploads.E047"]),
        ({"PERMISSION": "add_product"}, ["uploads.E047"]),
        ({"PERMISSION": "catalog.add_prodcut"}, ["uploads.E048"]),
        ({"PERMISSION": "project.catalog.add_product"}, ["uploads.E047"]),
        ({"PROFILES": {"avatar": {"PERMISSION": "auth.change_usr"}}}, ["uploads.E048"]),
        ({"INSTALLATION_ID": "Shop Production"}, ["uploads.E045"]),
        ({"INSTALLATION_ID": "ab"}, ["uploads.E045"]),
        ({"PROFILES": {"avatar": {"DISCARD_UNATTACHED": "1 day"}}}, ["uploads.E030"]),
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
    settings.UPLOADS = {
        "MAX_SIZE": 6 * 2**40,
        "MULTIPART_PART_SIZE": 2**30,
        "ALLOWED_TYPES": ["image/svg+xml"],
    }

    messages = check_settings(None)

    # Each setting's own rules first, then those that tie one setting to another.
    assert [m.msg for m in messages] == [
        "UPLOADS['ALLOWED_TYPES'] contains 'image/svg+xml', which the app cannot verify.",
        "UPLOADS['MAX_SIZE'] is 6597069766656 bytes; S3 stores at most 5 TB in one object.",
    ]
    assert messages[0].hint == (
        "Choose from: image/jpeg, image/png, image/webp, image/gif, image/avif. "
        "SVG and HTML are never allowed: they can carry script."
    )


def test_every_error_has_a_hint(settings):
    settings.UPLOADS = {
        "MAX_SIZE": 0,
        "EXPIRES": 0,
        "VIEW_EXPIRES": 0,
        "ALLOWED_TYPES": [],
        "KEY_PREFIX": "/",
        "SNIFF_BYTES": 0,
        "PAGE_SIZE": 0,
        "PARALLEL": 0,
        "NOPE": 1,
    }

    messages = check_settings(None)

    assert len(messages) == 9
    assert all(message.hint for message in messages)


def test_an_hourly_limit_counted_in_a_per_process_cache_is_a_warning(settings):
    settings.UPLOADS = {"UPLOADS_PER_HOUR": 100}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    assert ids() == ["uploads.W002"]
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://x"}
    }
    assert ids() == []


class MediaStorage(S3Storage):
    bucket_name = "media-from-the-class"


S3_BACKEND = "storages.backends.s3.S3Storage"


@pytest.mark.parametrize(
    ("storage", "entry", "expected"),
    [
        (["media"], None, "uploads.E031"),
        ("media", None, "uploads.E032"),
        ("media", {"BACKEND": "storages.backends.nowhere.S3Storage"}, "uploads.E033"),
        ("media", {"BACKEND": "django.core.files.storage.FileSystemStorage"}, "uploads.E034"),
        ("media", {"BACKEND": S3_BACKEND, "OPTIONS": {"access_key": "k"}}, "uploads.E035"),
        ("media", {"BACKEND": S3_BACKEND, "OPTIONS": {"bucket_name": None}}, "uploads.E035"),
    ],
)
def test_each_mistake_in_the_storage_alias_has_its_own_check_id(settings, storage, entry, expected):
    settings.AWS_STORAGE_BUCKET_NAME = None
    settings.STORAGES = {**settings.STORAGES, **({"media": entry} if entry else {})}
    settings.UPLOADS = {"STORAGE": storage}

    messages = check_settings(None)

    assert [m.id for m in messages] == [expected]
    assert messages[0].hint


def test_storage_alias_messages_say_which_entry_is_wrong(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "media": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    settings.UPLOADS = {"STORAGE": "media"}

    [message] = check_settings(None)

    assert message.msg == (
        "STORAGES['media']['BACKEND'] is 'django.core.files.storage.FileSystemStorage', "
        "which is not django-storages' S3 storage."
    )
    assert (
        message.hint
        == "The uploads app signs for S3: use 'storages.backends.s3.S3Storage' or a subclass of it."
    )
    settings.UPLOADS = {"STORAGE": "uploads"}
    assert check_settings(None)[0].hint == (
        "Add STORAGES['uploads'] with django-storages' S3 backend, or name one of: default, staticfiles, media."
    )


@pytest.mark.parametrize(
    "entry",
    [
        {"BACKEND": S3_BACKEND, "OPTIONS": {"bucket_name": "media"}},
        {"BACKEND": "storages.backends.s3boto3.S3Boto3Storage", "OPTIONS": {"bucket_name": "media"}},
        {"BACKEND": "tests.test_checks.MediaStorage"},
    ],
    ids=["s3storage", "s3boto3storage", "subclass-with-its-own-bucket"],
)
def test_a_storage_alias_with_a_bucket_needs_no_aws_bucket_setting(settings, entry):
    settings.AWS_STORAGE_BUCKET_NAME = None
    settings.STORAGES = {**settings.STORAGES, "media": entry}
    settings.UPLOADS = {"STORAGE": "media"}

    assert ids() == []


def test_a_storage_alias_without_a_bucket_option_uses_the_aws_bucket_setting(settings):
    settings.AWS_STORAGE_BUCKET_NAME = "test-uploads"
    settings.STORAGES = {
        **settings.STORAGES,
        "media": {"BACKEND": S3_BACKEND, "OPTIONS": {"access_key": "k"}},
    }
    settings.UPLOADS = {"STORAGE": "media"}

    assert ids() == []


S3_OPTIONS = {
    "bucket_name": "test-uploads",
    "endpoint_url": "http://127.0.0.1:9",
    "access_key": "k",
    "secret_key": "s",
}


def s3_entry(**options):
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {**S3_OPTIONS, **options}}


@pytest.mark.parametrize(
    ("storages", "uploads", "expected"),
    [
        # The project's media at the bucket's root: it may write anywhere, the uploads' keys included.
        ({"default": s3_entry()}, {"STORAGE": "uploads"}, ["uploads.E044"]),
        # The app told to use the project's own default storage: the project writes there too.
        ({"default": s3_entry(location="media")}, {"STORAGE": "default"}, ["uploads.E044"]),
        # Media under a location that holds the uploads' prefix.
        ({"default": s3_entry(location="direct/uploads")}, {"STORAGE": "uploads"}, ["uploads.E044"]),
        ({"default": s3_entry(location="files")}, {"STORAGE": "uploads", "KEY_PREFIX": "x"}, []),
        ({"default": s3_entry(location="direct")}, {"STORAGE": "uploads"}, ["uploads.E044"]),
        # Apart: another location, another bucket, another endpoint, or not S3 at all.
        ({"default": s3_entry(location="media")}, {"STORAGE": "uploads"}, []),
        ({"default": s3_entry(bucket_name="media")}, {"STORAGE": "uploads"}, []),
        ({"default": s3_entry(endpoint_url="http://127.0.0.1:10")}, {"STORAGE": "uploads"}, []),
        ({"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}, {"STORAGE": "uploads"}, []),
    ],
)
def test_a_key_prefix_where_another_of_the_projects_storages_writes_is_refused(
    settings, storages, uploads, expected
):
    settings.STORAGES = {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        "uploads": s3_entry(location="direct"),
        **storages,
    }
    settings.UPLOADS = uploads

    assert ids() == expected


def test_the_overlap_message_names_the_storage_the_bucket_and_the_prefix(settings):
    settings.STORAGES = {"default": s3_entry(), "uploads": s3_entry(location="direct")}
    settings.UPLOADS = {"STORAGE": "uploads"}

    [message] = check_settings(None)

    assert message.msg == (
        "STORAGES['default'] writes anywhere in bucket 'test-uploads', and the uploads' keys go under 'direct/uploads/'."
    )


@pytest.mark.parametrize("permission", [None, "catalog.add_product", "auth.view_user", lambda user: True])
def test_a_permission_that_exists_or_a_callable_passes(settings, permission):
    settings.UPLOADS = {"PERMISSION": permission, "PROFILES": {"avatar": {"PERMISSION": permission}}}

    assert ids() == []


def test_an_hourly_limit_counted_in_a_cache_that_is_not_defined_is_an_error(settings):
    settings.UPLOADS = {"UPLOADS_PER_HOUR": 10}
    settings.RATELIMIT_USE_CACHE = "counts"

    assert ids() == ["uploads.E049"]
