"""manage.py uploads_cleanup and uploads in parts: abandoned ones are completed or expired, the
multipart uploads nothing is sending any more are aborted, never another installation's. Against
the suite's SeaweedFS; "later" is two hours from now, past the policy's ten minutes and the grace.
"""

import datetime
import io
import secrets
import uuid

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.test_multipart import big_jpeg, create, numbered, send, sign, unfinished
from uploads import cleanup, keys
from uploads import s3 as app_s3
from uploads.models import Upload

pytestmark = pytest.mark.django_db

BUCKET = "test-uploads"
MB = 2**20


@pytest.fixture(autouse=True)
def big_files(settings, s3):
    settings.UPLOADS = {
        "MAX_SIZE": 64 * MB,
        "MULTIPART_THRESHOLD": MB,
        "MULTIPART_PART_SIZE": 5 * MB,
        "KEY_PREFIX": "mp-cleanup-" + secrets.token_hex(4),
    }


def later():
    return timezone.now() + datetime.timedelta(hours=2)


def run(**options):
    return [str(action) for action in cleanup.run(**options)]


def status(created):
    return Upload.objects.get(pk=created["id"]).status


def started_by_hand(s3, key):
    """A multipart upload the app's S3 client never started: a crash between S3 and the database."""
    return s3.create_multipart_upload(Bucket=BUCKET, Key=key, ChecksumAlgorithm="SHA256")["UploadId"]


def test_an_upload_in_parts_still_being_sent_is_left_alone(api, s3):
    data = big_jpeg()
    created = create(api, data).json()
    send(api, created["id"], {1: numbered(data)[1]})

    assert run() == []

    assert status(created) == "pending"
    assert len(unfinished(s3, created["key"])) == 1


def test_an_abandoned_upload_with_parts_missing_is_expired_and_its_multipart_upload_aborted(api, s3):
    data = big_jpeg()
    created = create(api, data).json()
    send(api, created["id"], {1: numbered(data)[1]})
    expires_at = Upload.objects.get(pk=created["id"]).expires_at

    actions = run(now=later())

    assert actions == [
        f"expire {created['key']} (upload {created['id']} still pending, policy expired "
        f"{expires_at:%Y-%m-%dT%H:%M:%SZ}, parts missing)"
    ]
    assert status(created) == "expired"
    assert unfinished(s3, created["key"]) == []


def test_an_abandoned_upload_whose_parts_all_arrived_is_completed_and_verified(api, s3):
    data = big_jpeg()
    created = create(api, data).json()
    send(api, created["id"], numbered(data))

    [action] = cleanup.run(now=later())

    assert (action.kind, action.outcome, action.detail) == ("verify", "uploaded", "640 × 480")
    assert status(created) == "uploaded"
    assert s3.get_object(Bucket=BUCKET, Key=created["key"])["Body"].read() == data


def test_the_multipart_upload_of_a_deleted_upload_is_aborted_at_once(api, s3):
    created = create(api, big_jpeg()).json()
    Upload.objects.filter(pk=created["id"]).update(status="deleted")  # as if S3 failed at the cancel

    assert run() == [f"abort {created['key']} (unfinished multipart upload, upload is deleted)"]
    assert unfinished(s3, created["key"]) == []


def test_a_multipart_upload_without_an_upload_is_aborted_once_past_the_grace(s3, seller):
    key = keys.build_key(seller.pk, "lost.jpg", "image/jpeg")
    started_by_hand(s3, key)

    assert run() == []  # it may be a create whose row is being saved right now
    [line] = run(now=later())

    assert line.startswith(f"abort {key} (unfinished multipart upload, no upload, started ")
    assert unfinished(s3, key) == []


