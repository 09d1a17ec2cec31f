"""Files above MULTIPART_THRESHOLD go to S3 in parts, each part's URL pinned to its SHA-256, and a
pending upload sent in one piece can have its expired policy renewed. Against the suite's SeaweedFS,
which enforces what S3 does: a part's checksum, its signed headers, 5 MB parts but the last.

The part size here is S3's smallest, 5 MB: files of three parts are a little over 10 MB.
"""

import base64
import concurrent.futures
import datetime
import hashlib
import json
import random
import secrets

import pytest
import requests
from django.utils import timezone

from tests.conftest import ApiClient, post_to_s3
from tests.fuzzy import HEX32, ISO_TIME, UUID, Matches
from tests.images import image_bytes
from uploads import bucket, keys, verify
from uploads import s3 as app_s3
from uploads.checks import check_settings
from uploads.models import Upload, UploadPart

pytestmark = pytest.mark.django_db

BUCKET = "test-uploads"
MB = 2**20
PART = 5 * MB


@pytest.fixture(autouse=True)
def big_files(settings):
    """Files over 1 MB go in parts of 5 MB, up to 64 MB; keys under a prefix of the test's own."""
    settings.UPLOADS = {
        "MAX_SIZE": 64 * MB,
        "MULTIPART_THRESHOLD": MB,
        "MULTIPART_PART_SIZE": PART,
        "KEY_PREFIX": "multipart-" + secrets.token_hex(4),
    }


def big_jpeg(size=2 * PART + 1000, seed=1):
    """A real JPEG followed by random bytes, ``size`` bytes in all: only its start is ever decoded."""
    start = image_bytes("image/jpeg", 640, 480)
    return start + random.Random(seed).randbytes(size - len(start))


