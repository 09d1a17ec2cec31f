"""Who may touch an upload: only its logged-in owner, with the page's CSRF token, by its real id."""

import uuid

import pytest
from django.test import Client

from tests.conftest import ApiClient, post_to_s3
from tests.images import image_bytes
from tests.security.conftest import API, objects, state, stored
from uploads import keys

pytestmark = pytest.mark.django_db

NOT_LOGGED_IN = {"error": {"code": "not_authenticated", "message": "Log in to upload files.", "field": None}}
NOT_FOUND = {"error": {"code": "not_found", "message": "No such upload.", "field": None}}
NO_ENDPOINT = {
    "error": {"code": "not_found", "message": "There is no API endpoint at this address.", "field": None}
}
CSRF_MISSING = {
    "error": {
        "code": "csrf_failed",
        "message": "CSRF check failed (CSRF token missing); reload the page and try again.",
        "field": None,
    }
}
CREATE_BODY = {"filename": "a.jpg", "content_type": "image/jpeg", "size": 100}


def call(api, method, path, *, csrf=True):
    if method == "post":
        return api.post(path, CREATE_BODY if path == API else None, csrf=csrf)
    if method == "delete":
        return api.delete(path, csrf=csrf)
    return getattr(api.client, method)(path)


ON_AN_UPLOAD = [("get", "{id}/"), ("head", "{id}/"), ("delete", "{id}/"), ("post", "{id}/complete/")]


@pytest.mark.parametrize(("method", "path"), [("get", ""), ("head", ""), ("post", ""), *ON_AN_UPLOAD])
def test_every_endpoint_refuses_a_visitor_who_is_not_logged_in(anonymous_api, s3, victim, method, path):
    before = state(s3)

    reply = call(anonymous_api, method, API + path.format(id=victim.upload["id"]))

    assert reply.status_code == 403
    if method != "head":
        assert reply.json() == NOT_LOGGED_IN
    assert state(s3) == before


@pytest.mark.parametrize(("method", "path"), ON_AN_UPLOAD)
def test_another_users_upload_is_not_found_and_stays_as_it_was(api, s3, victim, method, path):
    before = state(s3)

    reply = call(api, method, API + path.format(id=victim.upload["id"]))

    assert reply.status_code == 404
    if method != "head":
        assert reply.json() == NOT_FOUND
    assert state(s3) == before
    assert stored(s3, victim.upload["key"]) == victim.data
    assert victim.api.get(f"{API}{victim.upload['id']}/").json()["status"] == "uploaded"


def test_another_users_pending_upload_cannot_be_completed_or_cancelled(api, s3, victim):
    pending = victim.api.create("next.jpg", "image/jpeg", 100).json()
    before = state(s3)

    completed = api.complete(pending["id"])
    deleted = api.delete(f"{API}{pending['id']}/")

    assert (completed.status_code, completed.json()) == (404, NOT_FOUND)
    assert (deleted.status_code, deleted.json()) == (404, NOT_FOUND)
    assert state(s3) == before


def test_another_users_uploads_are_not_in_the_list(api, s3, victim):
    reply = api.get(API)

    assert reply.json()["count"] == 0
    assert reply.json()["results"] == []


@pytest.mark.parametrize(("method", "path"), ON_AN_UPLOAD)
def test_a_made_up_upload_id_is_not_found(api, s3, victim, method, path):
    before = state(s3)

    reply = call(api, method, API + path.format(id=uuid.uuid4()))

    assert reply.status_code == 404
    if method != "head":
        assert reply.json() == NOT_FOUND
    assert state(s3) == before


@pytest.mark.parametrize(
    "bad_id",
    [
        "123",
        "not-a-uuid",
        "..",
        "%2e%2e",
        "' OR 1=1 --",
        "00000000-0000-0000-0000-00000000000g",
        "{id}x",
        "{id}/..",
    ],
)
@pytest.mark.parametrize(
    ("method", "path"), [("get", "{bad}/"), ("delete", "{bad}/"), ("post", "{bad}/complete/")]
)
def test_an_id_that_is_not_a_uuid_gets_a_json_404(api, s3, victim, bad_id, method, path):
    before = state(s3)
    bad = bad_id.format(id=victim.upload["id"])

    reply = call(api, method, API + path.format(bad=bad))

    assert reply.status_code == 404
    assert reply.json() == NO_ENDPOINT
    assert state(s3) == before


