"""Staff see uploads in the admin: read-only metadata, thumbnails that are variants (never the
original), a list that opens on "awaiting review", filters, search and a grid of thumbnails."""

import base64
import hashlib
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.variant_rows import record_variant
from uploads import keys
from uploads.models import Upload

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/uploads/upload/"
# Two sizes, as a shop has them; the profile's uploads wait for a reviewer before anyone sees them.
REVIEWED = {"VARIANTS": {"thumb": {"size": 320}, "card": {"size": 800}}, "REVIEW": "before_publish"}


@pytest.fixture
def reviewed(settings):
    settings.UPLOADS = REVIEWED


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
            "sha256": base64.b64encode(hashlib.sha256(str(n).encode()).digest()).decode(),
            "expires_at": "2030-01-01T00:00:00Z",
        }
        return Upload.objects.create(**{**values, **fields})

    return make


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.found.append(dict(attrs))


def images(html):
    """``(object key, alt)`` of each ``<img>`` whose source is the test bucket (not the admin's icons)."""
    parser = _Images()
    parser.feed(html)
    prefix = "/test-uploads/"
    return [
        (urlsplit(img["src"]).path.removeprefix(prefix), img.get("alt"))
        for img in parser.found
        if urlsplit(img["src"]).path.startswith(prefix)
    ]


def shown(client, **params):
    return [row.filename for row in client.get(CHANGELIST, params).context["cl"].result_list]


def test_changelist_shows_thumbnail_name_owner_state_size_type_and_dimensions(staff, make_upload, reviewed):
    upload = make_upload(filename="<b>red shoe</b>.jpg")
    thumb = record_variant(upload, "thumb", width=320, height=240)
    record_variant(upload, "card", width=800, height=600)

    html = staff.get(CHANGELIST).content.decode()

    assert images(html) == [(thumb.key, "<b>red shoe</b>.jpg")]
    assert "&lt;b&gt;red shoe&lt;/b&gt;.jpg" in html
    assert "<b>red shoe</b>" not in html
    for text in ("seller", "Awaiting review", "Uploaded", "2 KB", "image/jpeg", "800 × 600"):
        assert text in html


def test_a_thumbnail_is_a_placeholder_until_its_variant_is_made_and_never_the_original(
    staff, make_upload, reviewed
):
    make_upload(variants_due="2030-01-01T00:00:00Z")

    html = staff.get(CHANGELIST).content.decode()

    assert images(html) == []
    assert '<span class="uploads-thumb uploads-placeholder">Preparing preview…</span>' in html


def test_an_upload_of_a_profile_without_variants_has_a_placeholder_that_says_no_preview(staff, make_upload):
    upload = make_upload(status="pending", width=None, height=None)

    html = staff.get(CHANGELIST, {"state": "all"}).content.decode()

    assert images(html) == []
    assert upload.key not in html
    assert '<span class="uploads-thumb uploads-placeholder">No preview</span>' in html


def test_the_list_opens_on_the_uploads_awaiting_review_and_says_so(staff, make_upload, reviewed):
    make_upload(filename="waiting.jpg")
    make_upload(filename="approved.jpg", review="approved")
    make_upload(filename="rejected.jpg", review="rejected")
    make_upload(filename="broken.jpg", status="failed")
    make_upload(filename="pending.jpg", status="pending")

    response = staff.get(CHANGELIST)

    assert [row.filename for row in response.context["cl"].result_list] == ["waiting.jpg"]
    state = next(spec for spec in response.context["cl"].filter_specs if spec.parameter_name == "state")
    assert [(choice["display"], choice["selected"]) for choice in state.choices(response.context["cl"])] == [
        ("Awaiting review", True),
        ("Published", False),
        ("Rejected", False),
        ("Failed", False),
        ("All", False),
    ]


def test_the_review_state_filter_offers_published_rejected_failed_and_all(staff, make_upload, reviewed):
    make_upload(filename="waiting.jpg")
    make_upload(filename="approved.jpg", review="approved")
    make_upload(filename="rejected.jpg", review="rejected")
    make_upload(filename="broken.jpg", status="failed")
    make_upload(filename="pending.jpg", status="pending")

    assert shown(staff, state="published") == ["approved.jpg"]
    assert shown(staff, state="rejected") == ["rejected.jpg"]
    assert shown(staff, state="failed") == ["broken.jpg"]
    assert sorted(shown(staff, state="all")) == [
        "approved.jpg",
        "broken.jpg",
        "pending.jpg",
        "rejected.jpg",
        "waiting.jpg",
    ]


def test_awaiting_review_counts_an_upload_shown_before_review_that_no_one_has_decided_on(
    staff, make_upload, settings
):
    settings.UPLOADS = {"REVIEW": "after_publish"}
    make_upload(filename="shown meanwhile.jpg")
    make_upload(filename="looked at.jpg", review="approved")

    assert shown(staff) == ["shown meanwhile.jpg"]
    assert sorted(shown(staff, state="published")) == ["looked at.jpg", "shown meanwhile.jpg"]


def test_without_review_nothing_awaits_it(staff, make_upload):
    make_upload(filename="published at once.jpg")

    assert shown(staff) == []
    assert shown(staff, state="published") == ["published at once.jpg"]


def test_an_unknown_review_state_is_refused_like_any_wrong_lookup(staff, make_upload):
    response = staff.get(CHANGELIST, {"state": "lost"})

    assert (response.status_code, response["Location"]) == (302, CHANGELIST + "?e=1")