def digest(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def split(data, part_size=PART):
    return [data[at : at + part_size] for at in range(0, len(data), part_size)]


def create(api, data, filename="poster.jpg", **extra):
    return api.post(
        "/uploads/api/uploads/",
        {"filename": filename, "content_type": "image/jpeg", "size": len(data), **extra},
    )


def sign(api, upload_id, parts):
    """Ask for URLs of ``parts``: ``{number: bytes}``."""
    body = {"parts": [{"number": number, "sha256": digest(chunk)} for number, chunk in parts.items()]}
    return api.post(f"/uploads/api/uploads/{upload_id}/parts/", body)


def put(signed, data):
    """PUT one part as the browser does: to its URL, with the headers the API gave."""
    return requests.put(signed["url"], data=data, headers=signed["headers"], timeout=30)


def send(api, upload_id, parts):
    """Sign ``parts`` and PUT them three at a time; every PUT must succeed."""
    signed = sign(api, upload_id, parts).json()["parts"]
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        replies = list(pool.map(lambda part: put(part, parts[part["number"]]), signed))
    assert [reply.status_code for reply in replies] == [200] * len(parts), [reply.text for reply in replies]


def numbered(data):
    return dict(enumerate(split(data), start=1))


def unfinished(s3, key):
    """The upload ids S3 lists as unfinished for ``key``."""
    listed = s3.list_multipart_uploads(Bucket=BUCKET, Prefix=key).get("Uploads", [])
    return [item["UploadId"] for item in listed if item["Key"] == key]


def object_exists(s3, key):
    return s3.list_objects_v2(Bucket=BUCKET, Prefix=key).get("KeyCount", 0) == 1


def error(code, message, field=None):
    return {"error": {"code": code, "message": message, "field": field}}


# Starting


def test_a_file_above_the_threshold_starts_a_multipart_upload_and_states_its_parts(api, s3, seller, settings):
    data = big_jpeg()

    response = create(api, data, sha256=digest(data))

    assert response.status_code == 201
    body = response.json()
    prefix = settings.UPLOADS["KEY_PREFIX"]
    assert body == {
        "id": UUID,
        "status": "pending",
        "key": Matches(rf"{prefix}/{keys.installation_id()}/{seller.pk}/[0-9a-f]{{32}}/poster\.jpg"),
        "upload": None,
        "multipart": {"part_size": PART, "part_count": 3},
        "expires_at": ISO_TIME,
        "max_size": 64 * MB,
        "duplicate": False,
    }
    row = Upload.objects.get(pk=body["id"])
    assert unfinished(s3, body["key"]) == [row.multipart_id]
    # S3 never checks the whole file's digest of an upload in parts: the claim is not recorded.
    assert (row.size, row.part_size, row.sha256) == (len(data), PART, "")


def test_a_file_at_the_threshold_gets_one_post_policy_as_before(api, s3):
    body = create(api, b"x" * MB).json()

    assert set(body["upload"]) == {"url", "fields"}
    assert "multipart" not in body
    assert Upload.objects.get(pk=body["id"]).multipart_id == ""


def test_a_file_above_max_size_is_refused_before_anything_starts(api, s3):
    response = api.post(
        "/uploads/api/uploads/", {"filename": "huge.jpg", "content_type": "image/jpeg", "size": 65 * MB}
    )

    assert (response.status_code, response.json()) == (
        413,
        error("too_large", "File is 65 MB; the limit is 64 MB.", "size"),
    )
    assert not Upload.objects.exists()


def test_a_file_needing_more_than_10000_parts_is_refused_as_too_large(api, settings):
    settings.UPLOADS = {**settings.UPLOADS, "MULTIPART_PART_SIZE": 1000, "MAX_SIZE": 20 * MB}

    response = api.post(
        "/uploads/api/uploads/", {"filename": "a.jpg", "content_type": "image/jpeg", "size": 11 * MB}
    )

    assert response.status_code == 413
    assert response.json() == error("too_large", "File is 11 MB; the limit is 9.5 MB.", "size")
    assert not Upload.objects.exists()


def test_s3_not_answering_when_an_upload_in_parts_starts_answers_503_and_records_nothing(api):
    # No ``s3`` fixture: the app's S3 is a closed port.
    response = create(api, big_jpeg())

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "storage_unavailable"
    assert not Upload.objects.exists()


# Signing parts


def test_each_part_gets_a_put_url_signed_for_its_number_size_and_digest(api, s3):
    data = big_jpeg()
    created = create(api, data).json()
    parts = numbered(data)

    response = sign(api, created["id"], {1: parts[1], 3: parts[3]})

    assert response.status_code == 200
    signed_headers = r"X-Amz-SignedHeaders=content-length%3Bhost%3Bx-amz-checksum-sha256"
    assert response.json() == {
        "id": created["id"],
        "expires_at": ISO_TIME,
        "parts": [
            {
                "number": number,
                "size": len(parts[number]),
                "url": Matches(
                    rf"{s3.meta.endpoint_url}/{BUCKET}/{created['key']}\?uploadId=.+&partNumber={number}&.*{signed_headers}.*"
                ),
                "headers": {"x-amz-checksum-sha256": digest(parts[number])},
            }
            for number in (1, 3)
        ],
    }
    row = Upload.objects.get(pk=created["id"])
    assert list(row.parts.values_list("number", "sha256")) == [(1, digest(parts[1])), (3, digest(parts[3]))]


def test_s3_refuses_a_part_with_other_bytes_than_its_digest(api, s3):
    data = big_jpeg()
    created = create(api, data).json()
    parts = numbered(data)
    signed = sign(api, created["id"], {2: parts[2]}).json()["parts"][0]

    reply = put(signed, parts[1])  # the same size, other bytes

    assert reply.status_code == 400
    assert "<Code>BadDigest</Code>" in reply.text
    assert (
        s3.list_parts(Bucket=BUCKET, Key=created["key"], UploadId=Upload.objects.get().multipart_id).get(
            "Parts", []
        )
        == []
    )


def test_s3_refuses_a_part_sent_without_the_checksum_header(api, s3):
    data = big_jpeg()
    created = create(api, data).json()
    parts = numbered(data)
    signed = sign(api, created["id"], {1: parts[1]}).json()["parts"][0]

    reply = requests.put(signed["url"], data=parts[1], timeout=30)

    assert reply.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in reply.text


def test_s3_refuses_a_part_of_another_size_than_signed(api, s3):
    data = big_jpeg()
    created = create(api, data).json()
    parts = numbered(data)
    signed = sign(api, created["id"], {3: parts[3]}).json()["parts"][0]

    reply = requests.put(signed["url"], data=parts[3] + b"!", headers=signed["headers"], timeout=30)

    assert reply.status_code == 403


def test_a_parts_digest_is_fixed_once_declared_and_the_same_one_is_signed_again(api, s3):
    data = big_jpeg()
    created = create(api, data).json()
    parts = numbered(data)
    first = sign(api, created["id"], {1: parts[1]}).json()["parts"][0]

    again = sign(api, created["id"], {1: parts[1]})
    changed = sign(api, created["id"], {1: parts[2]})

    assert again.status_code == 200
    assert again.json()["parts"][0]["headers"] == first["headers"]
    assert changed.status_code == 409
    assert changed.json() == error(
        "part_changed",
        "Part 1 was declared with another SHA-256 digest, and a part cannot change; start a new upload for a changed file.",
        "parts",
    )
    assert UploadPart.objects.get().sha256 == digest(parts[1])


def test_signing_moves_the_uploads_expiry_to_the_last_urls(api, s3, settings):
    data = big_jpeg()
    created = create(api, data).json()
    Upload.objects.filter(pk=created["id"]).update(expires_at=timezone.now() - datetime.timedelta(hours=1))

    reply = sign(api, created["id"], {1: numbered(data)[1]}).json()

    expires_at = Upload.objects.get(pk=created["id"]).expires_at
    assert reply["expires_at"] == expires_at.isoformat()
    assert 595 <= (expires_at - timezone.now()).total_seconds() <= 600


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "The field 'parts' must be a list of parts, each with a 'number' and a 'sha256'."),
        ({"parts": []}, "The field 'parts' must be a list of parts, each with a 'number' and a 'sha256'."),
        (
            {"parts": ["abc"]},
            "The field 'parts' must be a list of parts, each with a 'number' and a 'sha256'.",
        ),
        (
            {"parts": [{"number": 0, "sha256": digest(b"")}]},
            "A part's number must be a whole number, 1 or more.",
        ),
        (
            {"parts": [{"number": True, "sha256": digest(b"")}]},
            "A part's number must be a whole number, 1 or more.",
        ),
        (
            {"parts": [{"number": 2, "sha256": "abc"}]},
            "Part 2 needs its SHA-256 digest, base64-encoded (44 characters).",
        ),
        ({"parts": [{"number": 2}]}, "Part 2 needs its SHA-256 digest, base64-encoded (44 characters)."),
        ({"parts": [{"number": 1, "sha256": digest(b"")}] * 2}, "Part 1 is asked for twice."),
        ({"parts": [{"number": 4, "sha256": digest(b"")}]}, "There is no part 4: the file has 3 parts."),
        (
            {"parts": [{"number": n, "sha256": digest(b"")} for n in range(1, 102)]},
            "Ask for at most 100 parts at a time.",
        ),
    ],
)
def test_a_wrong_request_for_part_urls_is_refused_and_records_nothing(api, s3, body, message):
    created = create(api, big_jpeg()).json()

    response = api.post(f"/uploads/api/uploads/{created['id']}/parts/", body)

    assert (response.status_code, response.json()) == (400, error("invalid", message, "parts"))
    assert not UploadPart.objects.exists()


