"""A seller with a valid policy tries to make S3 store something else, somewhere else.

Every refusal here is S3's (the suite's SeaweedFS checks POST policies), and after each one the
bucket and the rows are exactly as they were.
"""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.conftest import TEST_BUCKET, post_to_s3
from tests.images import image_bytes
from tests.security.conftest import API, objects, policy_document, post_form, rows, s3_refusal, state, stored
from uploads import keys
from uploads import s3 as app_s3
from uploads.models import Upload

pytestmark = pytest.mark.django_db

JPEG = image_bytes("image/jpeg")
# Another file of exactly the granted size: the only thing the policy does not pin.
OTHER_FILE = (b"<html><script>alert(document.cookie)</script></html>" * 50)[: len(JPEG)]


def granted(api):
    return api.create("shoe.jpg", "image/jpeg", len(JPEG)).json()


def folder(key):
    return key.rsplit("/", 1)[0]


OTHER_KEYS = {
    "another users prefix": lambda mine, victim: f"uploads/{victim.user.pk}/{'0' * 32}/shoe.jpg",
    "another users folder": lambda mine, victim: folder(victim.upload["key"]) + "/shoe.jpg",
    "dot dot onto an existing object": lambda mine, victim: (
        f"{folder(mine)}/../../{victim.upload['key'][8:]}"
    ),
    "dot dot above the prefix": lambda mine, victim: "../shoe.jpg",
    "encoded dot dot": lambda mine, victim: f"{folder(mine)}/%2e%2e/%2e%2e/{victim.upload['key'][8:]}",
    "backslash dot dot": lambda mine, victim: f"{folder(mine)}\\..\\..\\{victim.upload['key'][8:]}",
    "bucket root": lambda mine, victim: "shoe.jpg",
    "an existing objects key": lambda mine, victim: victim.upload["key"],
    "the granted key with a suffix": lambda mine, victim: mine + ".html",
}
REFUSALS = {
    "another users prefix": (403, "AccessDenied"),
    "another users folder": (403, "AccessDenied"),
    # SeaweedFS refuses a '..' segment, after '/' or '\\', before it reads the policy.
    "dot dot onto an existing object": (400, "InvalidRequest"),
    "dot dot above the prefix": (400, "InvalidRequest"),
    "encoded dot dot": (403, "AccessDenied"),
    "backslash dot dot": (400, "InvalidRequest"),
    "bucket root": (403, "AccessDenied"),
    "an existing objects key": (403, "AccessDenied"),
    "the granted key with a suffix": (403, "AccessDenied"),
}


@pytest.mark.parametrize("target", list(OTHER_KEYS))
def test_s3_refuses_a_policy_used_for_a_key_other_than_the_granted_one(api, s3, victim, target):
    created = granted(api)
    other_key = OTHER_KEYS[target](created["key"], victim)
    before = state(s3)

    reply = post_to_s3(created, OTHER_FILE, fields={"key": other_key})

    assert s3_refusal(reply) == REFUSALS[target]
    assert state(s3) == before
    assert stored(s3, victim.upload["key"]) == victim.data


def test_s3_refuses_a_used_policy_for_a_second_file_under_another_key(api, s3, victim):
    created = granted(api)
    assert post_to_s3(created, JPEG).status_code == 204
    before = state(s3)

    beside = post_to_s3(created, OTHER_FILE, fields={"key": folder(created["key"]) + "/second.jpg"})
    over_victim = post_to_s3(created, OTHER_FILE, fields={"key": victim.upload["key"]})

    assert s3_refusal(beside) == (403, "AccessDenied")
    assert s3_refusal(over_victim) == (403, "AccessDenied")
    assert state(s3) == before
    assert stored(s3, created["key"]) == JPEG


