"""uploads_cleanup and DISCARD_UNATTACHED: verified uploads that nothing holds are deleted once
the profile's time is up; attached ones, and profiles without the setting, are never touched."""

import datetime
import secrets

import pytest
from django.core.management import call_command
from django.utils import timezone

from project.catalog.models import Product
from tests.test_cleanup import exists, run
from uploads import cleanup
from uploads import s3 as app_s3
from uploads.models import Upload

pytestmark = pytest.mark.django_db

DAY = 24 * 3600


@pytest.fixture(autouse=True)
def profiles(settings, s3):
    prefix = "unattached-" + secrets.token_hex(4)
    settings.UPLOADS = {
        "KEY_PREFIX": prefix,
        "PROFILES": {
            "product_image": {"DISCARD_UNATTACHED": DAY, "KEY_PREFIX": f"{prefix}/products"},
            "avatar": {"KEY_PREFIX": f"{prefix}/avatars"},
        },
    }


@pytest.fixture
def verified(api, s3):
    """An upload of ``profile`` verified ``age`` ago, its object in S3."""
    from tests.conftest import post_to_s3
    from tests.images import image_bytes

    def make(profile="product_image", age=datetime.timedelta(days=2)):
        data = image_bytes("image/jpeg", 64, 48)
        created = api.post(
            "/uploads/api/uploads/",
            {"filename": "shoe.jpg", "content_type": "image/jpeg", "size": len(data), "profile": profile},
        ).json()
        post_to_s3(created, data)
        assert api.complete(created["id"]).json()["status"] == "uploaded"
        Upload.objects.filter(pk=created["id"]).update(verified_at=timezone.now() - age)
        return Upload.objects.get(pk=created["id"])

    return make


def test_an_unattached_upload_is_discarded_once_its_time_is_up(verified, s3):
    upload = verified()

    actions = run()

    assert actions == [
        f"discard {upload.key} (upload {upload.pk} verified "
        f"{upload.verified_at:%Y-%m-%dT%H:%M:%SZ}, attached to nothing)",
        f"delete {upload.key} (upload is deleted)",
    ]
    upload.refresh_from_db()
    assert upload.status == "deleted"
    assert not exists(s3, upload.key)


def test_an_attached_upload_is_kept(verified, seller, s3):
    upload = verified()
    product = Product.objects.create(seller=seller, title="Boot", price=1)
    Product._meta.get_field("images").save_form_data(product, [upload])

    assert run() == []
    upload.refresh_from_db()
    assert upload.status == "uploaded"
    assert exists(s3, upload.key)


def test_a_recent_upload_is_kept_for_the_form_still_open(verified, s3):
    upload = verified(age=datetime.timedelta(hours=23))

    assert run() == []
    assert exists(s3, upload.key)


def test_profiles_without_the_setting_keep_their_uploads(verified, s3):
    avatar = verified(profile="avatar", age=datetime.timedelta(days=400))

    assert run() == []
    assert exists(s3, avatar.key)


def test_images_of_a_deleted_product_are_discarded_by_the_next_run(verified, seller, s3):
    upload = verified()
    product = Product.objects.create(seller=seller, title="Boot", price=1)
    Product._meta.get_field("images").save_form_data(product, [upload])
    assert run() == []

    product.delete()

    assert [action.split()[0] for action in run()] == ["discard", "delete"]
    assert not exists(s3, upload.key)


def test_a_dry_run_names_them_and_changes_nothing(verified, s3, capsys):
    upload = verified()

    call_command("uploads_cleanup", "--dry-run")

    out = capsys.readouterr().out
    assert f"discard {upload.key}" in out
    assert "would verify 0, expire 0, discard 1 unattached, delete 0 objects." in out  # deleted next run
    assert Upload.objects.get(pk=upload.pk).status == "uploaded"
    assert exists(s3, upload.key)


def test_discarding_marks_rows_without_asking_s3_so_one_s3_error_cannot_stop_it(verified, s3):
    uploads = [verified() for _ in range(3)]
    requests = []

    def record(model, **kwargs):
        requests.append(model.name)

    events = app_s3.client().meta.events
    events.register("before-call.s3", record)
    try:
        actions = list(cleanup.discard_unattached(timezone.now()))
    finally:
        events.unregister("before-call.s3", record)

    assert len(actions) == 3
    assert requests == []
    assert {Upload.objects.get(pk=u.pk).status for u in uploads} == {"deleted"}
