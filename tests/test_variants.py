"""Variants: made after verification by a task, stored under keys derived from the bytes and the
spec, shared by equal sources, retried on S3 faults, asked for again when lost, deleted with their
source. Against the suite's SeaweedFS; the Tasks backend records (dummy) or runs at once."""

import base64
import datetime
import hashlib

import pytest
from django.utils import timezone

from tests.conftest import ApiClient, post_to_s3
from tests.images import image_bytes
from uploads import cleanup, rendering, services, tasks, variants
from uploads.errors import StorageUnavailable
from uploads.models import Upload, Variant

pytestmark = pytest.mark.django_db

VARIANTS = {
    "thumb": {"size": 32},
    "card": {"size": 96, "format": "jpeg", "quality": 70},
    "square": {"size": 40, "fit": "crop"},
}


@pytest.fixture(autouse=True)
def three_variants(settings):
    settings.UPLOADS = {"VARIANTS": VARIANTS, "TASK_RETRY_DELAY": 3}


def backend():
    from django.conf import settings

    module = __import__(f"{settings.TASKS_PACKAGE}", fromlist=["task_backends"])
    return module.task_backends["default"]


def digest(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def complete(api, s3, data, *, with_digest=True, capture):
    created = api.post(
        "/uploads/api/uploads/",
        {
            "filename": "photo.jpg",
            "content_type": "image/jpeg",
            "size": len(data),
            **({"sha256": digest(data)} if with_digest else {}),
        },
    ).json()
    assert post_to_s3(created, data).status_code == 204
    with capture(execute=True):
        reply = api.complete(created["id"])
    assert reply.status_code == 200, reply.content
    return reply.json()


def stored(s3, key):
    return s3.get_object(Bucket="test-uploads", Key=key)


def test_complete_enqueues_the_variants_and_does_not_wait_for_them(
    api, s3, django_capture_on_commit_callbacks
):
    reply = complete(api, s3, image_bytes("image/jpeg", 200, 150), capture=django_capture_on_commit_callbacks)

    assert reply["variants"] == {}  # the dummy backend ran nothing: complete answered first
    enqueued = backend().results
    assert [(result.task.name, result.args) for result in enqueued] == [("make_variants", [reply["id"], 1])]
    assert Upload.objects.get(pk=reply["id"]).variants_due > timezone.now()


def test_the_task_stores_each_variant_under_a_key_of_the_bytes_and_the_spec(
    api, s3, run_tasks, django_capture_on_commit_callbacks
):
    data = image_bytes("image/jpeg", 200, 150)

    reply = complete(api, s3, data, capture=django_capture_on_commit_callbacks)

    assert set(reply["variants"]) == set()  # the reply was built before the on-commit task ran
    detail = api.get(f"/uploads/api/uploads/{reply['id']}/").json()
    assert {name: (v["width"], v["height"]) for name, v in detail["variants"].items()} == {
        "thumb": (32, 24),
        "card": (96, 72),
        "square": (40, 40),
    }
    specs = variants.specs("default")
    for name, made in Upload.objects.get(pk=reply["id"]).made_variants.items():
        assert made.key == variants.key(digest(data), specs[name])
        assert made.key.endswith(
            f"/variants/{hashlib.sha256(data).hexdigest()}/{specs[name].fingerprint()}{specs[name].extension}"
        )
        obj = stored(s3, made.key)
        assert (obj["ContentType"], obj["ContentLength"]) == (made.content_type, made.size)
    assert Upload.objects.get(pk=reply["id"]).variants_due is None


def test_a_variant_url_serves_the_variant_with_its_own_type(
    api, s3, run_tasks, django_capture_on_commit_callbacks
):
    import requests

    reply = complete(api, s3, image_bytes("image/jpeg", 200, 150), capture=django_capture_on_commit_callbacks)
    card = api.get(f"/uploads/api/uploads/{reply['id']}/").json()["variants"]["card"]

    served = requests.get(card["url"], timeout=10)

    assert (served.status_code, served.headers["Content-Type"]) == (200, "image/jpeg")
    assert served.content[:3] == b"\xff\xd8\xff" and len(served.content) == card["size"]


def test_an_upload_sent_without_a_digest_gets_its_digest_from_the_verified_copy(
    api, s3, run_tasks, django_capture_on_commit_callbacks
):
    data = image_bytes("image/jpeg", 120, 80)

    reply = complete(api, s3, data, with_digest=False, capture=django_capture_on_commit_callbacks)

    row = Upload.objects.get(pk=reply["id"])
    assert row.sha256 == digest(data)
    assert set(row.made_variants) == {"thumb", "card", "square"}


def test_equal_bytes_uploaded_twice_share_one_set_of_variants(
    api, s3, make_user, run_tasks, django_capture_on_commit_callbacks
):
    data = image_bytes("image/jpeg", 200, 150)
    first = complete(api, s3, data, capture=django_capture_on_commit_callbacks)
    other = ApiClient(make_user())

    second = complete(other, s3, data, capture=django_capture_on_commit_callbacks)

    assert Variant.objects.count() == 3
    assert (
        Upload.objects.get(pk=first["id"]).made_variants == Upload.objects.get(pk=second["id"]).made_variants
    )


def test_running_the_task_again_reads_and_writes_nothing(
    api, s3, run_tasks, monkeypatch, django_capture_on_commit_callbacks
):
    reply = complete(api, s3, image_bytes("image/jpeg", 200, 150), capture=django_capture_on_commit_callbacks)
    calls = []
    monkeypatch.setattr(rendering.s3, "read_all", lambda *a, **k: calls.append("read"))
    monkeypatch.setattr(rendering.s3, "put", lambda *a, **k: calls.append("put"))

    assert tasks.make_variants.call(reply["id"]) == rendering.DONE

    assert calls == [] and Variant.objects.count() == 3


def test_a_spec_added_later_is_made_alone(
    api, s3, settings, run_tasks, monkeypatch, django_capture_on_commit_callbacks
):
    reply = complete(api, s3, image_bytes("image/jpeg", 200, 150), capture=django_capture_on_commit_callbacks)
    settings.UPLOADS = {"VARIANTS": {**VARIANTS, "tiny": {"size": 8}}}
    puts = []
    real_put = rendering.s3.put
    monkeypatch.setattr(
        rendering.s3, "put", lambda key, data, **k: (puts.append(key), real_put(key, data, **k))
    )

    tasks.make_variants.call(reply["id"])

    assert [key.rsplit("/", 1)[-1] for key in puts] == [
        variants.specs("default")["tiny"].fingerprint() + ".webp"
    ]


def test_an_s3_fault_is_tried_again_later_with_a_doubling_wait(
    api, s3, settings, monkeypatch, django_capture_on_commit_callbacks
):
    reply = complete(api, s3, image_bytes("image/jpeg", 200, 150), capture=django_capture_on_commit_callbacks)
    backend().clear()
    monkeypatch.setattr(rendering.s3, "read_all", lambda *a, **k: (_ for _ in ()).throw(StorageUnavailable()))

    first = timezone.now()
    assert tasks.make_variants.call(reply["id"]) == "retrying"
    tasks.make_variants.call(reply["id"], 2)

    retries = backend().results
    assert [result.args for result in retries] == [[reply["id"], 2], [reply["id"], 3]]
    waits = [(result.task.run_after - first).total_seconds() for result in retries]
    assert 3 <= waits[0] < 4 and 6 <= waits[1] < 7  # TASK_RETRY_DELAY, then twice that


def test_after_the_last_attempt_the_task_stops_and_the_due_time_asks_again(
    api, s3, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.UPLOADS = {"VARIANTS": VARIANTS, "TASK_ATTEMPTS": 2}
    reply = complete(api, s3, image_bytes("image/jpeg", 200, 150), capture=django_capture_on_commit_callbacks)
    backend().clear()
    monkeypatch.setattr(rendering.s3, "read_all", lambda *a, **k: (_ for _ in ()).throw(StorageUnavailable()))

    assert tasks.make_variants.call(reply["id"], 2) == "retry later"

    assert backend().results == []
    assert Upload.objects.get(pk=reply["id"]).variants_due is not None


def test_a_backend_that_runs_at_once_waits_between_attempts(
    api, s3, run_tasks, monkeypatch, django_capture_on_commit_callbacks
):
    reply = complete(api, s3, image_bytes("image/jpeg", 200, 150), capture=django_capture_on_commit_callbacks)
    Variant.objects.all().delete()
    failures = iter([StorageUnavailable(), StorageUnavailable()])
    real_read = rendering.s3.read_all

    def flaky_read(*args, **kwargs):
        failure = next(failures, None)
        if failure:
            raise failure
        return real_read(*args, **kwargs)

    waits = []
    monkeypatch.setattr(rendering.s3, "read_all", flaky_read)
    monkeypatch.setattr(tasks.time, "sleep", waits.append)

    tasks.make_variants.call(reply["id"])

    assert waits == [3, 6]
    assert Variant.objects.count() == 3


def test_a_lost_task_is_asked_for_again_once_its_due_time_has_passed(
    api, s3, django_capture_on_commit_callbacks
):
    reply = complete(api, s3, image_bytes("image/jpeg", 200, 150), capture=django_capture_on_commit_callbacks)
    backend().clear()
    row = Upload.objects.get(pk=reply["id"])
    later = row.variants_due + datetime.timedelta(seconds=1)

    assert services.ask_again([row], now=row.variants_due - datetime.timedelta(seconds=1)) == []
    assert services.ask_again([Upload.objects.get(pk=row.pk)], now=later) == [row]
    assert services.ask_again([Upload.objects.get(pk=row.pk)], now=later) == []  # claimed: asked once

    assert [result.args for result in backend().results] == [[reply["id"], 1]]
    assert Upload.objects.get(pk=row.pk).variants_due == later + datetime.timedelta(seconds=600)


def test_reading_an_upload_whose_task_was_lost_asks_for_it_again(api, s3, django_capture_on_commit_callbacks):
    reply = complete(api, s3, image_bytes("image/jpeg", 200, 150), capture=django_capture_on_commit_callbacks)
    backend().clear()
    Upload.objects.filter(pk=reply["id"]).update(variants_due=timezone.now() - datetime.timedelta(seconds=1))

    with django_capture_on_commit_callbacks(execute=True):
        api.get(f"/uploads/api/uploads/{reply['id']}/")
        api.get("/uploads/api/uploads/")

    assert [result.args for result in backend().results] == [[reply["id"], 1]]


def test_the_cleanup_asks_again_for_lost_tasks(api, s3, django_capture_on_commit_callbacks):
    reply = complete(api, s3, image_bytes("image/jpeg", 200, 150), capture=django_capture_on_commit_callbacks)
    backend().clear()
    due = Upload.objects.get(pk=reply["id"]).variants_due

    actions = [a for a in cleanup.run(now=due + datetime.timedelta(seconds=1)) if a.kind == cleanup.ASK_AGAIN]

    assert [a.key for a in actions] == [Upload.objects.get(pk=reply["id"]).key]
    assert [result.args for result in backend().results] == [[reply["id"], 1]]


def test_deleting_an_upload_deletes_its_variants_unless_someone_else_has_the_bytes(
    api, s3, make_user, run_tasks, django_capture_on_commit_callbacks
):
    data = image_bytes("image/jpeg", 200, 150)
    first = complete(api, s3, data, capture=django_capture_on_commit_callbacks)
    other = ApiClient(make_user())
    second = complete(other, s3, data, capture=django_capture_on_commit_callbacks)
    keys = list(Variant.objects.values_list("key", flat=True))

    assert api.delete(f"/uploads/api/uploads/{first['id']}/").status_code == 200
    assert Variant.objects.count() == 3 and all(stored(s3, key) for key in keys)

    assert other.delete(f"/uploads/api/uploads/{second['id']}/").status_code == 200
    assert Variant.objects.count() == 0
    for key in keys:
        assert s3.list_objects_v2(Bucket="test-uploads", Prefix=key)["KeyCount"] == 0


def test_the_cleanup_releases_variants_whose_source_is_gone_and_deletes_unrecorded_variant_objects(
    api, s3, run_tasks, django_capture_on_commit_callbacks
):
    reply = complete(api, s3, image_bytes("image/jpeg", 200, 150), capture=django_capture_on_commit_callbacks)
    keys = set(Variant.objects.values_list("key", flat=True))
    Upload.objects.filter(pk=reply["id"]).update(status="deleted")  # e.g. the S3 delete failed before
    stray = variants.key(digest(b"other bytes"), variants.specs("default")["thumb"])
    s3.put_object(Bucket="test-uploads", Key=stray, Body=b"x")

    actions = list(cleanup.run(now=timezone.now() + datetime.timedelta(days=1), grace=datetime.timedelta(0)))

    assert {a.key for a in actions if a.kind == cleanup.RELEASE} == keys
    assert stray in {a.key for a in actions if a.kind == cleanup.DELETE}
    assert Variant.objects.count() == 0
    assert s3.list_objects_v2(Bucket="test-uploads", Prefix=stray)["KeyCount"] == 0


def test_a_variant_of_another_installation_is_never_deleted(s3, settings):
    foreign = variants.key(digest(b"theirs"), variants.specs("default")["thumb"]).replace(
        variants.keys.installation_id(), "another-installation"
    )
    s3.put_object(Bucket="test-uploads", Key=foreign, Body=b"x")

    actions = list(cleanup.run(now=timezone.now() + datetime.timedelta(days=1), grace=datetime.timedelta(0)))

    assert (cleanup.KEEP, foreign) in {(a.kind, a.key) for a in actions}
    assert s3.list_objects_v2(Bucket="test-uploads", Prefix=foreign)["KeyCount"] == 1


def test_deleting_in_the_admin_deletes_the_variants_too(
    api, s3, make_user, run_tasks, django_capture_on_commit_callbacks
):
    from django.test import Client

    reply = complete(api, s3, image_bytes("image/jpeg", 200, 150), capture=django_capture_on_commit_callbacks)
    keys = list(Variant.objects.values_list("key", flat=True))
    staff = Client()
    staff.force_login(make_user(is_staff=True, is_superuser=True))

    with django_capture_on_commit_callbacks(execute=True):
        staff.post(
            "/admin/uploads/upload/?state=all",
            {"action": "delete_selected", "_selected_action": [reply["id"]], "post": "yes"},
        )

    assert not Upload.objects.exists() and not Variant.objects.exists()
    assert all(s3.list_objects_v2(Bucket="test-uploads", Prefix=key)["KeyCount"] == 0 for key in keys)


@pytest.fixture
def reviewed(settings):
    settings.UPLOADS = {"VARIANTS": VARIANTS, "REVIEW": "before_publish"}


def test_the_same_file_rejected_before_is_rejected_again_whoever_uploads_it(
    api, s3, make_user, reviewed, django_capture_on_commit_callbacks
):
    data = image_bytes("image/jpeg", 200, 150)
    first = complete(api, s3, data, capture=django_capture_on_commit_callbacks)
    services.decide(first["id"], make_user(is_staff=True), "rejected", reason="rights", note="A stock photo.")

    again = complete(ApiClient(make_user()), s3, data, capture=django_capture_on_commit_callbacks)

    row = Upload.objects.get(pk=again["id"])
    (decision,) = row.decisions.all()
    assert (row.review, decision.reviewer, decision.reason, decision.note) == (
        "rejected",
        None,
        "rights",
        "A stock photo.",
    )


def test_an_approval_follows_the_same_file_only_for_the_same_seller(
    api, s3, seller, make_user, reviewed, django_capture_on_commit_callbacks
):
    from project.catalog.models import Product

    data = image_bytes("image/jpeg", 200, 150)
    first = complete(api, s3, data, capture=django_capture_on_commit_callbacks)
    services.decide(first["id"], make_user(is_staff=True), "approved")
    # On a product, so the same file is not offered back as a duplicate but uploaded again.
    Product.objects.create(seller=seller, title="Boot", price=1).images.set([first["id"]])

    by_another = complete(ApiClient(make_user()), s3, data, capture=django_capture_on_commit_callbacks)
    mine_again = complete(api, s3, data, capture=django_capture_on_commit_callbacks)

    assert Upload.objects.get(pk=by_another["id"]).review == "unreviewed"
    assert Upload.objects.get(pk=mine_again["id"]).review == "approved"
