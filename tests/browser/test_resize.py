"""The page resizes in Chromium what a profile's CLIENT_RESIZE asks for, and S3 gets only that: a
12-megapixel phone photo (7 MB, EXIF orientation 6, a GPS position) becomes an upright avatar
within the box and the limit, without its metadata. A JPEG named without an extension is judged
by its bytes, as the server judges it."""

import base64
import hashlib
import io

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from project import settings as demo
from tests.browser.conftest import log_in
from tests.images import image_bytes
from uploads.models import Upload

pytestmark = pytest.mark.django_db(transaction=True)

AVATAR_LIMIT = 2 * 2**20
RED = (220, 20, 20)


@pytest.fixture(autouse=True)
def demo_profiles(settings, app_defaults):
    # The demo's own profiles, with its resize targets; the page pins every file's SHA-256.
    settings.UPLOADS = {"REQUIRE_CHECKSUM": True, "PROFILES": demo.UPLOADS["PROFILES"]}


@pytest.fixture
def seller_page(page, make_user):
    make_user("maria")
    log_in(page, "maria", "pw-maria")
    return page


def phone_photo(path):
    """A 4000 × 3000 JPEG as a phone stores a portrait shot: the sensor's landscape pixels and EXIF
    orientation 6 (turn 90° clockwise to show), a GPS position, over 2 MB. The stored pixels' top
    left corner is red: shown upright, that corner is the top right."""
    width, height = 4000, 3000
    gradient = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 48)
    image = Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    ImageDraw.Draw(image).rectangle((0, 0, 599, 599), fill=RED)
    exif = Image.Exif()
    exif[0x010F] = "Phone"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 12.5), 3: "E", 4: (4.0, 53.0, 30.0)}  # GPS
    image.save(path, "JPEG", quality=92, exif=exif)
    return path


def is_red(pixel):
    return pixel[0] > 180 and pixel[1] < 70 and pixel[2] < 70


def test_a_phone_photo_too_large_for_an_avatar_is_shrunk_upright_without_metadata(
    seller_page, steps, tmp_path, s3
):
    page = seller_page
    photo = phone_photo(tmp_path / "IMG_2041.jpg")
    assert photo.stat().st_size > AVATAR_LIMIT
    sent = []
    page.on("request", lambda request: sent.append(request.url) if request.method == "POST" else None)
    page.get_by_role("link", name="Shop").click()
    page.wait_for_load_state()
    steps.shot("shop-form")

    page.get_by_label("Avatar").set_input_files(photo)

    row = page.get_by_role("list", name="Uploads").get_by_role("listitem").filter(has_text="IMG_2041.jpg")
    expect(row.get_by_role("status")).to_have_text("Uploaded", timeout=60_000)
    expect(row.get_by_text("768 × 1024")).to_be_visible()
    steps.shot("avatar-uploaded")

    upload = Upload.objects.get()
    assert (upload.profile, upload.status, upload.filename, upload.content_type) == (
        "avatar",
        "uploaded",
        "IMG_2041.jpg",
        "image/jpeg",
    )
    assert upload.size < AVATAR_LIMIT
    assert (upload.width, upload.height) == (768, 1024)  # inside 1024 × 1024, portrait: upright
    stored = s3.get_object(Bucket="test-uploads", Key=upload.key)["Body"].read()
    assert len(stored) == upload.size < photo.stat().st_size
    assert (
        upload.sha256 == base64.b64encode(hashlib.sha256(stored).digest()).decode()
    )  # the policy pinned these bytes
    image = Image.open(io.BytesIO(stored))
    assert (image.format, image.size) == ("JPEG", (768, 1024))
    assert "exif" not in image.info and len(image.getexif()) == 0  # no orientation left to apply, no GPS
    assert is_red(image.getpixel((740, 20))) and not is_red(image.getpixel((20, 20)))  # turned clockwise
    assert len([url for url in sent if "/complete/" in url]) == 1


def test_a_jpeg_named_without_an_extension_is_accepted_by_its_bytes(seller_page, steps, tmp_path):
    page = seller_page
    page.get_by_role("link", name="Image library").click()
    page.wait_for_load_state()
    path = tmp_path / "IMG_0042"
    path.write_bytes(image_bytes("image/jpeg", 640, 480, noise=True))

    page.get_by_label("Choose images").set_input_files(path)

    row = page.get_by_role("list", name="Uploads").get_by_role("listitem").filter(has_text="IMG_0042")
    expect(row.get_by_role("status")).to_have_text("Uploaded", timeout=30_000)
    steps.shot("extensionless-uploaded")
    upload = Upload.objects.get()
    assert (upload.filename, upload.content_type, upload.width, upload.height) == (
        "IMG_0042",
        "image/jpeg",
        640,
        480,
    )
    assert upload.size == path.stat().st_size  # within every limit: sent as picked


def test_a_browser_given_no_type_for_a_picked_file_still_sends_it_as_its_bytes_say(seller_page, tmp_path):
    page = seller_page
    page.get_by_role("link", name="Image library").click()
    page.wait_for_load_state()
    data = image_bytes("image/png", 600, 600, noise=True)

    # As Chromium describes a picked file whose name it cannot place: an empty type.
    page.get_by_label("Choose images").set_input_files({"name": "scan-0001", "mimeType": "", "buffer": data})

    row = page.get_by_role("list", name="Uploads").get_by_role("listitem").filter(has_text="scan-0001")
    expect(row.get_by_role("status")).to_have_text("Uploaded", timeout=30_000)
    assert Upload.objects.values_list("filename", "content_type").get() == ("scan-0001", "image/png")
