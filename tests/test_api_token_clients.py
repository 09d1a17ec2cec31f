"""A client that authenticates with the project's own token backend (no session, no cookies), listed
in ``UPLOADS["TOKEN_AUTHENTICATION"]``, uses the same API end to end without CSRF tokens; a browser
session never gets that exemption."""

import pytest
from django.test import Client

from tests.conftest import post_to_s3
from tests.images import image_bytes

pytestmark = pytest.mark.django_db
# Django's client sends content_type only with a body; the API wants JSON on complete and delete too.
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def device(token):
    """The mobile app: Django's test client with CSRF enforced, its token in every request."""
    return Client(enforce_csrf_checks=True, headers={"Authorization": f"Token {token}"})


def test_a_token_client_creates_uploads_and_completes_without_csrf(device, s3):
    data = image_bytes("image/png", 80, 60)

    created = device.post(
        "/uploads/api/uploads/",
        {"filename": "shelf.png", "content_type": "image/png", "size": len(data)},
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    assert post_to_s3(created.json(), data).status_code == 204

    completed = device.post(f"/uploads/api/uploads/{created.json()['id']}/complete/", headers=JSON)

    assert completed.status_code == 200
    assert (completed.json()["status"], completed.json()["width"]) == ("uploaded", 80)
    assert device.get("/uploads/api/uploads/").json()["count"] == 1
    assert device.delete(f"/uploads/api/uploads/{created.json()['id']}/", headers=JSON).status_code == 200


def test_a_request_with_a_session_cookie_still_needs_csrf_even_with_a_token(device, seller):
    device.force_login(seller)  # the browser's session cookie rides along

    reply = device.post(
        "/uploads/api/uploads/",
        {"filename": "shelf.png", "content_type": "image/png", "size": 10},
        content_type="application/json",
    )

    assert reply.status_code == 403
    assert reply.json()["error"]["code"] == "csrf_failed"


def test_a_wrong_token_is_not_authenticated(token):
    stranger = Client(enforce_csrf_checks=True, headers={"Authorization": "Token not-a-real-one"})

    reply = stranger.post("/uploads/api/uploads/", {}, content_type="application/json")

    assert reply.status_code == 403
    assert reply.json()["error"]["code"] == "not_authenticated"
