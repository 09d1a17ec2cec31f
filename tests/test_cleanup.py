"""manage.py uploads_cleanup: settle abandoned uploads and delete what nobody needs, against real S3.

S3 cannot back-date an object, so tests make things old by running the clean-up "later"
(two hours from now, past the policy's ten minutes and the hour of grace) or with grace 0.
"""

import contextlib
import datetime
import io
import secrets

import pytest
from botocore.exceptions import EndpointConnectionError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.images import image_bytes
from uploads import cleanup, keys
from uploads import s3 as app_s3
from uploads.errors import StorageUnavailable
from uploads.models import Upload
from uploads.signals import upload_verified

pytestmark = pytest.mark.django_db

BUCKET = "test-uploads"
NOT_AN_IMAGE = b"<html><script>alert(1)</script></html>"


@pytest.fixture(autouse=True)
def prefix(settings, s3):
    """A key prefix of the test's own, so objects other tests left in the shared bucket stay out of the way."""
    settings.UPLOADS = {"KEY_PREFIX": "cleanup-" + secrets.token_hex(4)}
    return settings.UPLOADS["KEY_PREFIX"]


def later():
    return timezone.now() + datetime.timedelta(hours=2)


def run(**options):
    return [str(action) for action in cleanup.run(**options)]


def exists(s3, key):
    try:
        s3.head_object(Bucket=BUCKET, Key=key)
    except s3.exceptions.ClientError as error:
        if error.response["Error"]["Code"] in ("404", "NoSuchKey"):
            return False
        raise
    return True


def status(created):
    return Upload.objects.get(pk=created["id"]).status


def stored_key(created):
    """Where the upload's bytes are now: a verified upload sent without a digest was copied."""
    return Upload.objects.get(pk=created["id"]).key


def put_orphan(s3, prefix, name="lost.jpg"):
    key = keys.build_key(999, name, "image/jpeg")
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"left behind")
    return key


def expired_long_ago(created, when=None):
    when = when or (timezone.now() - datetime.timedelta(days=1)).replace(microsecond=0)
    Upload.objects.filter(pk=created["id"]).update(expires_at=when)
    return when


def finished(uploaded, status):
    created = uploaded()
    Upload.objects.filter(pk=created["id"]).update(status=status)
    return created


@contextlib.contextmanager
def s3_fails_after(operation, calls):
    """The app's ``operation`` requests reach S3 ``calls`` times, then fail as if S3 were unreachable."""
    seen = 0

    def maybe_fail(**kwargs):
        nonlocal seen
        seen += 1
        if seen > calls:
            raise EndpointConnectionError(endpoint_url="http://s3.invalid")

    events = app_s3.client().meta.events
    events.register(f"before-call.s3.{operation}", maybe_fail)
    try:
        yield
    finally:
        events.unregister(f"before-call.s3.{operation}", maybe_fail)


@pytest.fixture
def s3_calls(s3):
    """The parameters of every request the app sends to S3, as ``(operation, params)``."""
    seen = []

    def record(params, model, **kwargs):
        seen.append((model.name, params))

    events = app_s3.client().meta.events
    events.register("before-parameter-build.s3", record)
    yield seen
    events.unregister("before-parameter-build.s3", record)


# Abandoned pending uploads


def test_abandoned_upload_whose_file_arrived_is_verified_as_complete_would(
    s3, uploaded, django_capture_on_commit_callbacks
):
    created = uploaded("image/png", image_bytes("image/png", 31, 17))
    verified = []

    def receiver(instance, **kwargs):
        verified.append(instance.pk)

    upload_verified.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            actions = list(cleanup.run(now=later()))
    finally:
        upload_verified.disconnect(receiver)

    assert [(a.kind, a.key, a.outcome, a.detail) for a in actions] == [
        ("verify", created["key"], "uploaded", "31 × 17")
    ]
    row = Upload.objects.get(pk=created["id"])
    assert (row.status, row.width, row.height, row.verified_at is not None) == ("uploaded", 31, 17, True)
    assert verified == [row.pk]
    assert exists(s3, row.key)


def test_abandoned_upload_with_a_bad_file_fails_and_its_object_is_deleted(s3, uploaded):
    created = uploaded(data=NOT_AN_IMAGE)

    actions = list(cleanup.run(now=later()))

    row = Upload.objects.get(pk=created["id"])
    assert row.status == "failed"
    assert "JPEG" in row.failure_reason
    assert [(a.kind, a.key, a.outcome, a.detail) for a in actions] == [
        ("verify", created["key"], "failed", f"{row.failure_reason} Object deleted.")
    ]
    assert not exists(s3, created["key"])


def test_abandoned_upload_without_a_file_is_marked_expired(api, s3):
    created = api.create().json()

    actions = list(cleanup.run(now=later()))

    assert [(a.kind, a.key, a.outcome) for a in actions] == [("expire", created["key"], "")]
    assert status(created) == "expired"