def test_parts_of_an_upload_sent_in_one_piece_answer_409(api, s3):
    created = api.create().json()

    asked = api.get(f"/uploads/api/uploads/{created['id']}/parts/")
    signed = sign(api, created["id"], {1: b"x"})

    expected = error("not_multipart", "This upload is sent in one piece; it has no parts.")
    assert (asked.status_code, asked.json()) == (409, expected)
    assert (signed.status_code, signed.json()) == (409, expected)


def test_nobody_else_sees_or_signs_the_parts_of_an_upload(api, s3, make_user):
    data = big_jpeg()
    created = create(api, data).json()
    other = ApiClient(make_user())

    asked = other.get(f"/uploads/api/uploads/{created['id']}/parts/")
    signed = sign(other, created["id"], {1: numbered(data)[1]})

    assert (asked.status_code, asked.json()) == (404, error("not_found", "No such upload."))
    assert (signed.status_code, signed.json()) == (404, error("not_found", "No such upload."))
    assert not UploadPart.objects.exists()


# Resuming


def test_a_resumed_upload_learns_which_parts_s3_holds_and_sends_only_the_others(api, s3):
    data = big_jpeg()
    created = create(api, data).json()
    parts = numbered(data)
    send(api, created["id"], {1: parts[1], 3: parts[3]})

    response = api.get(f"/uploads/api/uploads/{created['id']}/parts/")

    assert response.status_code == 200
    assert response.json() == {
        "id": created["id"],
        "part_size": PART,
        "part_count": 3,
        "expires_at": ISO_TIME,
        "parts": [
            {"number": 1, "size": PART, "etag": Matches(HEX32), "sha256": digest(parts[1])},
            {"number": 3, "size": len(parts[3]), "etag": Matches(HEX32), "sha256": digest(parts[3])},
        ],
        "missing": [2],
    }
    held = response.json()["parts"]

    send(api, created["id"], {2: parts[2]})

    assert api.complete(created["id"]).status_code == 200
    assert s3.get_object(Bucket=BUCKET, Key=created["key"])["Body"].read() == data
    # Parts 1 and 3 were sent once: S3 still held exactly those when the object was assembled.
    assert [part["etag"] for part in held] == [hashlib.md5(parts[n]).hexdigest() for n in (1, 3)]


