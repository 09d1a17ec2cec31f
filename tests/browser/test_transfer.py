"""Big files in parts, resuming after a reload, waiting out a lost connection, renewing an expired
signature, never sending a stored file twice: in Chromium, straight to the suite's SeaweedFS.

Parts are S3's smallest, 5 MB, and anything over 1 MB goes in parts: the files here are a little
over 10 MB, three parts.
"""

import random
import re
import secrets

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.images import image_bytes
from uploads.models import Upload

pytestmark = pytest.mark.django_db(transaction=True)

BUCKET = "test-uploads"
MB = 2**20
PART = 5 * MB
INTERRUPTED = "Interrupted — choose the file again to resume."
PART_NUMBER = re.compile(r"[?&]partNumber=(\d+)")


@pytest.fixture
def uploads_settings(settings):
    """Files over 1 MB go in parts of 5 MB; keys under a prefix of the test's own."""
    settings.UPLOADS = {
        "MAX_SIZE": 64 * MB,
        "MULTIPART_THRESHOLD": MB,
        "MULTIPART_PART_SIZE": PART,
        "KEY_PREFIX": "transfer-" + secrets.token_hex(4),
    }
    return settings


@pytest.fixture
def site_with_parts(site, s3):
    """The bucket's CORS as ``manage.py uploads_setup_bucket`` writes it: PUT for parts, the ETag exposed."""
    s3.put_bucket_cors(
        Bucket=BUCKET,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": [site.url],
                    "AllowedMethods": ["POST", "PUT", "GET", "HEAD"],
                    "AllowedHeaders": ["*"],
                    "ExposeHeaders": ["ETag"],
                }
            ]
        },
    )
    return site


@pytest.fixture
def seller_page(uploads_settings, site_with_parts, page, steps, make_user):
    make_user("maria")
    log_in(page, "maria", "pw-maria")
    page.goto("/")
    page.wait_for_load_state()
    # A reload mid-upload asks the browser to warn first; these tests mean to leave.
    page.on("dialog", lambda dialog: dialog.accept())
    steps.shot("logged-in")
    return page


class Traffic:
    """What the page sends to S3: each PUT's part number, each POST of a whole file."""

    def __init__(self, page, site):
        self.puts, self.posts, self.api = [], [], []
        page.on("request", self.saw)

    def saw(self, request):
        if request.method == "PUT" and (found := PART_NUMBER.search(request.url)):
            self.puts.append(int(found.group(1)))
        elif request.method == "POST" and request.url.rstrip("/").endswith(f"/{BUCKET}"):
            self.posts.append(request.url)
        elif "/uploads/api/" in request.url:
            self.api.append(
                f"{request.method} {re.sub(r'[0-9a-f-]{36}', '<id>', request.url.split('/uploads/api/')[1])}"
            )

    def clear(self):
        self.puts.clear()
        self.posts.clear()
        self.api.clear()


def big_jpeg(path, size=2 * PART + 1000, seed=1):
    """A real JPEG followed by random bytes, ``size`` bytes in all: only its start is ever decoded."""
    start = image_bytes("image/jpeg", 640, 480)
    data = start + random.Random(seed).randbytes(size - len(start))
    path.write_bytes(data)
    return data


def reload(page):
    """Reload while requests are held: they die with the page. Then let every request through."""
    page.reload()
    page.wait_for_load_state()
    page.unroute_all(behavior="ignoreErrors")


def row_of(page, name):
    return page.get_by_role("list", name="Uploads").get_by_role("listitem").filter(has_text=name)


def parts_in(s3, upload):
    """The numbers of the parts S3 holds of an upload in parts."""
    listed = s3.list_parts(Bucket=BUCKET, Key=upload.key, UploadId=upload.multipart_id)
    return [part["PartNumber"] for part in listed.get("Parts", [])]


def unfinished(s3, upload):
    return s3.list_multipart_uploads(Bucket=BUCKET, Prefix=upload.key).get("Uploads", [])


def stored(s3, upload):
    return s3.get_object(Bucket=BUCKET, Key=upload.key)["Body"].read()


