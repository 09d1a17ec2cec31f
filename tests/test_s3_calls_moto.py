"""Fast checks of the boto3 calls themselves, in moto. Moto accepts any POST, so nothing here
claims how S3 behaves: that is tests/test_s3_calls.py and tests/test_s3_policy.py, against SeaweedFS."""

from datetime import UTC, datetime

import pytest
from moto import mock_aws

from uploads import s3


@pytest.fixture
def moment(monkeypatch):
    """One fixed moment for boto3's signers and ours, so their output can be compared whole."""
    fixed = datetime(2026, 11, 27, 12, 30, 5, tzinfo=UTC)
    for module in ("botocore.auth", "botocore.signers"):
        monkeypatch.setattr(f"{module}.get_current_datetime", lambda: fixed.replace(tzinfo=None))
    return fixed


@pytest.fixture
def moto_s3(settings):
    settings.AWS_S3_ENDPOINT_URL = None
    with mock_aws():
        s3.client().create_bucket(Bucket="test-uploads")
        yield s3.client()


def test_head_reports_size_type_and_etag(moto_s3):
    moto_s3.put_object(Bucket="test-uploads", Key="k.png", Body=b"12345", ContentType="image/png")

    found = s3.head("k.png")

    assert (found.size, found.content_type, len(found.etag)) == (5, "image/png", 32)


def test_presign_get_forces_the_verified_type_and_an_inline_disposition(moto_s3):
    url = s3.presign_get("u/1/x/a.png", content_type="image/png", filename="a.png", expires=60)

    assert "response-content-type=image%2Fpng" in url
    assert "response-content-disposition=inline%3B%20filename%3D%22a.png%22" in url
    assert "X-Amz-Expires=60" in url


def test_the_client_is_built_once_per_configuration(settings):
    settings.AWS_S3_ENDPOINT_URL = "http://127.0.0.1:1"
    first = s3.client()

    assert s3.client() is first
    settings.AWS_S3_ENDPOINT_URL = "http://127.0.0.1:2"
    assert s3.client() is not first
    assert s3.client().meta.endpoint_url == "http://127.0.0.1:2"


def test_presign_post_gives_exactly_what_boto3_would_sign(moto_s3, moment):
    expected = moto_s3.generate_presigned_post(
        "test-uploads",
        "uploads/1/abc/a.png",
        Fields={"Content-Type": "image/png"},
        Conditions=[{"Content-Type": "image/png"}, ["content-length-range", 77, 77]],
        ExpiresIn=600,
    )

    ours = s3.presign_post("uploads/1/abc/a.png", content_type="image/png", size=77, expires=600, now=moment)

    assert ours == expected


def test_presign_post_signs_the_session_token_of_temporary_credentials(settings, moment):
    settings.AWS_S3_ENDPOINT_URL = None
    settings.AWS_SESSION_TOKEN = "temporary-token"
    expected = s3.client().generate_presigned_post(
        "test-uploads",
        "k.png",
        Fields={"Content-Type": "image/png"},
        Conditions=[{"Content-Type": "image/png"}, ["content-length-range", 5, 5]],
        ExpiresIn=60,
    )

    ours = s3.presign_post("k.png", content_type="image/png", size=5, expires=60, now=moment)

    assert ours == expected
    assert ours["fields"]["x-amz-security-token"] == "temporary-token"


@pytest.mark.parametrize(
    ("endpoint", "addressing", "token"),
    [("http://127.0.0.1:9", "path", None), (None, "auto", None), (None, "virtual", "temporary-token")],
)
def test_presign_get_gives_exactly_what_boto3_would_sign(settings, moment, endpoint, addressing, token):
    settings.AWS_S3_ENDPOINT_URL = endpoint
    settings.AWS_S3_ADDRESSING_STYLE = addressing
    settings.AWS_SESSION_TOKEN = token
    key = "uploads/1/ab c/Ünï ~x.jpg"
    expected = s3.client().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": "test-uploads",
            "Key": key,
            "ResponseContentType": "image/jpeg",
            "ResponseContentDisposition": 'inline; filename="x.jpg"',
        },
        ExpiresIn=300,
    )

    ours = s3.presign_get(key, content_type="image/jpeg", filename="x.jpg", expires=300, now=moment)

    assert ours == expected


def test_presign_post_with_a_digest_gives_exactly_what_boto3_would_sign(moto_s3, moment):
    sha = "0h+nvFFho4Rf+K+LoqbnZnVKyDSkhS4/gNR7j5q57L0="
    expected = moto_s3.generate_presigned_post(
        "test-uploads",
        "k.png",
        Fields={
            "Content-Type": "image/png",
            "x-amz-checksum-algorithm": "SHA256",
            "x-amz-checksum-sha256": sha,
        },
        Conditions=[
            {"Content-Type": "image/png"},
            ["content-length-range", 5, 5],
            {"x-amz-checksum-algorithm": "SHA256"},
            {"x-amz-checksum-sha256": sha},
        ],
        ExpiresIn=60,
    )

    assert (
        s3.presign_post("k.png", content_type="image/png", size=5, expires=60, sha256=sha, now=moment)
        == expected
    )