# Completing


def test_the_whole_flow_sends_parts_at_once_and_verifies_the_assembled_image(api, s3):
    data = big_jpeg()
    created = create(api, data).json()

    send(api, created["id"], numbered(data))
    first = sign(api, created["id"], {1: numbered(data)[1]}).json()["parts"][0]
    response = api.complete(created["id"])

    assert response.status_code == 200
    assert response.json() == {
        "id": created["id"],
        "status": "uploaded",
        "profile": "default",
        "filename": "poster.jpg",
        "content_type": "image/jpeg",
        "size": len(data),
        # The object cannot change after it is verified (no URL names its key): no copy is made.
        "key": created["key"],
        "etag": Matches(rf"{HEX32}-3"),
        # Filled from the verified bytes by the variant task, never from the client's word.
        "sha256": "",
        "width": 640,
        "height": 480,
        "url": Matches(rf"{s3.meta.endpoint_url}/{BUCKET}/{created['key']}\?.*X-Amz-Signature=.*"),
        "failure_reason": "",
        "review": "unreviewed",
        "review_reason": "",
        "state": "published",
        "variants": {},
        "multipart": {"part_size": PART, "part_count": 3},
        "created_at": ISO_TIME,
        "expires_at": ISO_TIME,
        "verified_at": ISO_TIME,
    }
    stored = s3.head_object(Bucket=BUCKET, Key=created["key"], ChecksumMode="ENABLED")
    assert stored["ChecksumSHA256"] == verify.composite_checksum([digest(chunk) for chunk in split(data)])
    assert s3.get_object(Bucket=BUCKET, Key=created["key"])["Body"].read() == data
    assert unfinished(s3, created["key"]) == []
    # A part URL dies with its multipart upload: nothing can change the verified object.
    assert put(first, numbered(data)[1]).status_code == 404


def test_s3s_parts_are_read_a_page_at_a_time(api, s3):
    data = big_jpeg()
    created = create(api, data).json()
    send(api, created["id"], numbered(data))
    row = Upload.objects.get(pk=created["id"])

    stored = app_s3.list_parts(row.key, row.multipart_id, page_size=2)

    assert [(part.number, part.size) for part in stored] == [(1, PART), (2, PART), (3, 1000)]


def test_complete_again_gives_the_same_answer(api, s3):
    data = big_jpeg()
    created = create(api, data).json()
    send(api, created["id"], numbered(data))

    first, second = api.complete(created["id"]), api.complete(created["id"])

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json() == second.json()


def test_complete_before_every_part_arrived_answers_409_and_the_upload_waits(api, s3):
    data = big_jpeg()
    created = create(api, data).json()
    parts = numbered(data)
    send(api, created["id"], {1: parts[1]})

    early = api.complete(created["id"])

    assert early.status_code == 409
    assert early.json() == error(
        "parts_missing", "2 parts of the file have not arrived in storage yet; send them, then complete."
    )
    assert Upload.objects.get(pk=created["id"]).status == "pending"
    send(api, created["id"], {2: parts[2], 3: parts[3]})
    assert api.complete(created["id"]).json()["status"] == "uploaded"