def test_create_ignores_fields_the_client_must_not_choose(api, s3, seller, victim):
    before_objects, before_rows = state(s3)
    body = {
        "filename": "shoe.jpg",
        "content_type": "image/jpeg",
        "size": len(JPEG),
        "id": victim.upload["id"],
        "key": victim.upload["key"],
        "owner": victim.user.pk,
        "status": "uploaded",
        "etag": "0" * 32,
        "width": 1,
        "height": 1,
        "max_size": 10**12,
        "expires_at": "2100-01-01T00:00:00Z",
        "content-length-range": [0, 10**12],
    }

    reply = api.post(API, body)

    created = reply.json()
    row = Upload.objects.get(pk=created["id"])
    assert reply.status_code == 201
    assert created["id"] != victim.upload["id"]
    assert created["key"].startswith(f"uploads/{keys.installation_id()}/{seller.pk}/{row.pk.hex}/")
    assert created["max_size"] == 10 * 2**20
    assert (row.owner, row.status, row.size) == (seller, "pending", len(JPEG))
    assert (row.etag, row.width, row.height) == ("", None, None)
    assert ["content-length-range", len(JPEG), len(JPEG)] in policy_document(created)["conditions"]
    assert objects(s3) == before_objects
    assert [other for other in rows() if other["id"] != row.pk] == before_rows


def test_complete_ignores_a_size_or_status_claimed_in_its_body(api, s3):
    created = granted(api)
    assert post_to_s3(created, JPEG).status_code == 204

    reply = api.post(
        f"{API}{created['id']}/complete/", {"size": len(JPEG) * 100, "status": "failed", "width": 9}
    )

    assert reply.status_code == 200
    assert (reply.json()["size"], reply.json()["status"], reply.json()["width"]) == (
        len(JPEG),
        "uploaded",
        64,
    )
    assert Upload.objects.get(pk=created["id"]).size == len(JPEG)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", "{id}/"),
        ("patch", "{id}/"),
        ("post", "{id}/"),
        ("put", "{id}/complete/"),
        ("patch", "{id}/complete/"),
    ],
)
def test_no_endpoint_lets_the_client_rewrite_an_upload(api, s3, method, path):
    created = granted(api)
    before = state(s3)
    send = getattr(api.client, method)
    body = json.dumps({"size": 1, "key": "shoe.jpg", "status": "uploaded", "content_type": "text/html"})
    url = API + path.format(id=created["id"])

    reply = send(url, body, content_type="application/json", headers={"X-CSRFToken": api.csrf})

    assert reply.status_code == 405
    assert reply.json()["error"]["code"] == "method_not_allowed"
    assert state(s3) == before


@pytest.mark.parametrize(
    "other_type", ["text/html", "image/svg+xml", "image/png", "image/jpeg; charset=utf-8", "IMAGE/JPEG"]
)
def test_s3_refuses_a_content_type_other_than_the_granted_one(api, s3, other_type):
    created = granted(api)
    before = state(s3)

    reply = post_to_s3(created, JPEG, fields={"Content-Type": other_type}, content_type=other_type)

    assert s3_refusal(reply) == (403, "AccessDenied")
    assert state(s3) == before


def test_a_different_type_on_the_file_part_alone_is_not_what_s3_stores(api, s3):
    # The policy pins the form's Content-Type field; the multipart file part carries its own.
    created = granted(api)

    reply = post_to_s3(created, JPEG, content_type="text/html")

    assert reply.status_code == 204
    assert s3.head_object(Bucket=TEST_BUCKET, Key=created["key"])["ContentType"] == "image/jpeg"
    assert api.complete(created["id"]).json()["status"] == "uploaded"


@pytest.mark.parametrize(
    "extra",
    [
        {"x-amz-meta-owner": "victim"},
        {"x-amz-website-redirect-location": "https://evil.example/"},
        {"x-amz-server-side-encryption": "AES256"},
        {"x-amz-storage-class": "GLACIER"},
    ],
    ids=lambda extra: next(iter(extra)),
)
def test_s3_refuses_form_fields_the_policy_does_not_list(api, s3, extra):
    created = granted(api)
    before = state(s3)

    reply = post_form(created, JPEG, fields=extra)

    assert s3_refusal(reply) == (403, "AccessDenied")
    assert "Extra input fields" in reply.text
    assert state(s3) == before