def wait_for(read, expected, page, seconds=20):
    """Poll ``read()`` while the page keeps running, until it gives ``expected``."""
    for _ in range(seconds * 10):
        if read() == expected:
            return True
        page.wait_for_timeout(100)
    return read() == expected


def test_a_big_file_goes_in_parts_several_at_once_and_is_verified(seller_page, steps, tmp_path, s3, site):
    page = seller_page
    traffic = Traffic(page, site)
    path = tmp_path / "poster.jpg"
    data = big_jpeg(path)

    page.get_by_label("Choose images").set_input_files(path)

    row = row_of(page, "poster.jpg")
    expect(row.get_by_role("status")).to_have_text("Uploaded", timeout=30_000)
    expect(row.get_by_text("640 × 480")).to_be_visible()
    steps.shot("verified")
    assert sorted(traffic.puts) == [1, 2, 3]
    assert traffic.posts == []
    upload = Upload.objects.get()
    assert (upload.status, upload.size, upload.width, upload.height) == ("uploaded", len(data), 640, 480)
    assert upload.etag.endswith("-3")  # S3 assembled three parts
    assert stored(s3, upload) == data


def test_cancel_mid_way_aborts_the_multipart_upload(seller_page, steps, tmp_path, s3):
    page = seller_page
    path = tmp_path / "poster.jpg"
    big_jpeg(path)
    held = []
    page.route(lambda url: "partNumber=3" in url, lambda route: held.append(route))
    page.get_by_label("Choose images").set_input_files(path)
    assert wait_for(lambda: len(held), 1, page)
    upload = Upload.objects.get()
    assert len(unfinished(s3, upload)) == 1

    row_of(page, "poster.jpg").get_by_role("button", name="Cancel upload").click()

    expect(row_of(page, "poster.jpg")).to_have_count(0)
    steps.shot("cancelled")
    assert wait_for(lambda: unfinished(s3, upload), [], page)
    assert Upload.objects.get().status == "deleted"
    page.reload()
    page.wait_for_load_state()
    expect(page.get_by_text(INTERRUPTED)).to_have_count(0)  # nothing left to resume


def test_after_a_reload_the_file_chosen_again_resumes_and_sends_only_the_missing_parts(
    seller_page, steps, tmp_path, s3, site
):
    page = seller_page
    traffic = Traffic(page, site)
    path = tmp_path / "poster.jpg"
    data = big_jpeg(path)
    held = []
    # Part 3 never gets through before the reload; parts 1 and 2 do.
    page.route(lambda url: "partNumber=3" in url, lambda route: held.append(route))

    page.get_by_label("Choose images").set_input_files(path)
    assert wait_for(lambda: len(held), 1, page)
    upload = Upload.objects.get()
    assert wait_for(lambda: parts_in(s3, upload), [1, 2], page)
    steps.shot("two-parts-in")

    reload(page)

    row = row_of(page, "poster.jpg")
    expect(row.get_by_role("status")).to_have_text(INTERRUPTED)
    expect(row.get_by_role("button", name="Remove")).to_be_visible()
    steps.shot("interrupted-after-reload")
    traffic.clear()

    page.get_by_label("Choose images").set_input_files(path)

    expect(row.get_by_role("status")).to_have_text("Uploaded", timeout=30_000)
    expect(page.get_by_role("list", name="Uploads").get_by_role("listitem")).to_have_count(1)
    steps.shot("resumed-and-verified")
    assert traffic.puts == [3]
    assert "POST uploads/" not in traffic.api  # no new upload was created
    upload.refresh_from_db()
    assert upload.status == "uploaded"
    assert stored(s3, upload) == data


def test_an_interrupted_upload_can_be_removed_which_aborts_its_parts(seller_page, steps, tmp_path, s3):
    page = seller_page
    path = tmp_path / "poster.jpg"
    big_jpeg(path)
    page.route(lambda url: "partNumber=2" in url, lambda route: None)  # held for ever
    page.get_by_label("Choose images").set_input_files(path)
    assert wait_for(lambda: Upload.objects.filter(parts__number=2).exists(), True, page)
    upload = Upload.objects.get()
    reload(page)
    row = row_of(page, "poster.jpg")
    expect(row.get_by_role("status")).to_have_text(INTERRUPTED)

    row.get_by_role("button", name="Remove").click()

    expect(row).to_have_count(0)
    steps.shot("removed")
    assert wait_for(lambda: Upload.objects.get().status, "deleted", page)
    assert wait_for(lambda: unfinished(s3, upload), [], page)
    page.reload()
    page.wait_for_load_state()
    expect(page.get_by_text(INTERRUPTED)).to_have_count(0)


