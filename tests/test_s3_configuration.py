"""Where the app's S3 client and signing credentials come from, and when they are made again.

The client is built once and rebuilt when ``override_settings`` (or pytest-django's ``settings``)
changes a setting it reads; the policies and viewing URLs are signed with the credentials boto3
itself finds for that configuration: the storage's keys, a profile, or boto3's own chain.
"""

import sys
import textwrap
from datetime import UTC, datetime

import pytest
import requests
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from tests.conftest import TEST_BUCKET
from uploads import s3

MOMENT = datetime(2026, 11, 27, 12, 30, 5, tzinfo=UTC)


@pytest.fixture
def moment(monkeypatch):
    """One fixed moment for boto3's signers and ours, so their output can be compared whole."""
    for module in ("botocore.auth", "botocore.signers"):
        monkeypatch.setattr(f"{module}.get_current_datetime", lambda: MOMENT.replace(tzinfo=None))
    return MOMENT


def ours(key="uploads/1/abc/a.png"):
    return s3.presign_post(key, content_type="image/png", size=5, expires=60, now=MOMENT)


def boto3s(key="uploads/1/abc/a.png"):
    return s3.client().generate_presigned_post(
        s3.bucket_name(),
        key,
        Fields={"Content-Type": "image/png"},
        Conditions=[{"Content-Type": "image/png"}, ["content-length-range", 5, 5]],
        ExpiresIn=60,
    )


def our_view_url(key="uploads/1/abc/a.png"):
    return s3.presign_get(key, content_type="image/png", filename="a.png", expires=60, now=MOMENT)


def boto3s_view_url(key="uploads/1/abc/a.png"):
    return s3.client().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": s3.bucket_name(),
            "Key": key,
            "ResponseContentType": "image/png",
            "ResponseContentDisposition": 'inline; filename="a.png"',
        },
        ExpiresIn=60,
    )


class TestTheClientIsMadeAgainWhenASettingItReadsChanges:
    def test_unchanged_settings_reuse_the_client_and_its_storage(self):
        first = s3.client()

        assert s3.client() is first
        assert s3.storage() is s3.storage()

    def test_a_setting_it_does_not_read_keeps_the_client(self, settings):
        first = s3.client()

        settings.UPLOADS_UNRELATED = "anything"
        settings.LOGIN_URL = "/elsewhere/"

        assert s3.client() is first

    def test_a_setting_set_to_the_value_it_has_keeps_the_client(self, settings):
        # As every test's fixtures do: the suite's settings are set again before each test.
        first = s3.client()

        settings.AWS_S3_ENDPOINT_URL = settings.AWS_S3_ENDPOINT_URL
        settings.UPLOADS = {}
        with override_settings(AWS_STORAGE_BUCKET_NAME=TEST_BUCKET):
            assert s3.client() is first

        assert s3.client() is first

    def test_a_dict_setting_changed_in_place_is_a_change_once_a_setting_is_set(self, settings):
        settings.UPLOADS = {"S3_READ_TIMEOUT": 7}
        first = s3.client()

        settings.UPLOADS["S3_READ_TIMEOUT"] = 9
        settings.UPLOADS = settings.UPLOADS

        assert s3.client() is not first
        assert s3.client().meta.config.read_timeout == 9

    @pytest.mark.parametrize(
        ("name", "value", "seen"),
        [
            ("AWS_S3_ENDPOINT_URL", "http://127.0.0.1:2", lambda: s3.client().meta.endpoint_url),
            ("AWS_STORAGE_BUCKET_NAME", "another-bucket", lambda: s3.bucket_name()),
            ("AWS_S3_REGION_NAME", "eu-west-1", lambda: s3.client().meta.region_name),
            ("AWS_ACCESS_KEY_ID", "another-key", lambda: ours()["fields"]["x-amz-credential"].split("/")[0]),
            ("AWS_LOCATION", "media", lambda: s3.location()),
            ("AWS_S3_USE_SSL", False, lambda: s3.storage().use_ssl),
        ],
    )
    def test_the_settings_fixture_changing_an_aws_setting_gives_a_new_client(
        self, settings, name, value, seen
    ):
        first = s3.client()

        setattr(settings, name, value)

        assert s3.client() is not first
        assert seen() == value
        assert s3.client() is s3.client()

    def test_the_apps_own_timeouts_give_a_new_client(self, settings):
        first = s3.client()

        settings.UPLOADS = {"S3_READ_TIMEOUT": 7, "S3_MAX_ATTEMPTS": 2}

        config = s3.client().meta.config
        assert s3.client() is not first
        assert (config.read_timeout, config.retries["total_max_attempts"]) == (7, 2)

    def test_an_aws_environment_variable_counts_as_soon_as_any_setting_is_set(self, settings, monkeypatch):
        # django-storages reads AWS_SESSION_TOKEN from the environment when no setting names it.
        first = s3.client()
        monkeypatch.setenv("AWS_SESSION_TOKEN", "from-the-environment")

        settings.UPLOADS = {}

        assert s3.client() is not first
        assert ours()["fields"]["x-amz-security-token"] == "from-the-environment"

    def test_override_settings_switches_the_client_and_switches_back_on_leaving(self):
        outer = s3.client()

        with override_settings(AWS_S3_ENDPOINT_URL="http://127.0.0.1:3", AWS_STORAGE_BUCKET_NAME="inner"):
            inner = s3.client()
            assert (inner.meta.endpoint_url, s3.bucket_name()) == ("http://127.0.0.1:3", "inner")
            assert s3.client() is inner
            assert ours()["url"] == "http://127.0.0.1:3/inner"

        restored = s3.client()
        assert restored is not inner
        assert (restored.meta.endpoint_url, s3.bucket_name()) == (outer.meta.endpoint_url, TEST_BUCKET)
        assert ours()["url"] == f"{outer.meta.endpoint_url}/{TEST_BUCKET}"

    def test_a_new_secret_key_signs_at_once_and_exactly_as_the_new_client_does(self, settings, moment):
        before, before_url = ours(), our_view_url()

        settings.AWS_SECRET_ACCESS_KEY = "another-secret"

        assert ours()["fields"]["x-amz-signature"] != before["fields"]["x-amz-signature"]
        assert our_view_url() != before_url
        assert (ours(), our_view_url()) == (boto3s(), boto3s_view_url())