def test_changelist_filters_by_status_type_and_date_and_searches_names(staff, make_upload):
    make_upload(filename="boot.jpg")
    make_upload(filename="hat.png", content_type="image/png", status="failed")

    assert shown(staff, state="all", status__exact="failed") == ["hat.png"]
    assert shown(staff, state="all", content_type="image/jpeg") == ["boot.jpg"]
    assert shown(staff, state="all", q="boot") == ["boot.jpg"]
    assert len(shown(staff, state="all", q="seller")) == 2


def test_changelist_filters_by_creation_date(staff, make_upload):
    make_upload()
    changelist = staff.get(CHANGELIST, {"state": "all"}).context["cl"]
    date_filter = next(
        spec for spec in changelist.filter_specs if getattr(spec, "field_path", "") == "created_at"
    )
    today = next(choice for choice in date_filter.choices(changelist) if choice["display"] == "Today")

    assert "state=all" in today["query_string"]
    assert len(staff.get(CHANGELIST + today["query_string"]).context["cl"].result_list) == 1


def test_the_grid_shows_each_upload_as_a_card_with_its_thumbnail_name_owner_and_state(
    staff, make_upload, reviewed
):
    made = make_upload(filename="boot.jpg")
    thumb = record_variant(made, "thumb", width=320, height=240)
    coming = make_upload(filename="hat.jpg", variants_due="2030-01-01T00:00:00Z")

    html = staff.get(CHANGELIST, {"view": "grid"}).content.decode()

    assert images(html) == [(thumb.key, "boot.jpg")]
    assert made.key not in html and coming.key not in html
    assert '<ul class="uploads-grid">' in html
    assert '<table id="result_list">' not in html
    for row in (made, coming):
        link = f'<a href="/admin/uploads/upload/{row.pk}/change/?_changelist_filters=view%3Dgrid">'
        assert link in html
    assert '<span class="uploads-card-image uploads-placeholder">Preparing preview…</span>' in html
    assert html.count('<span class="uploads-card-meta">seller · Awaiting review</span>') == 2
    assert f'<input type="checkbox" name="_selected_action" value="{made.pk}" class="action-select">' in html


def test_the_grid_is_kept_across_filter_links_and_the_table_is_one_link_away(staff, make_upload):
    make_upload()
    response = staff.get(CHANGELIST, {"view": "grid"})
    changelist = response.context["cl"]
    state = next(spec for spec in changelist.filter_specs if spec.parameter_name == "state")

    assert [choice["query_string"] for choice in state.choices(changelist)] == [
        "?state=awaiting_review&view=grid",
        "?state=published&view=grid",
        "?state=rejected&view=grid",
        "?state=failed&view=grid",
        "?state=all&view=grid",
    ]
    assert '<a href="?">Table</a>' in response.content.decode()
    assert '<a href="?view=grid" aria-current="page">Grid of thumbnails</a>' in response.content.decode()


def test_changelist_queries_do_not_grow_with_the_number_of_rows(staff, make_upload, reviewed):
    record_variant(make_upload(), "thumb", width=320, height=240)
    with CaptureQueriesContext(connection) as few:
        staff.get(CHANGELIST)
    for _ in range(30):
        record_variant(make_upload(), "thumb", width=320, height=240)
    with CaptureQueriesContext(connection) as many:
        staff.get(CHANGELIST)

    assert len(many) == len(few)


def test_staff_cannot_add_uploads_and_the_metadata_is_read_only(staff, make_upload):
    upload = make_upload()

    assert staff.get(CHANGELIST + "add/").status_code == 403
    form = staff.get(f"{CHANGELIST}{upload.pk}/change/").context["adminform"].form
    assert list(form.fields) == []


def test_the_upload_page_previews_the_largest_variant_that_fits_800_pixels_and_links_the_original(
    staff, make_upload, settings
):
    settings.UPLOADS = {"VARIANTS": {"thumb": {"size": 320}, "card": {"size": 800}, "zoom": {"size": 2000}}}
    upload = make_upload(filename="boot.jpg", width=3000, height=2000)
    record_variant(upload, "thumb", width=320, height=213)
    card = record_variant(upload, "card", width=800, height=533)
    record_variant(upload, "zoom", width=2000, height=1333)

    html = staff.get(f"{CHANGELIST}{upload.pk}/change/").content.decode()

    assert images(html) == [(card.key, "boot.jpg")]
    original = next(line for line in html.splitlines() if "Open the original" in line)
    assert f"/test-uploads/{upload.key}?" in original


def test_the_upload_page_previews_the_smallest_variant_when_none_fits_and_a_placeholder_before_any(
    staff, make_upload, settings
):
    settings.UPLOADS = {"VARIANTS": {"zoom": {"size": 2000}, "huge": {"size": 4000}}}
    upload = make_upload(filename="boot.jpg", width=5000, height=4000)

    before = staff.get(f"{CHANGELIST}{upload.pk}/change/").content.decode()
    zoom = record_variant(upload, "zoom", width=2000, height=1600)
    record_variant(upload, "huge", width=4000, height=3200)
    after = staff.get(f"{CHANGELIST}{upload.pk}/change/").content.decode()

    assert images(before) == []
    assert '<span class="uploads-preview uploads-placeholder">No preview</span>' in before
    assert images(after) == [(zoom.key, "boot.jpg")]