def test_complete_verifies_an_object_s3_assembled_when_the_reply_was_lost(api, s3):
    data = big_jpeg()
    created = create(api, data).json()
    send(api, created["id"], numbered(data))
    row = Upload.objects.get(pk=created["id"])
    listed = s3.list_parts(Bucket=BUCKET, Key=row.key, UploadId=row.multipart_id)["Parts"]
    s3.complete_multipart_upload(  # as the app's own call does, its reply never read
        Bucket=BUCKET,
        Key=row.key,
        UploadId=row.multipart_id,
        MultipartUpload={
            "Parts": [
                {
                    "PartNumber": p["PartNumber"],
                    "ETag": p["ETag"],
                    "ChecksumSHA256": digest(split(data)[p["PartNumber"] - 1]),
                }
                for p in listed
            ]
        },
    )

    response = api.complete(created["id"])

    assert (response.status_code, response.json()["status"]) == (200, "uploaded")


def test_a_part_replaced_behind_the_apis_back_fails_the_upload_and_nothing_is_kept(api, s3):
    data = big_jpeg()
    created = create(api, data).json()
    parts = numbered(data)
    send(api, created["id"], parts)
    row = Upload.objects.get(pk=created["id"])
    other = bytes(len(parts[2]))
    s3.upload_part(  # the bucket's own credentials: no URL of the app's could store it
        Bucket=BUCKET,
        Key=row.key,
        UploadId=row.multipart_id,
        PartNumber=2,
        Body=other,
        ChecksumSHA256=digest(other),
    )

    response = api.complete(created["id"])

    assert (response.status_code, response.json()) == (
        422,
        error("verification_failed", "A part in storage is not the bytes its declared digest names."),
    )
    row.refresh_from_db()
    assert (row.status, row.failure_reason) == (
        "failed",
        "A part in storage is not the bytes its declared digest names.",
    )
    assert (unfinished(s3, row.key), object_exists(s3, row.key)) == ([], False)


def test_a_part_of_another_size_sent_behind_the_apis_back_fails_the_upload(api, s3):
    data = big_jpeg()
    created = create(api, data).json()
    parts = numbered(data)
    send(api, created["id"], {1: parts[1], 3: parts[3]})
    sign(api, created["id"], {2: parts[2]})
    row = Upload.objects.get(pk=created["id"])
    s3.upload_part(
        Bucket=BUCKET,
        Key=row.key,
        UploadId=row.multipart_id,
        PartNumber=2,
        Body=b"short",
        ChecksumSHA256=digest(b"short"),
    )

    response = api.complete(created["id"])

    assert response.status_code == 422
    assert response.json() == error(
        "verification_failed", "Part 2 in storage is 5 bytes, but 5242880 bytes were declared."
    )
    assert unfinished(s3, row.key) == []


def test_a_part_no_url_was_signed_for_fails_the_upload(api, s3):
    data = big_jpeg()
    created = create(api, data).json()
    parts = numbered(data)
    send(api, created["id"], {1: parts[1], 3: parts[3]})
    row = Upload.objects.get(pk=created["id"])
    s3.upload_part(
        Bucket=BUCKET,
        Key=row.key,
        UploadId=row.multipart_id,
        PartNumber=2,
        Body=parts[2],
        ChecksumSHA256=digest(parts[2]),
    )

    response = api.complete(created["id"])

    assert response.status_code == 422
    assert response.json() == error(
        "verification_failed", "The storage holds a part 2 that no URL of this upload was signed for."
    )
    assert Upload.objects.get(pk=created["id"]).status == "failed"


def test_parts_that_make_no_image_fail_verification_and_the_object_is_deleted(api, s3):
    data = random.Random(7).randbytes(2 * PART + 10)
    created = create(api, data, filename="fake.jpg").json()
    send(api, created["id"], numbered(data))

    response = api.complete(created["id"])

    assert response.status_code == 422
    assert response.json() == error(
        "verification_failed", "The file is not a JPEG image: its contents show it is not an image we accept."
    )
    assert object_exists(s3, created["key"]) is False


def test_the_whole_files_digest_is_recorded_once_read_from_the_verified_bytes(
    api, s3, settings, run_tasks, django_capture_on_commit_callbacks
):
    settings.UPLOADS = {**settings.UPLOADS, "VARIANTS": {"thumb": {"size": 32}}}
    data = big_jpeg()
    created = create(api, data, sha256=digest(b"not this file")).json()
    send(api, created["id"], numbered(data))

    with django_capture_on_commit_callbacks(execute=True):
        assert api.complete(created["id"]).status_code == 200

    # Not the digest the client claimed: the one of the bytes S3 holds, as the variant task read them.
    assert Upload.objects.get(pk=created["id"]).sha256 == digest(data)
    again = create(api, data, filename="poster again.jpg", sha256=digest(data)).json()
    assert (again["duplicate"], again["id"]) == (True, created["id"])