@pytest.mark.parametrize(
    ("extra", "header"),
    [
        ({"Content-Disposition": "attachment; filename=evil.html"}, "Content-Disposition"),
        ({"Content-Encoding": "gzip"}, "Content-Encoding"),
        ({"Cache-Control": "public, max-age=31536000"}, "Cache-Control"),
        ({"Expires": "Thu, 01 Jan 2099 00:00:00 GMT"}, "Expires"),
    ],
    ids=lambda value: value if isinstance(value, str) else next(iter(value)),
)
def test_complete_refuses_an_object_stored_with_headers_the_policy_never_set(api, s3, extra, header):
    # AWS refuses every unlisted form field; SeaweedFS refuses only x-amz-* ones and stores these.
    # complete sees them on the object and refuses it, so no viewer ever gets them.
    created = granted(api)
    before = state(s3)
    assert post_form(created, JPEG, fields=extra).status_code == 204

    reply = api.complete(created["id"])

    message = f"The file was stored with headers the upload did not allow ({header})."
    assert reply.status_code == 422
    assert reply.json() == {"error": {"code": "verification_failed", "message": message, "field": None}}
    after = state(s3)
    assert after[0] == before[0]  # the object is gone again


@pytest.mark.parametrize(
    "extra",
    [{"success_action_redirect": "https://evil.example/"}, {"success_action_status": "201"}],
    ids=lambda extra: next(iter(extra)),
)
def test_fields_that_only_shape_s3s_reply_leave_the_stored_object_as_signed(api, s3, extra):
    # Known store gap: SeaweedFS obeys these unlisted fields (AWS refuses them), so on SeaweedFS the
    # bucket's answer can redirect where the uploader chose. The object itself is what was signed.
    created = granted(api)

    reply = post_form(created, JPEG, fields=extra)

    assert reply.status_code in (201, 204, 303)
    assert api.complete(created["id"]).json()["status"] == "uploaded"


def test_an_acl_form_field_cannot_make_an_object_public(api, s3, local_s3):
    created = granted(api)

    reply = post_form(created, JPEG, fields={"acl": "public-read"})

    # SeaweedFS takes the upload but ignores the ACL; AWS refuses the unlisted field outright.
    assert reply.status_code == 204
    assert (
        requests.get(f"{local_s3.endpoint_url}/{TEST_BUCKET}/{created['key']}", timeout=10).status_code == 403
    )


def test_a_policy_reused_after_complete_without_a_digest_cannot_change_what_the_row_points_at(api, s3):
    created = granted(api)
    assert post_to_s3(created, JPEG).status_code == 204
    verified = api.complete(created["id"]).json()

    replaced = post_to_s3(created, OTHER_FILE)
    viewed = requests.get(verified["url"], timeout=10)

    assert replaced.status_code == 204  # S3 still takes the policy, at the key it names
    assert verified["key"] != created["key"]  # the verified bytes were copied to a key no policy names
    assert stored(s3, verified["key"]) == JPEG
    assert (viewed.content, viewed.headers["Content-Type"]) == (JPEG, "image/jpeg")
    assert Upload.objects.get(pk=created["id"]).status == "uploaded"


def test_a_policy_reused_after_delete_stores_nothing_any_row_points_at(api, s3):
    created = granted(api)
    assert post_to_s3(created, JPEG).status_code == 204
    assert api.delete(f"/uploads/api/uploads/{created['id']}/").status_code == 200

    assert post_to_s3(created, OTHER_FILE).status_code == 204

    assert Upload.objects.get(pk=created["id"]).status == "deleted"
    assert not Upload.objects.filter(key=created["key"], status__in=["uploaded", "pending"]).exists()


