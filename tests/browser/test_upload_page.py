"""A seller uploads through the real page in Chromium, straight to SeaweedFS; staff see it in the admin."""

import base64
import hashlib
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.images import image_bytes
from uploads.models import Upload

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seller_page(page, steps, make_user):
    make_user("maria")
    log_in(page, "maria", "pw-maria")
    expect(page.get_by_role("heading", name="Your products")).to_be_visible()  # where sellers land
    page.get_by_role("link", name="Image library").click()
    expect(page.get_by_role("heading", name="Image library")).to_be_visible()
    page.wait_for_load_state()  # module scripts have run: the uploader is mounted
    steps.shot("logged-in")
    return page


def test_two_images_upload_at_once_with_progress_and_thumbnails(seller_page, steps, tmp_path):
    page = seller_page
    files = []
    for name, content_type, size in (
        ("red-shoe.jpg", "image/jpeg", (1400, 1000)),
        ("blue-hat.png", "image/png", (700, 500)),
    ):
        path = tmp_path / name
        path.write_bytes(image_bytes(content_type, *size, noise=True))
        files.append(path)

    page.get_by_label("Choose images").set_input_files(files)
    steps.shot("files-chosen")

    for path in files:
        row = page.get_by_role("list", name="Uploads").get_by_role("listitem").filter(has_text=path.name)
        expect(row.get_by_role("status")).to_have_text("Uploaded", timeout=30_000)
        expect(row.get_by_label(f"Upload progress for {path.name}")).to_have_attribute("value", "100")
        thumbnail = row.get_by_role("img", name=path.name)
        expect(thumbnail).to_be_visible()
        assert thumbnail.evaluate("img => img.complete && img.naturalWidth") > 0
    uploads = page.get_by_role("list", name="Uploads")
    expect(uploads.get_by_text("1400 × 1000")).to_be_visible()
    expect(uploads.get_by_text("700 × 500")).to_be_visible()
    steps.shot("both-verified")

    rows = Upload.objects.order_by("filename")
    assert [(u.filename, u.status, u.width, u.height) for u in rows] == [
        ("blue-hat.png", "uploaded", 700, 500),
        ("red-shoe.jpg", "uploaded", 1400, 1000),
    ]

    gallery = page.get_by_role("list", name="Your images")
    expect(gallery.get_by_role("img")).to_have_count(2)  # joined without a reload
    page.reload()
    expect(gallery.get_by_role("img")).to_have_count(2)
    steps.shot("gallery-after-reload")


def test_a_file_over_the_limit_is_refused_before_anything_is_sent(seller_page, steps, tmp_path, settings):
    settings.UPLOADS = {"MAX_SIZE": 50 * 1024}
    page = seller_page
    page.reload()
    path = tmp_path / "huge.jpg"
    path.write_bytes(image_bytes("image/jpeg", 400, 400, noise=True))
    assert path.stat().st_size > 50 * 1024
    requests = []
    page.on("request", lambda request: requests.append(request.url))

    page.get_by_label("Choose images").set_input_files(path)

    row = page.get_by_role("list", name="Uploads").get_by_role("listitem").filter(has_text="huge.jpg")
    shown = f"huge.jpg is {path.stat().st_size / 1024:.1f} KB; the limit is 50 KB."
    expect(row.get_by_role("alert")).to_have_text(shown)
    expect(row.get_by_role("button", name="Retry")).to_have_count(0)
    expect(row.get_by_role("button", name="Remove")).to_be_visible()
    steps.shot("too-large")
    assert not Upload.objects.exists()
    assert not [url for url in requests if "/uploads/api/" in url], "the browser knew the size: no API call"