def test_pending_uploads_are_left_alone_until_their_grace_period_is_over(api, s3, uploaded):
    signed_now = uploaded()
    expired_a_moment_ago = uploaded()
    expired_long_ago(expired_a_moment_ago, timezone.now() - datetime.timedelta(minutes=30))
    nothing_yet = api.create().json()

    assert run() == []

    for created in (signed_now, expired_a_moment_ago, nothing_yet):
        assert status(created) == "pending"
    assert exists(s3, signed_now["key"])
    assert exists(s3, expired_a_moment_ago["key"])


def test_abandoned_uploads_are_read_from_the_database_in_batches(api, s3, monkeypatch):
    monkeypatch.setattr(cleanup, "ROW_BATCH", 2)
    created = [api.create().json() for _ in range(5)]

    with CaptureQueriesContext(connection) as queries:
        actions = run(now=later())

    assert len(actions) == 5
    assert {status(c) for c in created} == {"expired"}
    batch_reads = [q["sql"] for q in queries.captured_queries if '"expires_at" <' in q["sql"]]
    assert len(batch_reads) == 4  # 2 + 2 + 1, then one that finds nothing
    assert all(sql.endswith("LIMIT 2") for sql in batch_reads)


# Objects in the bucket


def test_an_orphan_is_kept_for_the_grace_period_and_deleted_once_it_is_older(s3, prefix):
    orphan = put_orphan(s3, prefix)
    modified = s3.head_object(Bucket=BUCKET, Key=orphan)["LastModified"]
    grace = datetime.timedelta(minutes=30)

    at_the_grace = run(now=modified + grace, grace=grace)
    kept = exists(s3, orphan)
    a_second_later = run(now=modified + grace + datetime.timedelta(seconds=1), grace=grace)

    assert (at_the_grace, kept) == ([], True)
    assert a_second_later == [f"delete {orphan} (no upload, last modified {modified:%Y-%m-%dT%H:%M:%SZ})"]
    assert not exists(s3, orphan)


def test_orphans_are_kept_for_the_default_hour_of_grace(s3, prefix):
    young = put_orphan(s3, prefix)

    assert run() == []
    assert run(now=timezone.now() + datetime.timedelta(minutes=59)) == []

    assert exists(s3, young)


@pytest.mark.parametrize("finished_status", ["failed", "deleted", "expired"])
def test_objects_of_failed_deleted_and_expired_uploads_are_deleted_at_once(s3, uploaded, finished_status):
    created = finished(uploaded, finished_status)

    actions = run()  # no grace: a finished row never wants its object back

    assert actions == [f"delete {created['key']} (upload is {finished_status})"]
    assert not exists(s3, created["key"])
    assert status(created) == finished_status


def test_verified_uploads_and_objects_outside_the_prefix_are_never_touched(api, s3, uploaded, prefix):
    verified = uploaded()
    assert api.complete(verified["id"]).status_code == 200
    outside = [
        f"{prefix}-archive/old.jpg",
        f"{prefix}",
        f"elsewhere/{prefix}/old.jpg",
        f"{prefix.upper()}/old.jpg",
    ]
    for key in outside:
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"not ours")

    assert run(now=later() + datetime.timedelta(days=365), grace=datetime.timedelta(0)) == []

    assert status(verified) == "uploaded"
    assert exists(s3, stored_key(verified))
    assert all(exists(s3, key) for key in outside)


def test_the_bucket_is_listed_a_page_at_a_time_and_rows_looked_up_per_page(s3, prefix, s3_calls):
    orphans = sorted(put_orphan(s3, prefix) for _ in range(5))

    with CaptureQueriesContext(connection) as queries:
        actions = list(cleanup.sweep_bucket(later(), page_size=2))

    assert [action.key for action in actions] == orphans
    assert [(op, params.get("MaxKeys")) for op, params in s3_calls if op == "ListObjectsV2"] == [
        ("ListObjectsV2", 2),
        ("ListObjectsV2", 2),
        ("ListObjectsV2", 2),
    ]
    assert [len(params["Delete"]["Objects"]) for op, params in s3_calls if op == "DeleteObjects"] == [2, 2, 1]
    assert len(queries.captured_queries) == 3
    assert not any(exists(s3, key) for key in orphans)


# Runs: dry, repeated, interrupted


@pytest.fixture
def scene(api, s3, uploaded, prefix):
    """One of everything the clean-up acts on, plus a verified upload it must keep."""
    verified = uploaded()
    assert api.complete(verified["id"]).status_code == 200
    return {
        "verified": verified,
        "abandoned": uploaded(),
        "bad": uploaded(data=NOT_AN_IMAGE),
        "no_file": api.create().json(),
        "failed": finished(uploaded, "failed"),
        "orphan": put_orphan(s3, prefix),
    }


def state(s3, scene):
    """Every row's status and whether each object is still in S3."""
    rows = {name: status(created) for name, created in scene.items() if isinstance(created, dict)}
    where = {
        name: (stored_key(created) if isinstance(created, dict) else created)
        for name, created in scene.items()
    }
    return rows, {name: exists(s3, key) for name, key in where.items()}