@pytest.fixture
def aws_home(settings, monkeypatch, tmp_path):
    """No keys in the settings or the environment: boto3 looks in its own files, which live in
    ``tmp_path`` (``credentials`` and ``config``, empty until a test writes them), and never asks
    an instance's metadata service."""
    for name in [name for name in dir(django_settings) if name.startswith("AWS_")]:
        delattr(settings, name)
    settings.AWS_S3_ENDPOINT_URL = "http://127.0.0.1:9"
    settings.AWS_STORAGE_BUCKET_NAME = TEST_BUCKET
    settings.AWS_S3_REGION_NAME = "us-east-1"
    settings.AWS_S3_SIGNATURE_VERSION = "s3v4"
    for name in (
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_S3_ACCESS_KEY_ID", "AWS_S3_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_S3_SESSION_PROFILE", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
        "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "credentials").write_text("")
    (tmp_path / "config").write_text("")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return tmp_path


class TestSigningWithTheCredentialsBoto3Finds:
    def test_keys_boto3_finds_in_its_credentials_file_sign_exactly_as_boto3_does(self, aws_home, moment):
        (aws_home / "credentials").write_text(
            "[default]\naws_access_key_id = file-key\naws_secret_access_key = file-secret\n"
        )

        assert s3.storage().access_key is None  # the storage has no keys: boto3's chain finds them
        assert ours()["fields"]["x-amz-credential"] == "file-key/20261127/us-east-1/s3/aws4_request"
        assert (ours(), our_view_url()) == (boto3s(), boto3s_view_url())

    def test_the_session_profile_of_the_storage_signs_exactly_as_boto3_does(self, aws_home, settings, moment):
        (aws_home / "credentials").write_text(
            "[default]\naws_access_key_id = default-key\naws_secret_access_key = default-secret\n"
            "[shop]\naws_access_key_id = shop-key\naws_secret_access_key = shop-secret\n"
            "aws_session_token = shop-token\n"
        )
        settings.AWS_S3_SESSION_PROFILE = "shop"

        policy = ours()

        assert policy["fields"]["x-amz-credential"].startswith("shop-key/")
        assert policy["fields"]["x-amz-security-token"] == "shop-token"
        assert (policy, our_view_url()) == (boto3s(), boto3s_view_url())

    def test_credentials_that_expire_are_renewed_for_each_signature_not_kept(self, aws_home):
        # A credential_process gives temporary keys, here new ones each time it runs, that expire
        # in five minutes: within botocore's ten-minute window, so every use must renew them.
        script = aws_home / "issue.py"
        script.write_text(
            textwrap.dedent(
                """
                import datetime, json, pathlib
                counter = pathlib.Path(__file__).with_name("issued")
                number = int(counter.read_text()) + 1 if counter.exists() else 1
                counter.write_text(str(number))
                expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=5)
                print(json.dumps({
                    "Version": 1,
                    "AccessKeyId": f"temporary-{number}",
                    "SecretAccessKey": f"secret-{number}",
                    "SessionToken": f"token-{number}",
                    "Expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                }))
                """
            )
        )
        (aws_home / "config").write_text(f"[default]\ncredential_process = {sys.executable} {script}\n")

        first, second = ours()["fields"], ours()["fields"]

        assert first["x-amz-credential"].split("/")[0] != second["x-amz-credential"].split("/")[0]
        for fields in (first, second):
            number = fields["x-amz-credential"].split("/")[0].removeprefix("temporary-")
            assert fields["x-amz-security-token"] == f"token-{number}"

    def test_without_any_credentials_signing_says_what_is_missing(self, aws_home):
        with pytest.raises(ImproperlyConfigured, match="needs AWS credentials to sign upload policies"):
            ours()

    @pytest.mark.django_db
    def test_seaweedfs_takes_an_upload_signed_with_keys_boto3_found_itself(
        self, aws_home, settings, local_s3
    ):
        (aws_home / "credentials").write_text(
            f"[default]\naws_access_key_id = {local_s3.access_key}\naws_secret_access_key = {local_s3.secret_key}\n"
        )
        settings.AWS_S3_ENDPOINT_URL = local_s3.endpoint_url
        settings.AWS_S3_ADDRESSING_STYLE = "path"
        key = "uploads/chain/a.png"
        policy = s3.presign_post(key, content_type="image/png", size=5, expires=60)

        form = {"file": ("a.png", b"12345", "image/png")}
        reply = requests.post(policy["url"], data=policy["fields"], files=form, timeout=30)
        viewed = requests.get(
            s3.presign_get(key, content_type="image/png", filename="a.png", expires=60), timeout=30
        )

        assert reply.status_code == 204, reply.text
        assert (viewed.status_code, viewed.content) == (200, b"12345")
        local_s3.client().delete_object(Bucket=TEST_BUCKET, Key=key)
