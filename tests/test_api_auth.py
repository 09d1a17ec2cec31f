"""Who may call the API, and how every refusal is answered: always the one JSON error shape."""

import uuid

import pytest

from uploads.models import Upload

pytestmark = pytest.mark.django_db

SOME_ID = uuid.UUID(int=7)


def test_a_wrong_csrf_token_returns_403(api):
    api.csrf = "x" * 32

    response = api.create()

    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "code": "csrf_failed",
            "message": "CSRF check failed (CSRF token from the 'X-Csrftoken' HTTP header incorrect); "
            "reload the page and try again.",
            "field": None,
        }
    }
    assert not Upload.objects.exists()


def test_a_request_body_over_16_kb_is_refused_unread(api):
    response = api.post("/uploads/api/uploads/", raw='{"filename": "' + "a" * 20_000 + '"}')

    assert response.status_code == 413
    assert response.json() == {
        "error": {
            "code": "body_too_large",
            "message": "The request body is 20016 bytes; the API accepts at most 16384.",
            "field": None,
        }
    }


@pytest.mark.parametrize(
    ("method", "path", "allowed", "choices"),
    [
        ("get", f"/uploads/api/uploads/{SOME_ID}/complete/", "POST", "use POST"),
        ("post", f"/uploads/api/uploads/{SOME_ID}/", "GET, DELETE, HEAD", "use GET, DELETE or HEAD"),
        ("delete", "/uploads/api/uploads/", "GET, POST, HEAD", "use GET, POST or HEAD"),
    ],
)
def test_a_method_the_endpoint_does_not_take_returns_405_with_allow(api, method, path, allowed, choices):
    response = getattr(api, method)(path)

    assert response.status_code == 405
    assert response["Allow"] == allowed
    assert response.json() == {
        "error": {
            "code": "method_not_allowed",
            "message": f"{method.upper()} is not allowed here; {choices}.",
            "field": None,
        }
    }


def test_head_is_answered_where_get_is(api):
    assert api.client.head("/uploads/api/uploads/").status_code == 200


@pytest.mark.parametrize("path", ["/uploads/api/", "/uploads/api/nothing/", "/uploads/api/uploads/123/"])
def test_an_unknown_api_path_returns_a_json_404(api, path):
    response = api.get(path)

    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "There is no API endpoint at this address.", "field": None}
    }


def test_an_unexpected_error_returns_a_json_500_and_is_logged(api, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("uploads.services.listed", broken)

    response = api.get("/uploads/api/uploads/")

    assert response.status_code == 500
    assert response.json() == {
        "error": {
            "code": "server_error",
            "message": "Something went wrong on the server; the error was logged. Try again later.",
            "field": None,
        }
    }
    assert "RuntimeError: boom" in caplog.text