def test_create_without_the_csrf_token_is_refused_and_signs_nothing(api, s3):
    before = state(s3)

    reply = api.post(API, CREATE_BODY, csrf=False)

    assert (reply.status_code, reply.json()) == (403, CSRF_MISSING)
    assert state(s3) == before


@pytest.mark.parametrize(("method", "path"), [("delete", "{id}/"), ("post", "{id}/complete/")])
def test_changing_an_upload_without_the_csrf_token_is_refused(api, s3, uploaded, method, path):
    created = uploaded()
    before = state(s3)

    reply = call(api, method, API + path.format(id=created["id"]), csrf=False)

    assert (reply.status_code, reply.json()) == (403, CSRF_MISSING)
    assert state(s3) == before


@pytest.mark.parametrize(("method", "path"), [("post", ""), ("delete", "{id}/"), ("post", "{id}/complete/")])
def test_another_sessions_csrf_token_is_refused(api, s3, uploaded, make_user, method, path):
    created = uploaded()
    other = Client(enforce_csrf_checks=True)
    other.force_login(make_user())
    other.get("/accounts/login/")
    api.csrf = other.cookies["csrftoken"].value
    before = state(s3)

    reply = call(api, method, API + path.format(id=created["id"]))

    assert reply.status_code == 403
    assert reply.json()["error"]["code"] == "csrf_failed"
    assert state(s3) == before


def test_a_csrf_token_in_the_header_without_the_cookie_is_refused(api, s3, uploaded):
    created = uploaded()
    del api.client.cookies["csrftoken"]
    before = state(s3)

    reply = api.complete(created["id"])

    assert reply.status_code == 403
    assert reply.json() == {
        "error": {
            "code": "csrf_failed",
            "message": "CSRF check failed (CSRF cookie not set); reload the page and try again.",
            "field": None,
        }
    }
    assert state(s3) == before


@pytest.mark.parametrize("method", ["get", "head", "put", "patch"])
def test_complete_answers_any_method_but_post_with_405_and_allow(api, s3, uploaded, method):
    created = uploaded()
    before = state(s3)

    reply = getattr(api.client, method)(f"{API}{created['id']}/complete/")

    assert reply.status_code == 405
    assert reply["Allow"] == "POST"
    if method != "head":
        assert reply.json() == {
            "error": {
                "code": "method_not_allowed",
                "message": f"{method.upper()} is not allowed here; use POST.",
                "field": None,
            }
        }
    assert state(s3) == before


def log_in(client, user):
    client.get("/accounts/login/")
    form = {"username": user.username, "password": "pw-" + user.username}
    reply = client.post(
        "/accounts/login/", {**form, "csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    )
    assert reply.status_code == 302
    return client.cookies["csrftoken"].value


def test_a_stale_page_after_logout_can_neither_complete_nor_delete(s3, seller):
    page = ApiClient()
    page.csrf = log_in(page.client, seller)
    data = image_bytes("image/png")
    pending = page.create("left.png", "image/png", len(data)).json()
    assert post_to_s3(pending, data).status_code == 204
    verified = page.create("kept.png", "image/png", len(data)).json()
    assert post_to_s3(verified, data).status_code == 204
    assert page.complete(verified["id"]).status_code == 200
    old_session = page.client.cookies["sessionid"].value
    logged_out = page.client.post("/accounts/logout/", headers={"X-CSRFToken": page.csrf})
    assert (logged_out.status_code, page.client.cookies["sessionid"].value) == (302, "")
    before = state(s3)

    def stale_calls():
        return [
            page.complete(pending["id"]),
            page.delete(f"{API}{verified['id']}/"),
            page.create("more.png", "image/png", 9),
        ]

    with_cookies_as_left = stale_calls()
    page.client.cookies["sessionid"] = old_session
    with_the_old_session_put_back = stale_calls()

    for reply in with_cookies_as_left + with_the_old_session_put_back:
        assert (reply.status_code, reply.json()) == (403, NOT_LOGGED_IN)
    assert state(s3) == before
    assert pending["key"] in objects(s3) and keys.verified_key(verified["key"]) in objects(s3)