SETTLED = (
    {
        "verified": "uploaded",
        "abandoned": "uploaded",
        "bad": "failed",
        "no_file": "expired",
        "failed": "failed",
    },
    {"verified": True, "abandoned": True, "bad": False, "no_file": False, "failed": False, "orphan": False},
)


def test_a_dry_run_changes_nothing_and_prints_what_a_real_run_then_does(s3, scene, caplog):
    for name in ("abandoned", "bad", "no_file"):
        expired_long_ago(scene[name])
    before = state(s3, scene)
    dry, real = io.StringIO(), io.StringIO()

    call_command("uploads_cleanup", "--dry-run", "--grace", "0", stdout=dry)
    assert state(s3, scene) == before
    call_command("uploads_cleanup", "--grace", "0", stdout=real)

    assert state(s3, scene) == SETTLED
    *dry_actions, dry_summary = dry.getvalue().splitlines()
    *real_actions, real_summary = real.getvalue().splitlines()
    assert sorted(line.split(" -> ")[0] for line in real_actions) == sorted(dry_actions)
    assert (
        dry_summary
        == "Done (dry run, nothing changed): would verify 2, expire 1, discard 0 unattached, delete 2 objects."
    )
    assert real_summary == "Done: 1 verified, 1 failed, 1 expired, 0 unattached discarded, 2 objects deleted."
    assert f"Clean-up: {real_summary}" in caplog.messages
    assert f"Clean-up dry run: {dry_summary}" in caplog.messages


def test_the_command_prints_one_line_per_action(s3, scene):
    expired = expired_long_ago(scene["no_file"])
    bad = Upload.objects.get(pk=scene["bad"]["id"])
    expired_long_ago(scene["bad"], expired)
    out = io.StringIO()

    # The default hour of grace: the young orphan and the upload signed just now must wait.
    call_command("uploads_cleanup", stdout=out)

    policy = f"still pending, policy expired {expired:%Y-%m-%dT%H:%M:%SZ}"
    lines = out.getvalue().splitlines()
    assert sorted(lines[:-1]) == sorted(
        [
            f"expire {scene['no_file']['key']} (upload {scene['no_file']['id']} {policy}, no file)",
            f"verify {bad.key} (upload {bad.pk} {policy}, file found) -> failed: "
            f"{Upload.objects.get(pk=bad.pk).failure_reason} Object deleted.",
            f"delete {scene['failed']['key']} (upload is failed)",
        ]
    )
    assert lines[-1] == "Done: 0 verified, 1 failed, 1 expired, 0 unattached discarded, 1 object deleted."


def test_grace_defaults_to_the_cleanup_grace_setting(s3, uploaded, settings):
    created = uploaded()
    expired_long_ago(created, timezone.now() - datetime.timedelta(hours=2))
    settings.UPLOADS = {**settings.UPLOADS, "CLEANUP_GRACE": 3 * 3600}

    call_command("uploads_cleanup", stdout=io.StringIO())
    assert status(created) == "pending"
    call_command("uploads_cleanup", "--grace", "3600", stdout=io.StringIO())
    assert status(created) == "uploaded"


def test_a_second_run_finds_nothing_to_do(s3, scene):
    run(now=later())

    assert run(now=later()) == []
    assert state(s3, scene) == SETTLED


def test_a_run_interrupted_while_deleting_objects_is_finished_by_the_next(s3, prefix, uploaded, api):
    verified = uploaded()
    assert api.complete(verified["id"]).status_code == 200
    orphans = sorted(put_orphan(s3, prefix) for _ in range(5))
    done = []

    with s3_fails_after("DeleteObjects", calls=1), pytest.raises(StorageUnavailable):
        done.extend(cleanup.run(now=later(), page_size=2))

    first_page = sorted([stored_key(verified), *orphans])[:2]
    deleted = [key for key in orphans if key in first_page]
    assert [action.key for action in done] == deleted
    assert [exists(s3, key) for key in orphans] == [key not in deleted for key in orphans]

    assert [action.key for action in cleanup.run(now=later(), page_size=2)] == orphans[len(deleted) :]
    assert run(now=later(), page_size=2) == []
    assert not any(exists(s3, key) for key in orphans)
    assert exists(s3, stored_key(verified))


def test_a_run_interrupted_while_verifying_leaves_the_upload_pending_until_the_next(s3, uploaded):
    bad = uploaded(data=NOT_AN_IMAGE)
    expired_long_ago(bad)
    out = io.StringIO()

    with s3_fails_after("DeleteObject", calls=0), pytest.raises(CommandError, match="Run again to finish"):
        call_command("uploads_cleanup", stdout=out)

    assert out.getvalue().splitlines() == [
        "Stopped part-way: 0 verified, 0 failed, 0 expired, 0 unattached discarded, 0 objects deleted."
    ]
    assert (status(bad), exists(s3, bad["key"])) == ("pending", True)

    assert [action.outcome for action in cleanup.run()] == ["failed"]
    assert (status(bad), exists(s3, bad["key"])) == ("failed", False)
    assert run() == []
