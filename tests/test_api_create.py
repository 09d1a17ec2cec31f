"""POST /uploads/api/uploads/: a pending row and a policy for exactly one file."""

import base64
import json

import pytest

from tests.fuzzy import ISO_TIME, UUID, Matches
from uploads import keys
from uploads.models import Upload

pytestmark = pytest.mark.django_db


def decoded_policy(reply):
    return json.loads(base64.b64decode(reply["upload"]["fields"]["policy"]))


def test_create_returns_201_with_a_policy_for_a_server_chosen_key(api, seller, s3):
    response = api.create("Red shoe.JPG", "image/jpeg", 12345)

    assert response.status_code == 201
    body = response.json()
    key = Matches(rf"uploads/{keys.installation_id()}/{seller.pk}/[0-9a-f]{{32}}/Red-shoe\.jpg")
    assert body == {
        "id": UUID,
        "status": "pending",
        "key": key,
        "upload": {
            "url": f"{s3.meta.endpoint_url}/test-uploads",
            "fields": {
                "Content-Type": "image/jpeg",
                "key": key,
                "policy": Matches(r"[A-Za-z0-9+/=]+"),
                "x-amz-algorithm": "AWS4-HMAC-SHA256",
                "x-amz-credential": Matches(r".+/us-east-1/s3/aws4_request"),
                "x-amz-date": Matches(r"\d{8}T\d{6}Z"),
                "x-amz-signature": Matches(r"[0-9a-f]{64}"),
            },
        },
        "expires_at": ISO_TIME,
        "max_size": 10 * 2**20,
        "duplicate": False,
    }
    assert body["upload"]["fields"]["key"] == body["key"]
    row = Upload.objects.get(pk=body["id"])
    assert (row.owner, row.status, row.key, row.filename, row.size) == (
        seller,
        "pending",
        body["key"],
        "Red shoe.JPG",
        12345,
    )


def test_policy_pins_the_exact_key_type_and_size(api, s3):
    body = api.create("a.png", "image/png", 777).json()

    conditions = decoded_policy(body)["conditions"]

    assert {"key": body["key"]} in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", 777, 777] in conditions
    assert {"bucket": "test-uploads"} in conditions
    # No starts-with condition anywhere: nothing in the form is left for the client to choose.
    assert not [c for c in conditions if isinstance(c, list) and c[0] == "starts-with"]


def test_policy_expires_after_the_configured_seconds(api, s3, settings):
    settings.UPLOADS = {"EXPIRES": 120}
    body = api.create().json()
    row = Upload.objects.get(pk=body["id"])

    expiration = decoded_policy(body)["expiration"]

    assert 115 <= (row.expires_at - row.created_at).total_seconds() <= 121
    assert expiration.startswith(row.expires_at.strftime("%Y-%m-%dT%H:%M"))


def test_the_key_ends_with_the_extension_of_the_signed_type_not_the_name(api, s3):
    body = api.create("invoice.html", "image/png", 10).json()

    assert body["key"].endswith("/invoice.png")


def test_each_create_gets_its_own_key_even_for_the_same_name(api, s3):
    first = api.create("same.jpg").json()["key"]
    second = api.create("same.jpg").json()["key"]

    assert first != second


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"content_type": "image/jpeg", "size": 1}, "filename", "The field 'filename' is required."),
        ({"filename": "a.jpg", "size": 1}, "content_type", "The field 'content_type' is required."),
        ({"filename": "a.jpg", "content_type": "image/jpeg"}, "size", "The field 'size' is required."),
        (
            {"filename": "", "content_type": "image/jpeg", "size": 1},
            "filename",
            "The file name must be a non-empty string.",
        ),
        (
            {"filename": "a.jpg", "content_type": "image/jpeg", "size": "12"},
            "size",
            "The size must be a whole number of bytes.",
        ),
        (
            {"filename": "a.jpg", "content_type": "image/jpeg", "size": 1.5},
            "size",
            "The size must be a whole number of bytes.",
        ),
        (
            {"filename": "a.jpg", "content_type": "image/jpeg", "size": True},
            "size",
            "The size must be a whole number of bytes.",
        ),
        ({"filename": "a.jpg", "content_type": "image/jpeg", "size": 0}, "size", "The file is empty."),
        (
            {"filename": "a.jpg", "content_type": 5, "size": 1},
            "content_type",
            "The content type must be a string.",
        ),
    ],
)
def test_create_with_a_missing_or_wrong_field_returns_400_naming_it(api, payload, field, message):
    response = api.post("/uploads/api/uploads/", payload)

    assert response.status_code == 400
    assert response.json() == {"error": {"code": "invalid", "message": message, "field": field}}
    assert not Upload.objects.exists()


def test_create_with_a_body_that_is_not_json_returns_400(api):
    response = api.post("/uploads/api/uploads/", raw="{not json")

    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "invalid_json", "message": "The request body is not valid JSON.", "field": None}
    }


def test_create_with_a_json_list_returns_400(api):
    response = api.post("/uploads/api/uploads/", raw="[1, 2]")

    assert response.json()["error"] == {
        "code": "invalid",
        "message": "The request body must be a JSON object.",
        "field": None,
    }


def test_create_over_the_size_limit_returns_413_with_both_sizes(api):
    response = api.create(size=13_002_342)

    assert response.status_code == 413
    assert response.json() == {
        "error": {"code": "too_large", "message": "File is 12.4 MB; the limit is 10 MB.", "field": "size"}
    }


def test_the_size_limit_is_a_setting(api, settings, s3):
    settings.UPLOADS = {"MAX_SIZE": 1000}

    assert api.create(size=1000).status_code == 201
    assert api.create(size=1001).json()["error"]["message"] == "File is 1001 bytes; the limit is 1000 bytes."


@pytest.mark.parametrize("content_type", ["image/svg+xml", "text/html", "application/pdf", "", "image/tiff"])
def test_create_with_a_type_not_allowed_returns_415(api, content_type):
    response = api.create("x.svg", content_type, 100)

    assert response.status_code == 415
    shown = f"Files of type {content_type}" if content_type else "Files of an unknown type"
    assert response.json() == {
        "error": {
            "code": "unsupported_type",
            "message": f"{shown} are not accepted; upload JPEG, PNG, WebP, GIF, AVIF.",
            "field": "content_type",
        }
    }


def test_the_allowed_types_are_a_setting(api, settings, s3):
    settings.UPLOADS = {"ALLOWED_TYPES": ["image/png"]}

    assert api.create("a.png", "image/png").status_code == 201
    assert api.create("a.jpg", "image/jpeg").json()["error"]["message"] == (
        "Files of type image/jpeg are not accepted; upload PNG."
    )


def test_the_content_type_is_compared_without_case(api, s3):
    body = api.create("a.jpg", "Image/JPEG", 10).json()

    assert body["upload"]["fields"]["Content-Type"] == "image/jpeg"