# Cancelling


def test_cancel_aborts_the_multipart_upload(api, s3):
    data = big_jpeg()
    created = create(api, data).json()
    parts = numbered(data)
    send(api, created["id"], {1: parts[1]})
    late = sign(api, created["id"], {2: parts[2]}).json()["parts"][0]

    response = api.delete(f"/uploads/api/uploads/{created['id']}/")

    assert (response.status_code, response.json()) == (200, {})
    assert Upload.objects.get(pk=created["id"]).status == "deleted"
    assert unfinished(s3, created["key"]) == []
    assert put(late, parts[2]).status_code == 404  # NoSuchUpload: nothing arrives after a cancel


def test_a_deleted_upload_in_parts_takes_no_more_urls(api, s3):
    data = big_jpeg()
    created = create(api, data).json()
    api.delete(f"/uploads/api/uploads/{created['id']}/")

    response = sign(api, created["id"], {1: numbered(data)[1]})

    assert (response.status_code, response.json()) == (404, error("not_found", "No such upload."))


def test_parts_of_a_verified_upload_are_not_signed_any_more(api, s3):
    data = big_jpeg()
    created = create(api, data).json()
    send(api, created["id"], numbered(data))
    api.complete(created["id"])

    response = sign(api, created["id"], {1: numbered(data)[1]})

    assert (response.status_code, response.json()) == (
        409,
        error("not_pending", "This upload is finished; it takes no more data."),
    )


# Renewing a policy


def renew(api, upload_id):
    return api.post(f"/uploads/api/uploads/{upload_id}/renew/")


def test_an_expired_policy_is_renewed_for_the_same_key_type_size_and_digest(api, s3):
    data = image_bytes("image/png", 31, 17)
    created = api.post(
        "/uploads/api/uploads/",
        {"filename": "a.png", "content_type": "image/png", "size": len(data), "sha256": digest(data)},
    ).json()
    past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    expired = app_s3.presign_post(
        created["key"], content_type="image/png", size=len(data), expires=600, sha256=digest(data), now=past
    )
    Upload.objects.filter(pk=created["id"]).update(expires_at=past + datetime.timedelta(seconds=600))
    assert post_to_s3({"upload": expired}, data).status_code == 403  # S3 refuses an expired policy

    response = renew(api, created["id"])

    assert response.status_code == 200
    body = response.json()
    signed_anew = {"policy", "x-amz-date", "x-amz-signature"}
    assert body == {
        "id": created["id"],
        "status": "pending",
        "key": created["key"],
        "upload": {
            "url": created["upload"]["url"],
            "fields": {**created["upload"]["fields"], **{name: Matches(".+") for name in signed_anew}},
        },
        "expires_at": ISO_TIME,
        "max_size": 64 * MB,
    }
    conditions = json.loads(base64.b64decode(body["upload"]["fields"]["policy"]))["conditions"]
    assert {"key": created["key"]} in conditions
    assert ["content-length-range", len(data), len(data)] in conditions
    assert {"x-amz-checksum-sha256": digest(data)} in conditions
    assert Upload.objects.get(pk=created["id"]).expires_at > timezone.now() + datetime.timedelta(seconds=590)
    assert post_to_s3(body, bytes(len(data))).status_code == 400  # other bytes: BadDigest
    assert post_to_s3(body, data).status_code == 204
    assert api.complete(created["id"]).json()["status"] == "uploaded"


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        ("uploaded", 409, error("not_pending", "This upload is finished; it takes no more data.")),
        ("failed", 409, error("not_pending", "This upload is finished; it takes no more data.")),
        (
            "expired",
            410,
            error(
                "upload_expired",
                "This upload's permission expired before the file arrived; start the upload again.",
            ),
        ),
    ],
)
def test_only_a_pending_upload_is_renewed(api, s3, status, code, expected):
    created = api.create().json()
    Upload.objects.filter(pk=created["id"]).update(status=status)

    response = renew(api, created["id"])

    assert (response.status_code, response.json()) == (code, expected)


def test_an_upload_in_parts_is_not_renewed_but_its_parts_signed_again(api, s3):
    created = create(api, big_jpeg()).json()

    response = renew(api, created["id"])

    assert (response.status_code, response.json()) == (
        409,
        error(
            "sent_in_parts", "This upload is sent in parts; ask for the URLs of its missing parts instead."
        ),
    )


