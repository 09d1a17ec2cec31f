"""Fast checks of the boto3 calls themselves, in moto. Moto accepts any POST, so nothing here
claims how S3 behaves: that is tests/test_s3_calls.py and tests/test_s3_policy.py, against SeaweedFS."""

import pytest
from moto import mock_aws

from uploads import s3


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
