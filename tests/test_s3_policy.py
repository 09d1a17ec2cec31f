"""What S3 itself enforces with our policies. Run against SeaweedFS, which checks POST policies
(moto accepts any POST, so it could not prove any of this)."""

import time

import pytest

from tests.conftest import post_to_s3
from tests.images import image_bytes

pytestmark = pytest.mark.django_db

JPEG = image_bytes("image/jpeg")


def s3_code(reply):
    return reply.text.split("<Code>")[1].split("</Code>")[0]


def stored(s3, key):
    return s3.get_object(Bucket="test-uploads", Key=key)["Body"].read()


def test_s3_accepts_the_declared_file_under_the_granted_key(api, s3):
    created = api.create("a.jpg", "image/jpeg", len(JPEG)).json()

    reply = post_to_s3(created, JPEG)

    assert reply.status_code == 204
    assert stored(s3, created["key"]) == JPEG


def test_s3_refuses_a_file_one_byte_larger_than_declared(api, s3):
    created = api.create("a.jpg", "image/jpeg", len(JPEG)).json()

    reply = post_to_s3(created, JPEG + b"\0")

    assert (reply.status_code, s3_code(reply)) == (400, "EntityTooLarge")


def test_s3_refuses_a_file_one_byte_smaller_than_declared(api, s3):
    created = api.create("a.jpg", "image/jpeg", len(JPEG)).json()

    reply = post_to_s3(created, JPEG[:-1])

    assert (reply.status_code, s3_code(reply)) == (400, "EntityTooSmall")


@pytest.mark.parametrize(
    ("other_key", "refusal"),
    [
        ("uploads/999/elsewhere.jpg", (403, "AccessDenied")),
        ("root.jpg", (403, "AccessDenied")),
        # SeaweedFS refuses a '..' segment before it even reads the policy.
        ("uploads/../escape.jpg", (400, "InvalidRequest")),
    ],
)
def test_s3_refuses_a_key_other_than_the_granted_one(api, s3, other_key, refusal):
    created = api.create("a.jpg", "image/jpeg", len(JPEG)).json()

    reply = post_to_s3(created, JPEG, fields={"key": other_key})

    assert (reply.status_code, s3_code(reply)) == refusal
    assert s3.list_objects_v2(Bucket="test-uploads", Prefix=other_key).get("KeyCount", 0) == 0


def test_s3_refuses_to_overwrite_an_existing_object_with_another_policy(api, s3, uploaded):
    first = uploaded()
    second = api.create("b.jpg", "image/jpeg", len(JPEG)).json()

    reply = post_to_s3(second, b"x" * len(JPEG), fields={"key": first["key"]})

    assert reply.status_code == 403
    assert stored(s3, first["key"]) == image_bytes("image/jpeg")


def test_s3_refuses_a_different_content_type(api, s3):
    created = api.create("a.jpg", "image/jpeg", len(JPEG)).json()

    reply = post_to_s3(created, JPEG, fields={"Content-Type": "text/html"})

    assert (reply.status_code, s3_code(reply)) == (403, "AccessDenied")


def test_s3_refuses_form_fields_the_policy_does_not_list(api, s3):
    created = api.create("a.jpg", "image/jpeg", len(JPEG)).json()

    reply = post_to_s3(created, JPEG, fields={"x-amz-meta-owner": "someone-else"})

    assert (reply.status_code, s3_code(reply)) == (403, "AccessDenied")
    assert "Extra input fields" in reply.text


def test_s3_refuses_a_tampered_signature(api, s3):
    created = api.create("a.jpg", "image/jpeg", len(JPEG)).json()
    signature = created["upload"]["fields"]["x-amz-signature"]
    tampered = ("0" if signature[0] != "0" else "1") + signature[1:]

    reply = post_to_s3(created, JPEG, fields={"x-amz-signature": tampered})

    assert (reply.status_code, s3_code(reply)) == (403, "SignatureDoesNotMatch")


def test_s3_refuses_a_policy_after_it_expires(api, s3, settings):
    settings.UPLOADS = {"EXPIRES": 1}
    created = api.create("a.jpg", "image/jpeg", len(JPEG)).json()
    time.sleep(2.1)

    reply = post_to_s3(created, JPEG)

    assert (reply.status_code, s3_code(reply)) == (403, "AccessDenied")
    assert "Policy expired" in reply.text