def test_a_file_that_is_not_really_an_image_is_refused_after_upload(seller_page, steps, tmp_path, s3):
    page = seller_page
    path = tmp_path / "fake.png"
    path.write_bytes(b"<html><script>alert(1)</script></html>")

    page.get_by_label("Choose images").set_input_files(path)

    row = page.get_by_role("list", name="Uploads").get_by_role("listitem").filter(has_text="fake.png")
    expect(row.get_by_role("alert")).to_have_text(
        "The file is not a PNG image: its contents show it is not an image we accept."
    )
    steps.shot("refused")
    expect(row.get_by_role("img")).to_have_count(0)  # nothing to preview: the placeholder stands in
    expect(row.locator(".uploader__placeholder")).to_have_count(1)
    upload = Upload.objects.get()
    assert upload.status == "failed"
    assert s3.list_objects_v2(Bucket="test-uploads", Prefix=upload.key).get("KeyCount", 0) == 0


def test_staff_see_the_uploads_in_the_admin(page, steps, make_user, s3, tmp_path, settings, run_tasks):
    # Reviewed uploads with a thumbnail variant: the list opens on those awaiting review.
    settings.UPLOADS = {"VARIANTS": {"thumb": {"size": 160}}, "REVIEW": "before_publish"}
    make_user("maria")
    make_user("ada", is_staff=True, is_superuser=True)
    log_in(page, "maria", "pw-maria")
    page.goto("/")
    page.wait_for_load_state()
    path = tmp_path / "lamp.jpg"
    path.write_bytes(image_bytes("image/jpeg", 320, 240))
    page.get_by_label("Choose images").set_input_files(path)
    expect(page.get_by_role("status")).to_have_text("Uploaded", timeout=30_000)
    page.get_by_role("button", name="Log out").click()

    log_in(page, "ada", "pw-ada")
    page.goto("/admin/uploads/upload/")

    row = page.get_by_role("row").filter(has_text="lamp.jpg")
    expect(row).to_contain_text("maria")
    expect(row).to_contain_text("Uploaded")
    expect(row).to_contain_text("320 × 240")
    thumbnail = row.get_by_role("img", name="lamp.jpg")
    expect(thumbnail).to_be_visible()
    # The thumbnail is the 160-px variant, never the 320-px original.
    expect(thumbnail).to_have_js_property("naturalWidth", 160)  # loaded lazily: wait for it
    assert "/variants/" in thumbnail.get_attribute("src")
    steps.shot("admin-changelist")


def remember_thumbnails(page):
    """Keep, in the page, each file's thumbnail when its row appears and the original's URL once verified."""
    page.evaluate(
        """() => {
          window.firstThumbnail = {}
          window.originalUrl = {}
          document.addEventListener("uploads:added", (event) => {
            const row = [...document.querySelectorAll("[data-uploader-list] li")].at(-1)
            window.firstThumbnail[event.detail.file.name] = row.querySelector("img")?.src ?? null
          })
          document.addEventListener("uploads:verified", (event) => {
            window.originalUrl[event.detail.file.name] = event.detail.upload.url
          })
        }"""
    )


def record_statuses(page):
    """Keep, in the page, each text the rows' statuses show, in turn (`window.statusesShown`)."""
    page.evaluate(
        """() => {
          window.statusesShown = []
          new MutationObserver(() => {
            for (const status of document.querySelectorAll("[data-uploader-list] [role=status]")) {
              const text = status.textContent.trim()
              if (text && !window.statusesShown.includes(text)) window.statusesShown.push(text)
            }
          }).observe(document.body, { subtree: true, childList: true, characterData: true })
        }"""
    )


def loads(page, url):
    return page.evaluate("(url) => fetch(url).then(() => true, () => false)", url)


def test_a_chosen_file_shows_at_once_as_a_local_preview_and_never_as_the_original(
    seller_page, steps, tmp_path, s3
):
    page = seller_page
    remember_thumbnails(page)
    path = tmp_path / "boot.jpg"
    path.write_bytes(image_bytes("image/jpeg", 300, 200))
    held = []
    page.route("**/test-uploads", lambda route: held.append(route), times=1)  # S3 answers when we let it

    page.get_by_label("Choose images").set_input_files(path)

    row = page.get_by_role("list", name="Uploads").get_by_role("listitem").filter(has_text="boot.jpg")
    assert wait_for(lambda: len(held), 1, page)
    expect(row.get_by_role("status")).to_contain_text("Uploading")
    thumbnail = row.get_by_role("img", name="boot.jpg")
    expect(thumbnail).to_have_attribute("src", re.compile(r"^blob:"))
    expect(thumbnail).to_have_js_property("naturalWidth", 300)
    steps.shot("preview-while-uploading")

    held[0].continue_()
    expect(row.get_by_role("status")).to_have_text("Uploaded")

    # No variants configured: the preview stays, and the original's URL is never shown.
    preview = page.evaluate("window.firstThumbnail['boot.jpg']")
    assert preview.startswith("blob:")
    expect(thumbnail).to_have_attribute("src", preview)
    original = page.evaluate("window.originalUrl['boot.jpg']")
    assert "X-Amz-Signature=" in original
    assert page.locator(f'img[src="{original}"]').count() == 0
    steps.shot("uploaded-with-preview")


