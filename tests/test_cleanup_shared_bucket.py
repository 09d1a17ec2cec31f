"""A bucket the app shares: the clean-up deletes only what this installation can prove it made.

The bucket holds the project's own media under the app's prefix, a second installation's uploads
in exactly the app's key shape, objects outside the prefix, and this installation's real orphans
and leftovers. Only the last are deleted, in a dry run and for real; the rest are reported.
"""

import io
import secrets
import uuid

import pytest
from django.core.management import call_command

from uploads import keys
from uploads.models import Upload

pytestmark = pytest.mark.django_db

BUCKET = "test-uploads"


@pytest.fixture
def prefix(settings, s3):
    settings.UPLOADS = {"KEY_PREFIX": "shared-" + secrets.token_hex(4)}
    return settings.UPLOADS["KEY_PREFIX"]


def put(s3, key, body=b"bytes"):
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    return key


def exists(s3, key):
    return s3.list_objects_v2(Bucket=BUCKET, Prefix=key).get("KeyCount", 0) == 1


def our_key(name="photo.jpg", user_id=7, location=""):
    return keys.build_key(user_id, name, "image/jpeg", token=uuid.uuid4(), location=location)


def row(seller, key, status, expires_at="2099-01-01T00:00:00Z"):
    return Upload.objects.create(
        owner=seller,
        key=key,
        filename="photo.jpg",
        content_type="image/jpeg",
        size=5,
        status=status,
        expires_at=expires_at,
    )


@pytest.fixture
def shared_bucket(s3, prefix, seller, settings):
    """Everything a shared bucket holds, by who made it."""
    installation = keys.installation_id()
    settings.UPLOADS = {**settings.UPLOADS, "INSTALLATION_ID": "staging-copy"}
    second = [put(s3, our_key("live.jpg")), put(s3, our_key("attached.jpg", user_id=8))]
    settings.UPLOADS = {**settings.UPLOADS, "INSTALLATION_ID": None}
    assert keys.installation_id() == installation

    project = [
        put(s3, f"{prefix}/2025/contract.pdf"),  # default_storage.save("uploads/2025/contract.pdf", …)
        put(s3, f"{prefix}/7/{uuid.uuid4().hex}/photo.jpg"),  # the key shape of old, id-less versions
        put(s3, f"{prefix}/{installation}/notes.txt"),  # under our root, not in our shape
        put(s3, f"{prefix}/{installation}/7/{uuid.uuid4().hex}/photo.html"),
    ]
    outside = [
        put(s3, f"media/{prefix}/photo.jpg"),
        put(s3, f"{prefix}-other/{installation}/7/{'a' * 32}/x.jpg"),
    ]

    orphan = put(s3, our_key("orphan.jpg"))
    orphan_copy = put(s3, keys.verified_key(our_key("copied.jpg")))
    leftovers = [
        put(s3, row(seller, our_key(f"{status}.jpg"), status).key)
        for status in ("deleted", "failed", "expired")
    ]
    kept_ours = [
        put(s3, row(seller, our_key(f"{status}.jpg"), status).key) for status in ("uploaded", "pending")
    ]
    return {
        "doomed": {orphan, orphan_copy, *leftovers},
        "not ours": {*second, *project},
        "outside": set(outside),
        "kept ours": set(kept_ours),
    }


def cleanup(*args):
    out = io.StringIO()
    call_command("uploads_cleanup", "--grace", "0", *args, stdout=out)
    return out.getvalue().splitlines()


def keys_of(lines, verb):
    return {line.split(" ")[1] for line in lines if line.startswith(verb + " ")}


def test_a_dry_run_lists_only_this_installations_orphans_and_leftovers_and_changes_nothing(s3, shared_bucket):
    lines = cleanup("--dry-run", "-v", "2")

    assert keys_of(lines, "delete") == shared_bucket["doomed"]
    assert keys_of(lines, "keep") == shared_bucket["not ours"]
    assert lines[-1].endswith(
        "delete 5 objects. Kept 6 objects that this installation cannot prove it made "
        "(the project's own files, another installation's, or older keys); -v 2 lists them."
    )
    assert all(exists(s3, key) for group in shared_bucket.values() for key in group)


def test_a_real_run_deletes_only_this_installations_orphans_and_leftovers(s3, shared_bucket):
    lines = cleanup()

    assert keys_of(lines, "delete") == shared_bucket["doomed"]
    assert keys_of(lines, "keep") == set()  # listed with -v 2 only; counted in the summary
    assert "Kept 6 objects that this installation cannot prove it made" in lines[-1]
    assert not any(exists(s3, key) for key in shared_bucket["doomed"])
    for group in ("not ours", "outside", "kept ours"):
        assert all(exists(s3, key) for key in shared_bucket[group]), group


def test_keys_made_under_a_rotated_secret_still_count_as_ours(s3, prefix, settings):
    orphan = put(s3, our_key("before-rotation.jpg"))
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-" + secrets.token_hex(16)

    assert keys_of(cleanup(), "delete") == {orphan}


def test_keys_follow_the_storages_location_and_the_clean_up_honours_it(s3, prefix, settings, api):
    settings.AWS_LOCATION = "site-a"
    created = api.create().json()
    assert created["key"].startswith(f"site-a/{prefix}/{keys.installation_id()}/")
    ours = put(s3, created["key"])
    Upload.objects.filter(pk=created["id"]).update(status="deleted")
    unlocated = put(s3, our_key("no-location.jpg"))  # this installation's shape, but not under the location

    assert keys_of(cleanup(), "delete") == {ours}
    assert exists(s3, unlocated)


def test_a_pending_row_whose_key_another_installation_made_is_neither_verified_nor_deleted(
    s3, prefix, seller
):
    foreign = put(s3, f"{prefix}/somebody-else/7/{uuid.uuid4().hex}/photo.jpg", b"<html>not an image</html>")
    pending = row(seller, foreign, "pending", expires_at="2020-01-01T00:00:00Z")

    lines = cleanup("-v", "2")

    assert (
        f"keep {foreign} (upload {pending.pk} still pending, its key not made by this installation)" in lines
    )
    assert Upload.objects.get(pk=pending.pk).status == "pending"
    assert exists(s3, foreign)


def test_deleting_an_upload_whose_key_this_installation_did_not_make_keeps_the_object(
    s3, prefix, seller, api
):
    foreign = put(s3, f"{prefix}/7/{uuid.uuid4().hex}/photo.jpg")
    upload = row(seller, foreign, "uploaded")

    assert api.delete(f"/uploads/api/uploads/{upload.pk}/").status_code == 200

    assert Upload.objects.get(pk=upload.pk).status == "deleted"
    assert exists(s3, foreign)
