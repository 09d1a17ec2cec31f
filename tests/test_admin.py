"""Staff review uploads in the admin: read-only metadata, thumbnails, filters, approve/reject."""

import pytest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.db import connection

from uploads import keys
from uploads.models import Upload

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/uploads/upload/"


@pytest.fixture
def staff(make_user):
    client = Client()
    client.force_login(make_user("reviewer", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def make_upload(seller):
    def make(**fields):
        n = Upload.objects.count()
        values = {
            "owner": seller,
            "key": keys.build_key(seller.pk, f"p{n}.jpg", "image/jpeg"),
            "filename": f"product {n}.jpg",
            "content_type": "image/jpeg",
            "size": 2048,
            "status": "uploaded",
            "width": 800,
            "height": 600,
            "expires_at": "2030-01-01T00:00:00Z",
        }
        return Upload.objects.create(**{**values, **fields})

    return make


def test_changelist_shows_thumbnail_name_owner_status_size_type_and_dimensions(staff, make_upload):
    make_upload(filename="<b>red shoe</b>.jpg")

    html = staff.get(CHANGELIST).content.decode()

    assert '<img src="http://127.0.0.1:9/test-uploads/uploads/' in html
    assert "&lt;b&gt;red shoe&lt;/b&gt;.jpg" in html
    assert "<b>red shoe</b>" not in html
    for text in ("seller", "Uploaded", "2 KB", "image/jpeg", "800 × 600"):
        assert text in html


def test_a_pending_upload_has_no_thumbnail(staff, make_upload):
    make_upload(status="pending", width=None, height=None)

    html = staff.get(CHANGELIST).content.decode()

    assert "test-uploads" not in html


def test_changelist_filters_by_status_type_and_date_and_searches_names(staff, make_upload):
    make_upload(filename="boot.jpg")
    make_upload(filename="hat.png", content_type="image/png", status="failed")

    by_status = staff.get(CHANGELIST, {"status__exact": "failed"}).context["cl"].result_list
    by_type = staff.get(CHANGELIST, {"content_type": "image/jpeg"}).context["cl"].result_list
    by_search = staff.get(CHANGELIST, {"q": "boot"}).context["cl"].result_list
    by_owner = staff.get(CHANGELIST, {"q": "seller"}).context["cl"].result_list

    assert [u.filename for u in by_status] == ["hat.png"]
    assert [u.filename for u in by_type] == ["boot.jpg"]
    assert [u.filename for u in by_search] == ["boot.jpg"]
    assert len(by_owner) == 2


def test_changelist_filters_by_creation_date(staff, make_upload):
    make_upload()
    changelist = staff.get(CHANGELIST).context["cl"]
    date_filter = next(spec for spec in changelist.filter_specs if spec.field_path == "created_at")
    today = next(choice for choice in date_filter.choices(changelist) if choice["display"] == "Today")

    assert len(staff.get(CHANGELIST + today["query_string"]).context["cl"].result_list) == 1


def test_changelist_queries_do_not_grow_with_the_number_of_rows(staff, make_upload):
    make_upload()
    with CaptureQueriesContext(connection) as few:
        staff.get(CHANGELIST)
    for _ in range(30):
        make_upload()
    with CaptureQueriesContext(connection) as many:
        staff.get(CHANGELIST)

    assert len(many) == len(few)


def test_staff_cannot_add_uploads_and_the_metadata_is_read_only(staff, make_upload):
    upload = make_upload()

    assert staff.get(CHANGELIST + "add/").status_code == 403
    form = staff.get(f"{CHANGELIST}{upload.pk}/change/").context["adminform"].form
    assert list(form.fields) == []


def test_approve_marks_verified_uploads_and_skips_the_others(staff, make_upload):
    good = make_upload()
    pending = make_upload(status="pending")

    response = staff.post(
        CHANGELIST, {"action": "approve", "_selected_action": [good.pk, pending.pk]}, follow=True
    )

    good.refresh_from_db()
    pending.refresh_from_db()
    assert (good.review, good.reviewed_by.username) == ("approved", "reviewer")
    assert pending.review == "unreviewed"
    assert [str(m) for m in response.context["messages"]] == [
        "Marked 1 upload as approved.",
        "Skipped 1 upload that is not verified.",
    ]


def test_reject_marks_the_selected_uploads(staff, make_upload):
    upload = make_upload()

    staff.post(CHANGELIST, {"action": "reject", "_selected_action": [upload.pk]})

    upload.refresh_from_db()
    assert upload.review == "rejected"