def test_the_preview_gives_way_to_the_smallest_variant_once_made(
    seller_page, steps, tmp_path, s3, run_tasks, settings
):
    settings.UPLOADS = {"VARIANTS": {"thumb": {"size": 96}, "card": {"size": 400}}}
    page = seller_page
    remember_thumbnails(page)
    path = tmp_path / "kettle.jpg"
    path.write_bytes(image_bytes("image/jpeg", 1200, 900, noise=True))

    page.get_by_label("Choose images").set_input_files(path)

    row = page.get_by_role("list", name="Uploads").get_by_role("listitem").filter(has_text="kettle.jpg")
    expect(row.get_by_role("status")).to_have_text("Uploaded", timeout=30_000)
    thumbnail = row.get_by_role("img", name="kettle.jpg")
    expect(thumbnail).to_have_attribute("src", re.compile(r"/variants/[0-9a-f]{64}/[0-9a-f]{16}\.webp\?"))
    expect(thumbnail).to_have_js_property("naturalWidth", 96)
    steps.shot("variant-thumbnail")
    preview = page.evaluate("window.firstThumbnail['kettle.jpg']")
    assert preview.startswith("blob:")
    assert not loads(page, preview), "the local preview was released once the variant took its place"
    assert thumbnail.get_attribute("src") != page.evaluate("window.originalUrl['kettle.jpg']")


def test_a_dropped_connection_to_s3_is_retried_by_itself_and_says_so(seller_page, steps, tmp_path, s3):
    page = seller_page
    path = tmp_path / "stool.jpg"
    path.write_bytes(image_bytes("image/jpeg", 200, 150))
    page.route("**/test-uploads", lambda route: route.abort("connectionreset"), times=1)
    record_statuses(page)  # the retry's note shows for one second only: kept, not polled for

    page.get_by_label("Choose images").set_input_files(path)

    row = page.get_by_role("list", name="Uploads").get_by_role("listitem").filter(has_text="stool.jpg")
    expect(row.get_by_role("status")).to_have_text("Uploaded")
    steps.shot("recovered")
    assert (
        "Could not reach the file storage. Check your connection and try again. Retrying in 1 s…"
        in page.evaluate("window.statusesShown")
    )
    # The retry goes on with the same upload: no second one is made.
    assert sorted(Upload.objects.values_list("status", flat=True)) == ["uploaded"]


def test_a_file_that_keeps_failing_on_the_way_to_s3_can_be_retried_without_reloading(
    seller_page, steps, tmp_path, s3
):
    page = seller_page
    path = tmp_path / "chair.jpg"
    path.write_bytes(image_bytes("image/jpeg", 200, 150))
    # S3 stays unreachable through the automatic retries (1 + 2 + 4 s), then comes back.
    page.route("**/test-uploads", lambda route: route.abort("connectionreset"), times=4)

    page.get_by_label("Choose images").set_input_files(path)

    row = page.get_by_role("list", name="Uploads").get_by_role("listitem").filter(has_text="chair.jpg")
    expect(row.get_by_role("alert")).to_have_text(
        "Could not reach the file storage. Check your connection and try again.", timeout=20_000
    )
    steps.shot("network-failure")
    row.get_by_role("button", name="Retry").click()

    expect(row.get_by_role("status")).to_have_text("Uploaded")
    expect(row.get_by_role("img", name="chair.jpg")).to_be_visible()
    steps.shot("retried")
    # Every attempt, Retry's too, went on with the one upload: nothing was left to cancel.
    assert list(Upload.objects.values_list("status", flat=True)) == ["uploaded"]


