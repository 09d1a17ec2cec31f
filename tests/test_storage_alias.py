"""UPLOADS["STORAGE"]: the app takes its S3 client from a STORAGES entry, and only from it, when
the project configures django-storages there instead of in the AWS_* settings. Run against SeaweedFS."""

import secrets
from datetime import UTC, datetime

import pytest
import requests
from django.core.management import call_command

from tests.conftest import post_to_s3
from tests.fuzzy import Matches
from tests.images import image_bytes
from uploads import keys
from uploads import s3 as app_s3
from uploads.models import Upload

pytestmark = pytest.mark.django_db

JPEG = image_bytes("image/jpeg")


@pytest.fixture
def no_aws_settings(settings, monkeypatch):
    """No AWS_* setting or environment variable is left to fall back on."""
    for name in [name for name in dir(settings) if name.startswith("AWS_")]:
        delattr(settings, name)
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_S3_ACCESS_KEY_ID",
        "AWS_S3_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_S3_SESSION_PROFILE",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def use_storage(settings, local_s3):
    """Point UPLOADS["STORAGE"] at STORAGES["media"]: django-storages' S3 backend with the suite's
    SeaweedFS in its OPTIONS, ``**over`` changing some. Returns the bucket."""

    def use(bucket=None, *, create_bucket=True, **over):
        bucket = bucket or "alias-" + secrets.token_hex(4)
        if create_bucket and bucket not in buckets(local_s3):
            local_s3.client().create_bucket(Bucket=bucket)
        options = {
            "bucket_name": bucket,
            "access_key": local_s3.access_key,
            "secret_key": local_s3.secret_key,
            "endpoint_url": local_s3.endpoint_url,
            "region_name": local_s3.region,
            "addressing_style": "path",
            "signature_version": "s3v4",
        }
        settings.STORAGES = {
            **settings.STORAGES,
            "media": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options | over},
        }
        settings.UPLOADS = {"STORAGE": "media"}
        return bucket

    return use


def buckets(local_s3):
    return [found["Name"] for found in local_s3.client().list_buckets()["Buckets"]]


def stored(local_s3, bucket, key):
    return local_s3.client().get_object(Bucket=bucket, Key=key)["Body"].read()


def test_an_upload_goes_to_the_bucket_of_the_storage_entry_and_completes(
    api, local_s3, no_aws_settings, use_storage
):
    bucket = use_storage()
    created = api.create("shoe.jpg", "image/jpeg", len(JPEG)).json()

    assert created["upload"]["url"] == f"{local_s3.endpoint_url}/{bucket}"
    assert post_to_s3(created, JPEG).status_code == 204
    completed = api.complete(created["id"])

    assert completed.status_code == 200
    assert completed.json()["status"] == "uploaded"
    assert stored(local_s3, bucket, Upload.objects.get(pk=created["id"]).key) == JPEG


def test_the_viewing_url_is_signed_with_the_storage_entry_and_s3_serves_it(
    api, local_s3, no_aws_settings, use_storage
):
    bucket = use_storage()
    created = api.create("shoe.jpg", "image/jpeg", len(JPEG)).json()
    post_to_s3(created, JPEG)
    api.complete(created["id"])

    body = api.get(f"/uploads/api/uploads/{created['id']}/").json()
    image = requests.get(body["url"], timeout=10)

    assert body["url"] == Matches(
        rf"{local_s3.endpoint_url}/{bucket}/{keys.verified_key(created['key'])}\?.*X-Amz-Credential={local_s3.access_key}%2F.*"
    )
    assert (image.status_code, image.content, image.headers["Content-Type"]) == (200, JPEG, "image/jpeg")


def test_setup_bucket_creates_the_bucket_of_the_storage_entry(local_s3, no_aws_settings, use_storage, capsys):
    bucket = use_storage(create_bucket=False)

    call_command("uploads_setup_bucket", "--origin", "http://127.0.0.1:8000")

    assert capsys.readouterr().out.splitlines()[0] == f"Created the bucket {bucket!r}."
    rule = local_s3.client().get_bucket_cors(Bucket=bucket)["CORSRules"][0]
    assert rule["AllowedOrigins"] == ["http://127.0.0.1:8000"]


@pytest.mark.parametrize("bucket", ["alias-first", "alias-second"])
def test_each_test_gets_the_client_of_its_own_storage_entry(
    api, local_s3, no_aws_settings, use_storage, bucket
):
    use_storage(bucket)
    created = api.create("shoe.jpg", "image/jpeg", len(JPEG)).json()
    post_to_s3(created, JPEG)

    assert api.complete(created["id"]).json()["status"] == "uploaded"
    assert stored(local_s3, bucket, Upload.objects.get(pk=created["id"]).key) == JPEG


def test_changing_the_storage_entry_switches_the_client_at_once(api, local_s3, no_aws_settings, use_storage):
    use_storage(secret_key="not-the-secret")
    refused = post_to_s3(api.create("a.jpg", "image/jpeg", len(JPEG)).json(), JPEG)
    bucket = use_storage()
    created = api.create("b.jpg", "image/jpeg", len(JPEG)).json()

    assert (refused.status_code, "SignatureDoesNotMatch" in refused.text) == (403, True)
    assert post_to_s3(created, JPEG).status_code == 204
    assert app_s3.bucket_name() == bucket
    assert stored(local_s3, bucket, Upload.objects.get(pk=created["id"]).key) == JPEG


def test_the_policy_names_the_access_key_of_the_storage_entry_not_the_aws_settings(settings):
    # No S3 is reached: signing is local, and the AWS_* settings still hold the autouse fixture's values.
    settings.STORAGES = {
        **settings.STORAGES,
        "media": {
            "BACKEND": "storages.backends.s3boto3.S3Boto3Storage",
            "OPTIONS": {"bucket_name": "media", "access_key": "alias-key", "secret_key": "alias-secret"},
        },
    }
    settings.UPLOADS = {"STORAGE": "media"}
    now = datetime(2026, 11, 27, 12, 30, 5, tzinfo=UTC)

    policy = app_s3.presign_post("uploads/1/x/a.jpg", content_type="image/jpeg", size=10, expires=60, now=now)

    assert policy["fields"]["x-amz-credential"] == "alias-key/20261127/us-east-1/s3/aws4_request"
    assert policy["url"] == "http://127.0.0.1:9/media"


def test_aws_settings_fill_what_the_storage_options_leave_out(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "media": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"region_name": "eu-west-1"}},
    }
    settings.UPLOADS = {"STORAGE": "media"}
    now = datetime(2026, 11, 27, 12, 30, 5, tzinfo=UTC)

    policy = app_s3.presign_post("uploads/1/x/a.jpg", content_type="image/jpeg", size=10, expires=60, now=now)

    assert policy["fields"]["x-amz-credential"] == "unused-key/20261127/eu-west-1/s3/aws4_request"
    assert app_s3.bucket_name() == "test-uploads"


def test_the_app_keeps_its_own_timeouts_and_retries_on_the_storage_entrys_client(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "media": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"bucket_name": "media"}},
    }
    settings.UPLOADS = {"STORAGE": "media", "S3_READ_TIMEOUT": 7, "S3_MAX_ATTEMPTS": 2}

    config = app_s3.client().meta.config

    assert (config.read_timeout, config.retries["total_max_attempts"]) == (7, 2)
