"""The upload JSON (detail, list, complete, a duplicate's create reply) says how the upload travels
and until when its permission holds:

- ``multipart``: ``{"part_size", "part_count"}`` for an upload sent in parts, as the create call
  answered it; ``null`` for one sent in one POST. The page reads it after a reload to know whether
  to ask for the parts S3 holds (transfer.js: ``upload.multipart``).
- ``expires_at``: when its policy expires, ISO 8601 in UTC, as the create, renew and parts calls
  answered it.
"""

import base64
import datetime
import hashlib
import secrets

import pytest

from tests.conftest import post_to_s3
from tests.fuzzy import ISO_TIME
from tests.images import image_bytes
from uploads.models import Upload

pytestmark = pytest.mark.django_db

MB = 2**20
PART = 5 * MB


@pytest.fixture
def big_files(settings):
    """Files over 1 MB go in parts of 5 MB (S3's smallest), up to 64 MB."""
    settings.UPLOADS = {
        "MAX_SIZE": 64 * MB,
        "MULTIPART_THRESHOLD": MB,
        "MULTIPART_PART_SIZE": PART,
        "KEY_PREFIX": "json-" + secrets.token_hex(4),
    }


def sha256_of(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def detail(api, upload_id):
    response = api.get(f"/uploads/api/uploads/{upload_id}/")
    assert response.status_code == 200, response.content
    return response.json()


def listed(api, upload_id):
    (found,) = [row for row in api.get("/uploads/api/uploads/").json()["results"] if row["id"] == upload_id]
    return found


def create_in_parts(api, size):
    response = api.post(
        "/uploads/api/uploads/", {"filename": "poster.jpg", "content_type": "image/jpeg", "size": size}
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_an_upload_sent_in_one_post_has_no_multipart_and_its_policys_expiry(api, s3):
    created = api.create().json()

    shown, in_list = detail(api, created["id"]), listed(api, created["id"])

    assert shown["multipart"] is None and in_list["multipart"] is None
    assert shown["expires_at"] == in_list["expires_at"] == created["expires_at"]
    assert shown["expires_at"] == ISO_TIME


def test_an_upload_in_parts_states_its_parts_as_the_create_call_did(api, s3, big_files):
    created = create_in_parts(api, 2 * PART + 1000)

    shown, in_list = detail(api, created["id"]), listed(api, created["id"])

    assert created["multipart"] == {"part_size": PART, "part_count": 3}
    assert shown["multipart"] == in_list["multipart"] == created["multipart"]
    assert shown["expires_at"] == created["expires_at"]


@pytest.mark.parametrize(("size", "count"), [(PART + 1, 2), (2 * PART, 2), (10 * PART + 7, 11)])
def test_the_part_count_is_the_size_in_parts_the_last_one_shorter(api, s3, big_files, size, count):
    created = create_in_parts(api, size)

    assert detail(api, created["id"])["multipart"] == {"part_size": PART, "part_count": count}


def test_signing_parts_moves_the_expiry_the_upload_shows(api, s3, big_files, settings):
    created = create_in_parts(api, 2 * PART + 1000)
    settings.UPLOADS = {**settings.UPLOADS, "EXPIRES": 3600}

    signed = api.post(
        f"/uploads/api/uploads/{created['id']}/parts/", {"parts": [{"number": 1, "sha256": "A" * 43 + "="}]}
    ).json()

    assert detail(api, created["id"])["expires_at"] == signed["expires_at"] != created["expires_at"]


def test_a_renewed_policy_moves_the_expiry_the_upload_shows(api, s3):
    created = api.create().json()
    past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    Upload.objects.filter(pk=created["id"]).update(expires_at=past)

    renewed = api.post(f"/uploads/api/uploads/{created['id']}/renew/").json()

    assert detail(api, created["id"])["expires_at"] == renewed["expires_at"]
    assert datetime.datetime.fromisoformat(renewed["expires_at"]) > past


def test_a_verified_upload_keeps_both_fields(api, uploaded):
    created = uploaded()

    completed = api.complete(created["id"]).json()

    assert completed["status"] == "uploaded"
    assert (completed["multipart"], completed["expires_at"]) == (None, created["expires_at"])
    shown = detail(api, created["id"])
    assert (shown["multipart"], shown["expires_at"]) == (None, created["expires_at"])


def test_a_duplicates_reply_is_the_upload_json_with_both_fields(api, s3):
    data = image_bytes()
    declared = {
        "filename": "shoe.jpg",
        "content_type": "image/jpeg",
        "size": len(data),
        "sha256": sha256_of(data),
    }
    first = api.post("/uploads/api/uploads/", declared).json()
    assert post_to_s3(first, data).status_code == 204
    api.complete(first["id"])

    again = api.post("/uploads/api/uploads/", {**declared, "filename": "again.jpg"}).json()

    assert (again["duplicate"], again["id"]) == (True, first["id"])
    assert (again["multipart"], again["expires_at"]) == (None, first["expires_at"])


def test_expires_at_is_in_utc_whatever_the_sites_time_zone(api, s3, settings):
    settings.TIME_ZONE = "America/New_York"
    created = api.create().json()

    shown = detail(api, created["id"])["expires_at"]

    assert shown.endswith("+00:00")
    assert datetime.datetime.fromisoformat(shown) == Upload.objects.get(pk=created["id"]).expires_at


def test_a_row_in_parts_without_s3_is_shown_from_its_part_size_alone(api, seller):
    """What marks an upload in parts is the part size fixed when it started (as ``complete`` reads it)."""
    created = api.create().json()
    Upload.objects.filter(pk=created["id"]).update(part_size=PART, size=3 * PART)

    assert detail(api, created["id"])["multipart"] == {"part_size": PART, "part_count": 3}