def test_unfinished_multipart_uploads_are_listed_a_page_at_a_time(s3, seller):
    started = sorted(keys.build_key(seller.pk, f"lost-{n}.jpg", "image/jpeg") for n in range(3))
    for key in started:
        started_by_hand(s3, key)
    listings = []

    def record(params, **kwargs):
        listings.append(params["MaxUploads"])

    events = app_s3.client().meta.events
    events.register("before-parameter-build.s3.ListMultipartUploads", record)
    try:
        actions = list(cleanup.abort_unfinished(later(), page_size=2))
    finally:
        events.unregister("before-parameter-build.s3.ListMultipartUploads", record)

    assert listings == [2, 2]

    # S3 lists them in key order, SeaweedFS by upload id: either way each page is looked at once.
    assert sorted((action.kind, action.key) for action in actions) == [("abort", key) for key in started]
    assert [unfinished(s3, key) for key in started] == [[], [], []]


def test_another_installations_multipart_upload_is_reported_and_kept(s3, settings):
    key = f"{keys.root('default', installation='someone-else')}7/{uuid.uuid4().hex}/poster.jpg"
    started_by_hand(s3, key)

    actions = run(now=later())

    assert actions == [f"keep {key} (unfinished multipart upload not made by this installation)"]
    assert len(unfinished(s3, key)) == 1


def test_the_command_says_how_many_it_aborted_and_a_dry_run_aborts_none(api, s3):
    created = create(api, big_jpeg()).json()
    Upload.objects.filter(pk=created["id"]).update(status="deleted")
    dry, real = io.StringIO(), io.StringIO()

    call_command("uploads_cleanup", "--dry-run", stdout=dry)
    assert len(unfinished(s3, created["key"])) == 1
    call_command("uploads_cleanup", stdout=real)

    assert dry.getvalue().splitlines()[-1] == (
        "Done (dry run, nothing changed): would verify 0, expire 0, discard 0 unattached, delete 0 objects. "
        "Would abort 1 unfinished multipart upload."
    )
    assert real.getvalue().splitlines()[-1] == (
        "Done: 0 verified, 0 failed, 0 expired, 0 unattached discarded, 0 objects deleted. "
        "Aborted 1 unfinished multipart upload."
    )
    assert unfinished(s3, created["key"]) == []


def test_a_dry_run_says_whether_an_abandoned_upload_in_parts_would_be_completed(api, s3):
    data = big_jpeg()
    whole, partial = create(api, data).json(), create(api, data, filename="half.jpg").json()
    send(api, whole["id"], numbered(data))
    send(api, partial["id"], {1: numbered(data)[1]})

    actions = {action.key: action for action in cleanup.run(now=later(), dry_run=True)}

    assert actions[whole["key"]].kind == "verify"
    assert actions[whole["key"]].reason.endswith("all parts found")
    assert actions[partial["key"]].kind == "expire"
    assert actions[partial["key"]].reason.endswith("parts missing")
    assert (status(whole), status(partial)) == ("pending", "pending")


def test_an_upload_given_new_urls_after_the_cleanup_listed_it_is_left_pending(api, s3):
    data = big_jpeg()
    first, second = create(api, data).json(), create(api, data, filename="second.jpg").json()
    expired = timezone.now() - datetime.timedelta(days=1)
    Upload.objects.filter(pk__in=[first["id"], second["id"]]).update(expires_at=expired)
    settling = cleanup.settle_abandoned(timezone.now() - datetime.timedelta(hours=1))

    done = next(settling)  # both rows were read; one is settled
    resumed = second if done.key == first["key"] else first
    assert sign(api, resumed["id"], {1: numbered(data)[1]}).status_code == 200

    assert list(settling) == []
    assert status(resumed) == "pending"
    assert len(unfinished(s3, resumed["key"])) == 1


def test_a_policy_renewed_after_the_cleanup_listed_it_is_left_pending(api, s3):
    first, second = api.create().json(), api.create().json()
    expired = timezone.now() - datetime.timedelta(days=1)
    Upload.objects.filter(pk__in=[first["id"], second["id"]]).update(expires_at=expired)
    settling = cleanup.settle_abandoned(timezone.now() - datetime.timedelta(hours=1))

    done = next(settling)
    renewed = second if done.key == first["key"] else first
    assert api.post(f"/uploads/api/uploads/{renewed['id']}/renew/").status_code == 200

    assert list(settling) == []
    assert status(renewed) == "pending"
