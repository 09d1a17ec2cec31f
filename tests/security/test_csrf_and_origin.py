"""Only a request that a configured token authenticator vouched for is spared the CSRF check.

Browsers add Basic, Digest, Negotiate and NTLM credentials (and the web server's REMOTE_USER that
follows from them) to any site's forged request by themselves, and a plain form can post
``text/plain`` across sites without a preflight. So every call that changes something must be
JSON, must carry the CSRF token unless a token authenticator named in ``TOKEN_AUTHENTICATION``
authenticated it, and is refused when the browser says it comes from another site.
"""

import json
import secrets

import pytest
from django.test import Client

from tests import token_auth
from tests.security.conftest import API, state
from uploads.models import Upload

pytestmark = pytest.mark.django_db

CREATE_BODY = {"filename": "forged.jpg", "content_type": "image/jpeg", "size": 100}
CSRF_COOKIE_NOT_SET = {
    "error": {
        "code": "csrf_failed",
        "message": "CSRF check failed (CSRF cookie not set); reload the page and try again.",
        "field": None,
    }
}
NOT_JSON = {
    "error": {
        "code": "unsupported_media_type",
        "message": "Send the request as JSON, with the header Content-Type: application/json.",
        "field": None,
    }
}
CROSS_SITE = {
    "error": {
        "code": "cross_site",
        "message": "This request came from another site; the API answers this site's own pages "
        "and API clients that send a token.",
        "field": None,
    }
}
NOT_LOGGED_IN = {"error": {"code": "not_authenticated", "message": "Log in to upload files.", "field": None}}
JSON = {"Content-Type": "application/json"}

OFFERED = []


def refuse_and_remember(request):
    """A token authenticator that records what it was offered and accepts nothing."""
    OFFERED.append(request.headers.get("Authorization"))
    return None


@pytest.fixture
def remote_user(settings, make_user):
    """A site behind a web server that logs users in with Kerberos or Basic auth: REMOTE_USER."""
    middleware = list(settings.MIDDLEWARE)
    at = middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1
    settings.MIDDLEWARE = [
        *middleware[:at],
        "django.contrib.auth.middleware.RemoteUserMiddleware",
        *middleware[at:],
    ]
    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        "django.contrib.auth.backends.RemoteUserBackend",
    ]
    return make_user("victim")


def device(token):
    """A phone app: no cookies, its token in every request, and CSRF enforced."""
    return Client(enforce_csrf_checks=True, headers={"Authorization": f"Token {token}"})


@pytest.mark.parametrize("sec_fetch_site", [None, "cross-site"], ids=["older-browser", "fetch-metadata"])
def test_a_cross_site_text_plain_form_post_through_remote_user_creates_nothing(remote_user, sec_fetch_site):
    # <form method="post" enctype="text/plain"><input name='{"filename": ..., "x": "' value='"}'>
    # on another site: the browser adds Negotiate itself, the web server sets REMOTE_USER, and the
    # SameSite=Lax session cookie stays home.
    forged = json.dumps({**CREATE_BODY, "x": "="})
    headers = {
        "Authorization": "Negotiate abc",
        **({"Sec-Fetch-Site": sec_fetch_site} if sec_fetch_site else {}),
    }

    reply = Client(enforce_csrf_checks=True).post(
        API, forged, content_type="text/plain", headers=headers, REMOTE_USER=remote_user.username
    )

    assert (reply.status_code, reply.json()) == (
        (415, NOT_JSON) if sec_fetch_site is None else (403, CROSS_SITE)
    )
    assert not Upload.objects.exists()


@pytest.mark.parametrize("scheme", ["Basic", "Digest", "Negotiate", "NTLM", "negotiate"])
def test_credentials_a_browser_adds_by_itself_still_need_the_csrf_token(settings, remote_user, scheme):
    settings.UPLOADS = {**settings.UPLOADS, "TOKEN_AUTHENTICATION": [f"{__name__}.refuse_and_remember"]}
    OFFERED.clear()

    reply = Client(enforce_csrf_checks=True).post(
        API,
        CREATE_BODY,
        content_type="application/json",
        headers={"Authorization": f"{scheme} abc"},
        REMOTE_USER=remote_user.username,
    )

    assert (reply.status_code, reply.json()) == (403, CSRF_COOKIE_NOT_SET)
    assert not Upload.objects.exists()
    assert OFFERED == [], "browser credentials are never offered to the token authenticators"


def test_a_configured_token_authenticator_spares_the_csrf_check(token, seller, s3):
    reply = device(token).post(API, CREATE_BODY, content_type="application/json")

    assert reply.status_code == 201, reply.json()
    assert Upload.objects.get().owner == seller


def test_the_token_authenticators_are_asked_in_order_and_the_first_user_wins(settings, token, seller, s3):
    settings.UPLOADS = {
        **settings.UPLOADS,
        "TOKEN_AUTHENTICATION": [f"{__name__}.refuse_and_remember", "tests.token_auth.authenticate"],
    }
    OFFERED.clear()

    reply = device(token).post(API, CREATE_BODY, content_type="application/json")

    assert reply.status_code == 201, reply.json()
    assert [f"Token {token}"] == OFFERED
    assert Upload.objects.get().owner == seller