def test_a_single_post_interrupted_before_s3_answered_is_sent_again_with_a_new_policy(
    seller_page, steps, tmp_path, s3, site
):
    page = seller_page
    traffic = Traffic(page, site)
    path = tmp_path / "lamp.jpg"
    path.write_bytes(image_bytes("image/jpeg", 320, 240, noise=True))
    page.route(f"**/{BUCKET}", lambda route: None)  # the POST never reaches S3

    page.get_by_label("Choose images").set_input_files(path)
    assert wait_for(lambda: len(traffic.posts), 1, page)
    reload(page)
    row = row_of(page, "lamp.jpg")
    expect(row.get_by_role("status")).to_have_text(INTERRUPTED)
    traffic.clear()

    page.get_by_label("Choose images").set_input_files(path)

    expect(row.get_by_role("status")).to_have_text("Uploaded", timeout=30_000)
    steps.shot("sent-again")
    assert len(traffic.posts) == 1
    assert traffic.api == [
        "POST uploads/<id>/complete/",
        "POST uploads/<id>/renew/",
        "POST uploads/<id>/complete/",
    ]
    assert Upload.objects.get().status == "uploaded"


def test_a_single_post_s3_took_before_the_reload_is_only_verified(seller_page, steps, tmp_path, s3, site):
    page = seller_page
    traffic = Traffic(page, site)
    path = tmp_path / "lamp.jpg"
    path.write_bytes(image_bytes("image/jpeg", 320, 240, noise=True))
    page.route("**/complete/", lambda route: None)  # S3 takes the file; the page never hears it verified

    page.get_by_label("Choose images").set_input_files(path)
    assert wait_for(lambda: traffic.api[-1:], ["POST uploads/<id>/complete/"], page)
    reload(page)
    row = row_of(page, "lamp.jpg")
    expect(row.get_by_role("status")).to_have_text(INTERRUPTED)
    traffic.clear()

    page.get_by_label("Choose images").set_input_files(path)

    expect(row.get_by_role("status")).to_have_text("Uploaded", timeout=30_000)
    assert traffic.posts == []
    assert traffic.api == ["POST uploads/<id>/complete/"]


def test_offline_the_file_waits_for_the_connection_and_then_goes_on(seller_page, steps, tmp_path, s3, site):
    page = seller_page
    traffic = Traffic(page, site)
    path = tmp_path / "poster.jpg"
    data = big_jpeg(path)
    held = []
    page.route(lambda url: "partNumber=3" in url, lambda route: held.append(route), times=1)

    page.get_by_label("Choose images").set_input_files(path)
    assert wait_for(lambda: len(held), 1, page)
    assert wait_for(lambda: parts_in(s3, Upload.objects.get()), [1, 2], page)
    page.context.set_offline(True)
    held[0].abort("internetdisconnected")

    row = row_of(page, "poster.jpg")
    expect(row.get_by_role("status")).to_have_text("Waiting for the connection…")
    # Longer than the three automatic retries used to take (1 + 2 + 4 s): nothing is spent meanwhile.
    page.wait_for_timeout(8_000)
    expect(row.get_by_role("status")).to_have_text("Waiting for the connection…")
    expect(row.get_by_role("alert")).to_have_count(0)
    steps.shot("waiting-offline")

    page.context.set_offline(False)

    expect(row.get_by_role("status")).to_have_text("Uploaded", timeout=30_000)
    steps.shot("back-online")
    assert sorted(traffic.puts) == [1, 2, 3, 3]  # only the part that was cut off, again
    assert stored(s3, Upload.objects.get()) == data