def test_the_same_image_again_is_recognised_and_not_uploaded_twice(seller_page, steps, tmp_path, s3):
    page = seller_page
    path = tmp_path / "vase.png"
    path.write_bytes(image_bytes("image/png", 120, 90))
    page.get_by_label("Choose images").set_input_files(path)
    expect(
        page.get_by_role("list", name="Uploads")
        .get_by_role("listitem")
        .filter(has_text="vase.png")
        .get_by_role("status")
    ).to_have_text("Uploaded")

    page.get_by_label("Choose images").set_input_files(path)

    second = (
        page.get_by_role("list", name="Uploads").get_by_role("listitem").filter(has_text="vase.png").nth(1)
    )
    expect(second.get_by_role("status")).to_have_text("Already uploaded")
    steps.shot("duplicate")
    upload = Upload.objects.get()
    assert (upload.status, upload.sha256) == ("uploaded", hashed(path.read_bytes()))


def hashed(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_cancel_stops_an_upload_and_removes_its_pending_row(seller_page, steps, tmp_path, s3):
    page = seller_page
    path = tmp_path / "sofa.jpg"
    path.write_bytes(image_bytes("image/jpeg", 200, 150))
    held = []
    page.route("**/test-uploads", lambda route: held.append(route))  # S3 never answers

    page.get_by_label("Choose images").set_input_files(path)
    row = page.get_by_role("list", name="Uploads").get_by_role("listitem").filter(has_text="sofa.jpg")
    assert wait_for(lambda: len(held), 1, page)  # the file is on its way to S3
    expect(row.get_by_role("status")).to_contain_text("Uploading")
    steps.shot("uploading")
    row.get_by_role("button", name="Cancel upload").click()

    expect(
        page.get_by_role("list", name="Uploads").get_by_role("listitem").filter(has_text="sofa.jpg")
    ).to_have_count(0)
    steps.shot("cancelled")
    assert wait_for(lambda: list(Upload.objects.values_list("status", flat=True)), ["deleted"], page)


def test_cancel_while_the_upload_is_being_prepared_still_removes_the_row(seller_page, tmp_path, s3):
    page = seller_page
    path = tmp_path / "lamp.jpg"
    path.write_bytes(image_bytes("image/jpeg", 200, 150))
    held = []
    page.route("**/uploads/api/uploads/", lambda route: held.append(route))  # the create call hangs

    page.get_by_label("Choose images").set_input_files(path)
    assert wait_for(lambda: len(held), 1, page)  # the create is on its way
    page.get_by_role("button", name="Cancel upload").click()
    held[0].continue_()  # the server creates the row after all

    assert wait_for(lambda: list(Upload.objects.values_list("status", flat=True)), ["deleted"], page)


def wait_for(read, expected, page, seconds=20):
    """Poll ``read()`` while the page keeps running, until it gives ``expected``."""
    for _ in range(seconds * 10):
        if read() == expected:
            return True
        page.wait_for_timeout(100)
    return read() == expected


def test_the_uploader_tells_the_page_what_happens_through_bubbling_events(seller_page, tmp_path, s3):
    page = seller_page
    page.evaluate(
        """() => {
          window.seen = []
          for (const type of ["uploads:added", "uploads:progress", "uploads:verified", "uploads:error"]) {
            document.addEventListener(type, (event) => window.seen.push([type, event.detail.file.name]))
          }
        }"""
    )
    path = tmp_path / "desk.jpg"
    path.write_bytes(image_bytes("image/jpeg", 300, 200))

    page.get_by_label("Choose images").set_input_files(path)
    expect(page.get_by_role("status")).to_have_text("Uploaded")

    seen = page.evaluate("window.seen")
    types = [event for event, name in seen if name == "desk.jpg"]
    assert types[0] == "uploads:added"
    assert "uploads:progress" in types
    assert types[-1] == "uploads:verified"
    assert "uploads:error" not in types
