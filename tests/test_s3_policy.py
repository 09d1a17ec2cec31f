"""What S3 itself enforces with our policies: the declared file, to the byte. Run against SeaweedFS,
which checks POST policies (moto accepts any POST, so it could not prove any of this). What an
attacker changes besides the size (key, type, fields, signature, expiry) is refused in
tests/security/test_policy_abuse.py."""

import pytest

from tests.conftest import post_to_s3
from tests.images import image_bytes
from tests.security.conftest import s3_refusal, state, stored
from uploads.models import Upload

pytestmark = pytest.mark.django_db

JPEG = image_bytes("image/jpeg")


def test_s3_accepts_the_declared_file_under_the_granted_key(api, s3):
    created = api.create("a.jpg", "image/jpeg", len(JPEG)).json()

    reply = post_to_s3(created, JPEG)

    assert reply.status_code == 204
    assert stored(s3, created["key"]) == JPEG


def test_s3_refuses_a_file_one_byte_larger_than_declared(api, s3):
    created = api.create("a.jpg", "image/jpeg", len(JPEG)).json()
    before = state(s3)

    reply = post_to_s3(created, JPEG + b"\0")

    assert s3_refusal(reply) == (400, "EntityTooLarge")
    assert state(s3) == before


def test_s3_refuses_a_file_one_byte_smaller_than_declared_so_complete_finds_nothing(api, s3):
    created = api.create("a.jpg", "image/jpeg", len(JPEG)).json()
    before = state(s3)

    reply = post_to_s3(created, JPEG[:-1])
    completed = api.complete(created["id"])

    assert s3_refusal(reply) == (400, "EntityTooSmall")
    assert completed.status_code == 409
    assert completed.json()["error"]["code"] == "object_missing"
    assert state(s3) == before
    assert Upload.objects.get(pk=created["id"]).size == len(JPEG)