def test_nobody_else_renews_an_upload(api, s3, make_user):
    created = api.create().json()

    response = renew(ApiClient(make_user()), created["id"])

    assert (response.status_code, response.json()) == (404, error("not_found", "No such upload."))


def test_an_upload_whose_key_another_installation_made_is_never_signed_for_again(api, s3):
    created = api.create().json()
    foreign = keys.root("default", installation="someone-else") + created["key"].split("/", 2)[2]
    Upload.objects.filter(pk=created["id"]).update(key=foreign)

    response = renew(api, created["id"])

    assert response.status_code == 410


# Settings and checks


def ids():
    return [message.id for message in check_settings(None)]


@pytest.mark.parametrize(
    ("uploads", "expected"),
    [
        ({"MAX_SIZE": 6 * 2**30}, []),  # above 5 GB: files that large go in parts
        ({"MAX_SIZE": 160 * 2**30}, ["uploads.E004"]),  # more than 10,000 parts of 16 MB
        ({"MAX_SIZE": 160 * 2**30, "MULTIPART_PART_SIZE": 32 * MB}, []),
        ({"MAX_SIZE": 6 * 2**30, "MULTIPART_THRESHOLD": 6 * 2**30}, ["uploads.E057"]),  # one POST takes 5 GB
        ({"MULTIPART_THRESHOLD": 0}, ["uploads.E057"]),
        ({"MULTIPART_THRESHOLD": "100MB"}, ["uploads.E057"]),
        ({"MULTIPART_PART_SIZE": MB}, ["uploads.E058"]),
        ({"MULTIPART_PART_SIZE": 6 * 2**30}, ["uploads.E058"]),
        ({"MULTIPART_DEADLINE": 0}, ["uploads.E023"]),
        ({"PROFILES": {"poster": {"MAX_SIZE": 6 * 2**30}}}, []),
        ({"PROFILES": {"poster": {"MAX_SIZE": 160 * 2**30}}}, ["uploads.E030"]),
    ],
)
def test_multipart_settings_are_checked(settings, uploads, expected):
    settings.UPLOADS = uploads

    assert ids() == expected


def test_a_max_size_beyond_10000_parts_says_which_part_size_would_do(settings):
    settings.UPLOADS = {"MAX_SIZE": 200 * 2**30}

    [message] = check_settings(None)

    assert message.msg == (
        "UPLOADS['MAX_SIZE'] is 214748364800 bytes; S3 takes at most 10,000 parts, and 10,000 parts of "
        "MULTIPART_PART_SIZE (16777216 bytes) hold 167772160000 bytes."
    )
    assert message.hint == "Raise MULTIPART_PART_SIZE to 21474837 bytes or more, or lower MAX_SIZE."


def test_the_composite_checksum_is_the_digest_of_the_parts_digests_and_their_count():
    parts = [b"a" * 10, b"b" * 3]

    expected = base64.b64encode(
        hashlib.sha256(hashlib.sha256(parts[0]).digest() + hashlib.sha256(parts[1]).digest()).digest()
    )

    assert verify.composite_checksum([digest(part) for part in parts]) == f"{expected.decode()}-2"


def test_the_buckets_cors_rule_lets_a_browser_put_parts_with_their_checksum_header():
    rule = bucket.own_rule("shop", ["https://shop.example"])

    assert "PUT" in rule["AllowedMethods"]
    assert rule["AllowedHeaders"] == ["*"]  # x-amz-checksum-sha256 among them
    assert rule["ExposeHeaders"] == ["ETag"]


def test_under_require_checksum_an_upload_in_parts_needs_no_whole_file_digest(api, s3, settings):
    # S3 checks every part's digest instead; a browser cannot hash a 1 GB file whole.
    settings.UPLOADS = {**settings.UPLOADS, "REQUIRE_CHECKSUM": True}

    in_parts = api.create("big.jpg", "image/jpeg", 2 * PART)
    in_one_piece = api.create("small.jpg", "image/jpeg", MB)

    assert in_parts.status_code == 201 and in_parts.json()["multipart"]["part_count"] == 2
    assert in_one_piece.status_code == 400 and in_one_piece.json()["error"]["field"] == "sha256"
