"""Viewing URLs: short-lived, for the owner (and staff) only, and always served as the verified
image, inline, under the key's safe name, whatever the object in the bucket claims to be."""

import functools
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests

from tests.conftest import TEST_BUCKET, post_to_s3
from tests.images import image_bytes
from tests.security.conftest import API, s3_refusal, verified
from uploads import s3 as app_s3

pytestmark = pytest.mark.django_db

PNG = image_bytes("image/png")
HTML = b"<!doctype html><script>fetch('/steal?c='+document.cookie)</script>"


def query(url):
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def served(url):
    reply = requests.get(url, timeout=10)
    return reply.status_code, reply.headers.get("Content-Type"), reply.headers.get("Content-Disposition")


def safe_name(upload):
    return upload["key"].rsplit("/", 1)[1]


@pytest.mark.parametrize(("setting", "expires"), [({}, "300"), ({"VIEW_EXPIRES": 45}, "45")])
def test_the_detail_url_is_signed_for_view_expires_seconds(api, s3, settings, setting, expires):
    settings.UPLOADS = setting
    upload = verified(api, PNG, "image/png", "shoe.png")

    url = api.get(f"{API}{upload['id']}/").json()["url"]

    assert query(url)["X-Amz-Expires"] == expires


def test_the_viewing_url_stops_working_once_it_expires(api, s3):
    upload = verified(api, PNG, "image/png", "shoe.png")
    # The URL the detail view signs, for a minute: signed now it serves; signed two minutes ago it
    # has expired by S3's own clock, so nothing has to wait for it.
    signed = functools.partial(
        app_s3.presign_get, upload["key"], content_type="image/png", filename=safe_name(upload), expires=60
    )
    assert served(signed()) == (200, "image/png", f'inline; filename="{safe_name(upload)}"')

    reply = requests.get(signed(now=datetime.now(UTC) - timedelta(minutes=2)), timeout=10)

    assert s3_refusal(reply) == (403, "AccessDenied")
    assert reply.content != PNG


def test_the_viewing_url_serves_the_verified_type_inline_under_the_safe_name(api, s3):
    upload = verified(api, PNG, "image/png", "a\"; filename*=UTF-8''evil.html\r\nX-Injected: 1.png")

    reply = requests.get(api.get(f"{API}{upload['id']}/").json()["url"], timeout=10)

    assert re.fullmatch(r"[A-Za-z0-9._-]+\.png", safe_name(upload))
    assert reply.status_code == 200
    assert reply.content == PNG
    assert reply.headers["Content-Type"] == "image/png"
    assert reply.headers["Content-Disposition"] == f'inline; filename="{safe_name(upload)}"'
    assert "X-Injected" not in reply.headers


@pytest.mark.parametrize(
    "stored_as",
    [
        {"ContentType": "text/html"},
        {"ContentType": "image/svg+xml"},
        {"ContentType": "text/html", "ContentDisposition": 'inline; filename="evil.html"'},
        {"ContentType": "application/octet-stream", "ContentDisposition": "attachment; filename=evil.exe"},
    ],
    ids=["html", "svg", "html with its own disposition", "download"],
)
def test_the_viewing_url_forces_the_verified_type_over_what_the_object_claims(api, s3, stored_as):
    upload = verified(api, PNG, "image/png", "shoe.png")
    s3.put_object(Bucket=TEST_BUCKET, Key=upload["key"], Body=HTML, **stored_as)

    status, content_type, disposition = served(api.get(f"{API}{upload['id']}/").json()["url"])

    assert (status, content_type, disposition) == (200, "image/png", 'inline; filename="shoe.png"')


@pytest.mark.parametrize(
    "change",
    [
        {"response-content-type": "text/html"},
        {"response-content-disposition": 'inline; filename="evil.html"'},
        {"X-Amz-Expires": "604800"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_a_viewing_url_with_a_changed_parameter_is_refused(api, s3, change):
    url = verified(api, PNG, "image/png", "shoe.png")["url"]
    name, value = next(iter(change.items()))

    tampered = re.sub(
        rf"([?&]){re.escape(name)}=[^&]*", lambda m: f"{m[1]}{name}={quote(value, safe='-_.~')}", url
    )

    assert tampered != url
    assert s3_refusal(requests.get(tampered, timeout=10)) == (403, "SignatureDoesNotMatch")


@pytest.mark.parametrize("dropped", ["response-content-type", "response-content-disposition"])
def test_a_viewing_url_without_the_forced_headers_is_refused(api, s3, dropped):
    url = verified(api, PNG, "image/png", "shoe.png")["url"]
    base, _, params = url.partition("?")

    stripped = base + "?" + "&".join(p for p in params.split("&") if not p.startswith(dropped + "="))

    assert stripped != url
    assert s3_refusal(requests.get(stripped, timeout=10)) == (403, "SignatureDoesNotMatch")


def test_someone_else_gets_no_viewing_url_for_an_upload(api, s3, victim):
    detail = api.get(f"{API}{victim.upload['id']}/")
    listed = api.get(API).json()

    assert detail.status_code == 404
    assert "url" not in detail.json()
    assert listed["results"] == []


def test_the_list_gives_urls_only_for_the_users_own_verified_uploads(api, s3, victim):
    mine = verified(api, PNG, "image/png", "mine.png")
    failed = api.create("fake.png", "image/png", len(HTML)).json()
    assert post_to_s3(failed, HTML).status_code == 204
    assert api.complete(failed["id"]).status_code == 422
    pending = api.create("later.png", "image/png", len(PNG)).json()

    results = {row["id"]: row for row in api.get(API).json()["results"]}

    assert set(results) == {mine["id"], failed["id"], pending["id"]}
    assert results[failed["id"]]["url"] is None
    assert results[pending["id"]]["url"] is None
    assert served(results[mine["id"]]["url"]) == (200, "image/png", 'inline; filename="mine.png"')
    assert urlsplit(results[mine["id"]]["url"]).path.endswith("/" + mine["key"])


def test_a_deleted_upload_has_no_url_and_its_old_url_finds_nothing(api, s3):
    upload = verified(api, PNG, "image/png", "gone.png")

    assert api.delete(f"{API}{upload['id']}/").status_code == 200

    assert api.get(f"{API}{upload['id']}/").status_code == 404
    assert api.get(API).json()["results"] == []
    assert requests.get(upload["url"], timeout=10).status_code == 404


def test_staff_view_the_image_through_the_same_forced_url_in_the_admin(api, s3, staff):
    upload = verified(api, PNG, "image/png", "shoe.png")

    html = staff.get(f"/admin/uploads/upload/{upload['id']}/change/").content.decode()

    # The page's preview is a variant (none here); the original is behind a link of its own.
    src = re.search(r'<a href="([^"]+)"[^>]*>Open the original</a>', html).group(1).replace("&amp;", "&")
    assert query(src)["X-Amz-Expires"] == "300"
    assert served(src) == (200, "image/png", 'inline; filename="shoe.png"')


def test_a_seller_who_is_not_staff_cannot_reach_the_admin(api, s3, victim):
    reply = api.get(f"/admin/uploads/upload/{victim.upload['id']}/change/")

    assert reply.status_code == 302
    assert reply["Location"].startswith("/admin/login/")