def test_offline_before_anything_was_sent_the_file_waits_and_starts_once_online(
    seller_page, steps, tmp_path, s3
):
    page = seller_page
    path = tmp_path / "lamp.jpg"
    path.write_bytes(image_bytes("image/jpeg", 320, 240, noise=True))
    page.context.set_offline(True)

    page.get_by_label("Choose images").set_input_files(path)

    row = row_of(page, "lamp.jpg")
    expect(row.get_by_role("status")).to_have_text("Waiting for the connection…")
    page.wait_for_timeout(3_000)
    expect(row.get_by_role("alert")).to_have_count(0)
    page.context.set_offline(False)
    expect(row.get_by_role("status")).to_have_text("Uploaded", timeout=30_000)


def test_an_expired_policy_is_renewed_without_the_seller_doing_anything(
    seller_page, steps, tmp_path, s3, site, settings
):
    # S3 reads a policy's expiry to the second: a policy of 3 s is valid for 2 to 3.
    settings.UPLOADS = {**settings.UPLOADS, "EXPIRES": 3}
    page = seller_page
    traffic = Traffic(page, site)
    path = tmp_path / "lamp.jpg"
    path.write_bytes(image_bytes("image/jpeg", 320, 240, noise=True))
    held = []
    page.route(f"**/{BUCKET}", lambda route: held.append(route), times=1)

    page.get_by_label("Choose images").set_input_files(path)
    assert wait_for(lambda: len(held), 1, page)
    page.wait_for_timeout(4_000)  # the policy is past when S3 reads it
    held[0].continue_()

    row = row_of(page, "lamp.jpg")
    expect(row.get_by_role("status")).to_have_text("Uploaded", timeout=30_000)
    steps.shot("renewed-and-verified")
    # Renewed and sent again (twice, if the new 3-s policy also ran out on a slow machine).
    assert traffic.api[0] == "POST uploads/" and traffic.api[-1] == "POST uploads/<id>/complete/"
    renewals = traffic.api.count("POST uploads/<id>/renew/")
    assert renewals >= 1 and len(traffic.posts) == 1 + renewals
    assert Upload.objects.count() == 1


def test_an_expired_part_url_is_signed_again_without_the_seller_doing_anything(
    seller_page, steps, tmp_path, s3, site, settings
):
    settings.UPLOADS = {**settings.UPLOADS, "EXPIRES": 3}
    page = seller_page
    traffic = Traffic(page, site)
    path = tmp_path / "poster.jpg"
    data = big_jpeg(path)
    held = []
    page.route(lambda url: "partNumber=2" in url, lambda route: held.append(route), times=1)

    page.get_by_label("Choose images").set_input_files(path)
    assert wait_for(lambda: len(held), 1, page)
    page.wait_for_timeout(4_000)
    held[0].continue_()

    row = row_of(page, "poster.jpg")
    expect(row.get_by_role("status")).to_have_text("Uploaded", timeout=30_000)
    # Part 2 went again: its URL expired on the way. (On a slow machine a new URL may, too.)
    assert traffic.puts.count(2) >= 2
    assert set(traffic.puts) == {1, 2, 3}
    assert traffic.api.count("POST uploads/<id>/parts/") >= 2
    assert stored(s3, Upload.objects.get()) == data


def test_a_file_s3_took_is_never_sent_again_when_its_verification_fails_once(
    seller_page, steps, tmp_path, s3, site
):
    page = seller_page
    traffic = Traffic(page, site)
    path = tmp_path / "lamp.jpg"
    path.write_bytes(image_bytes("image/jpeg", 320, 240, noise=True))
    unavailable = '{"error": {"code": "storage_unavailable", "message": "The file storage did not answer in time.", "field": null}}'
    page.route(
        "**/complete/",
        lambda route: route.fulfill(status=503, content_type="application/json", body=unavailable),
        times=1,
    )

    page.get_by_label("Choose images").set_input_files(path)

    row = row_of(page, "lamp.jpg")
    expect(row.get_by_role("status")).to_have_text("Uploaded", timeout=30_000)
    steps.shot("verified-on-second-try")
    assert len(traffic.posts) == 1
    assert traffic.api == ["POST uploads/", "POST uploads/<id>/complete/", "POST uploads/<id>/complete/"]