def test_s3_refuses_a_policy_after_it_expires(api, s3):
    created = granted(api)
    # The granted key's policy as create signs it, but signed a minute ago to last a second: S3
    # judges the expiry by its own clock, so nothing has to wait for it.
    a_minute_ago = datetime.now(UTC) - timedelta(minutes=1)
    expired = app_s3.presign_post(
        created["key"], content_type="image/jpeg", size=len(JPEG), expires=1, now=a_minute_ago
    )
    before = state(s3)

    reply = post_to_s3({**created, "upload": expired}, JPEG)

    assert s3_refusal(reply) == (403, "AccessDenied")
    assert "Policy expired" in reply.text
    assert state(s3) == before


def forged_policy(created, change):
    document = policy_document(created)
    document["conditions"] = [change(condition) for condition in document["conditions"]]
    return base64.b64encode(json.dumps(document).encode()).decode()


def widen_size(condition):
    return ["content-length-range", 0, 10 * 2**20] if isinstance(condition, list) else condition


def any_key(condition):
    return ["starts-with", "$key", ""] if isinstance(condition, dict) and "key" in condition else condition


def any_type(condition):
    pinned = isinstance(condition, dict) and "Content-Type" in condition
    return ["starts-with", "$Content-Type", ""] if pinned else condition


@pytest.mark.parametrize(
    ("change", "fields", "data"),
    [
        (widen_size, {}, JPEG * 3),
        (any_key, {"key": "shoe.jpg"}, JPEG),
        (any_type, {"Content-Type": "text/html"}, JPEG),
    ],
    ids=["wider size range", "any key", "any type"],
)
def test_s3_refuses_an_altered_policy_document_under_the_original_signature(api, s3, change, fields, data):
    created = granted(api)
    before = state(s3)

    reply = post_to_s3(created, data, fields={"policy": forged_policy(created, change), **fields})

    assert s3_refusal(reply) == (403, "SignatureDoesNotMatch")
    assert state(s3) == before


def test_s3_refuses_a_later_expiry_written_into_the_policy(api, s3):
    created = granted(api)
    document = policy_document(created)
    document["expiration"] = "2100-01-01T00:00:00Z"
    before = state(s3)

    reply = post_to_s3(
        created, JPEG, fields={"policy": base64.b64encode(json.dumps(document).encode()).decode()}
    )

    assert s3_refusal(reply) == (403, "SignatureDoesNotMatch")
    assert state(s3) == before


def test_s3_refuses_an_altered_signature(api, s3):
    created = granted(api)
    signature = created["upload"]["fields"]["x-amz-signature"]
    before = state(s3)

    reply = post_to_s3(
        created, JPEG, fields={"x-amz-signature": ("0" if signature[0] != "0" else "1") + signature[1:]}
    )

    assert s3_refusal(reply) == (403, "SignatureDoesNotMatch")
    assert state(s3) == before


def test_s3_refuses_another_policys_signature(api, s3):
    mine, other = granted(api), granted(api)
    before = state(s3)

    reply = post_to_s3(mine, JPEG, fields={"x-amz-signature": other["upload"]["fields"]["x-amz-signature"]})

    assert s3_refusal(reply) == (403, "SignatureDoesNotMatch")
    assert state(s3) == before


def test_a_browser_with_its_cache_turned_off_can_still_upload(api, s3):
    # Chromium with "Disable cache" sends Cache-Control: no-cache, which SeaweedFS stores.
    created = granted(api)
    form = dict(created["upload"]["fields"])
    reply = requests.post(
        created["upload"]["url"],
        data=form,
        files={"file": ("shoe.jpg", JPEG, "image/jpeg")},
        headers={"Cache-Control": "no-cache", "Pragma": "no-cache"},
        timeout=30,
    )
    assert reply.status_code == 204

    assert api.complete(created["id"]).json()["status"] == "uploaded"