def test_a_token_that_no_configured_authenticator_accepts_is_not_authenticated(token):
    reply = device("not-a-real-one").post(API, CREATE_BODY, content_type="application/json")

    assert (reply.status_code, reply.json()) == (403, NOT_LOGGED_IN)
    assert not Upload.objects.exists()


def test_a_project_token_middleware_not_listed_in_the_setting_still_needs_csrf(settings, seller):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.token_auth.middleware"]
    key = secrets.token_hex(16)
    token_auth.TOKENS[key] = seller.pk
    try:
        reply = device(key).post(API, CREATE_BODY, content_type="application/json")
        listed = device(key).get(API)
    finally:
        del token_auth.TOKENS[key]

    assert (reply.status_code, reply.json()) == (403, CSRF_COOKIE_NOT_SET)
    assert not Upload.objects.exists()
    assert listed.status_code == 200, "the middleware did log the device in"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "", None),
        ("post", "", CREATE_BODY),
        ("get", "{id}/", None),
        ("delete", "{id}/", None),
        ("post", "{id}/complete/", None),
    ],
)
def test_a_cross_site_request_is_refused_even_with_a_valid_csrf_token_and_session(
    api, uploaded, s3, method, path, body
):
    created = uploaded()
    before = state(s3)
    headers = {"X-CSRFToken": api.csrf, "Sec-Fetch-Site": "cross-site", **JSON}

    reply = api.client.generic(
        method.upper(), API + path.format(id=created["id"]), json.dumps(body) if body else "", headers=headers
    )

    assert (reply.status_code, reply.json()) == (403, CROSS_SITE)
    assert state(s3) == before


@pytest.mark.parametrize("sec_fetch_site", ["same-origin", "none"])
def test_a_same_origin_or_user_initiated_request_is_allowed(api, s3, sec_fetch_site):
    headers = {"X-CSRFToken": api.csrf, "Sec-Fetch-Site": sec_fetch_site}

    reply = api.client.post(API, CREATE_BODY, content_type="application/json", headers=headers)

    assert reply.status_code == 201, reply.json()
    assert api.client.get(API, headers={"Sec-Fetch-Site": sec_fetch_site}).json()["count"] == 1


def test_a_token_client_is_not_refused_as_cross_site(token, s3):
    reply = device(token).post(
        API, CREATE_BODY, content_type="application/json", headers={"Sec-Fetch-Site": "cross-site"}
    )

    assert reply.status_code == 201, reply.json()


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", json.dumps(CREATE_BODY)),
        ("application/x-www-form-urlencoded", "filename=a.jpg&content_type=image/jpeg&size=100"),
        ("multipart/form-data; boundary=xyz", json.dumps(CREATE_BODY)),  # not multipart: a 500 once
        ("multipart/form-data", "--"),
        ("application/xml", "<upload/>"),
        ("application/jsonp", json.dumps(CREATE_BODY)),
        ("", json.dumps(CREATE_BODY)),
    ],
    ids=["text", "form", "multipart-lie", "multipart-no-boundary", "xml", "jsonp", "none"],
)
@pytest.mark.parametrize(("method", "path"), [("post", ""), ("post", "{id}/complete/"), ("delete", "{id}/")])
def test_a_body_that_is_not_json_gets_415_and_changes_nothing(
    api, uploaded, s3, method, path, content_type, body
):
    created = uploaded()
    before = state(s3)

    reply = getattr(api.client, method)(
        API + path.format(id=created["id"]),
        body,
        content_type=content_type,
        headers={"X-CSRFToken": api.csrf},
    )

    assert (reply.status_code, reply.json()) == (415, NOT_JSON)
    assert state(s3) == before


@pytest.mark.parametrize("method", ["post", "delete"])
def test_a_call_without_a_body_needs_the_json_content_type_too(api, uploaded, s3, method):
    created = uploaded()
    before = state(s3)
    path = f"{API}{created['id']}/" + ("complete/" if method == "post" else "")

    reply = getattr(api.client, method)(path, headers={"X-CSRFToken": api.csrf})

    assert (reply.status_code, reply.json()) == (415, NOT_JSON)
    assert state(s3) == before


def test_json_in_another_charset_gets_415(api):
    reply = api.client.post(
        API,
        json.dumps(CREATE_BODY),
        content_type="application/json; charset=utf-16",  # the client encodes it
        headers={"X-CSRFToken": api.csrf},
    )

    assert (reply.status_code, reply.json()) == (
        415,
        {
            "error": {
                "code": "unsupported_media_type",
                "message": "Send the request as UTF-8 JSON; the charset 'utf-16' is not accepted.",
                "field": None,
            }
        },
    )
    assert not Upload.objects.exists()


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "Application/JSON; charset=UTF8"]
)
def test_json_with_a_utf8_charset_parameter_is_accepted(api, s3, content_type):
    reply = api.client.post(
        API, json.dumps(CREATE_BODY), content_type=content_type, headers={"X-CSRFToken": api.csrf}
    )

    assert reply.status_code == 201, reply.json()
