"""The demo's seller app in Chromium: a product's images go straight to SeaweedFS through the
form's uploader, in the seller's order, and survive a form error."""

import re

import pytest
from playwright.sync_api import expect

from project.catalog.models import Product
from tests.browser.conftest import log_in
from tests.images import image_bytes
from uploads.models import Upload

pytestmark = pytest.mark.django_db(transaction=True)

PROFILES = {
    "product_image": {
        "ALLOWED_TYPES": ["image/jpeg", "image/png", "image/webp"],
        "MIN_WIDTH": 500,
        "MIN_HEIGHT": 500,
        "KEY_PREFIX": "products",
    },
    "avatar": {"ALLOWED_TYPES": ["image/jpeg", "image/png"]},
}
PRODUCT_VARIANTS = {"VARIANTS": {"thumb": {"size": 320}, "card": {"size": 800}, "zoom": {"size": 2000}}}


@pytest.fixture(autouse=True)
def catalog_profiles(settings, app_defaults):
    settings.UPLOADS = {"PROFILES": PROFILES}


@pytest.fixture
def with_variants(settings, run_tasks):
    """Pages show images by their variants: made here as soon as an upload is verified."""
    settings.UPLOADS = {
        "VARIANTS": {"thumb": {"size": 320}},
        "PROFILES": {**PROFILES, "product_image": {**PROFILES["product_image"], **PRODUCT_VARIANTS}},
    }


@pytest.fixture
def seller_page(page, make_user):
    make_user("maria")
    log_in(page, "maria", "pw-maria")
    return page


def photos(tmp_path, *names, size=(640, 560)):
    paths = []
    for name in names:
        path = tmp_path / name
        path.write_bytes(image_bytes("image/jpeg", *size, noise=True))
        paths.append(path)
    return paths


def rows(page):
    return page.get_by_role("list", name="Uploads").get_by_role("listitem")


def row_names(page):
    return rows(page).locator(".uploader__name").all_inner_texts()


def wait_until_uploaded(page, names):
    for name in names:
        expect(rows(page).filter(has_text=name).get_by_role("status")).to_have_text(
            "Uploaded", timeout=30_000
        )


def field_value(page, name="images"):
    return page.locator(f"input[type=hidden][name={name}]").input_value()


def test_a_seller_creates_a_product_orders_its_images_and_sees_them_on_its_page(
    seller_page, steps, tmp_path, with_variants
):
    page = seller_page
    page.get_by_role("link", name="Products").click()
    page.get_by_role("link", name="New product").click()
    page.get_by_label("Title").fill("Trail shoe")
    page.get_by_label("Price").fill("89.90")
    names = ["front.jpg", "side.jpg", "sole.jpg"]
    page.get_by_label("Images").set_input_files(photos(tmp_path, *names))
    wait_until_uploaded(page, names)
    assert row_names(page) == names
    steps.shot("three-uploaded")

    page.get_by_role("button", name=re.compile("Move up")).and_(
        rows(page).filter(has_text="sole.jpg").get_by_role("button", name=re.compile("Move up"))
    ).click()
    rows(page).filter(has_text="front.jpg").get_by_role("button", name=re.compile("Move down")).click()
    assert row_names(page) == ["sole.jpg", "front.jpg", "side.jpg"]
    by_name = {u.filename: str(u.pk) for u in Upload.objects.filter(status="uploaded")}
    assert field_value(page) == ",".join(by_name[n] for n in ["sole.jpg", "front.jpg", "side.jpg"])
    steps.shot("reordered")

    page.get_by_role("button", name="Save product").click()
    expect(page.get_by_role("heading", name="Trail shoe")).to_be_visible()
    steps.shot("product-page")

    product = Product.objects.get()
    assert [u.filename for u in product.images.all()] == ["sole.jpg", "front.jpg", "side.jpg"]
    images = page.get_by_role("list", name="Images of Trail shoe").get_by_role("img")
    expect(images).to_have_count(3)
    originals = [upload.key for upload in product.images.all()]
    for image in images.all():
        shown = image.get_attribute("src")
        assert "X-Amz-Signature=" in shown and "/variants/" in shown
        assert not [key for key in originals if key in shown], "the card variant, never the original"
        image.scroll_into_view_if_needed()
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") == 640  # the card is never larger than its source


def test_a_form_error_after_upload_keeps_the_images(seller_page, steps, tmp_path, with_variants):
    page = seller_page
    page.goto("/products/new/")
    page.get_by_label("Title").fill("Rain jacket")
    page.get_by_label("Price").fill("-5")
    names = ["jacket.jpg", "hood.jpg"]
    page.get_by_label("Images").set_input_files(photos(tmp_path, *names))
    wait_until_uploaded(page, names)

    page.get_by_role("button", name="Save product").click()
    expect(page.get_by_text("Ensure this value is greater than or equal to 0.")).to_be_visible()
    steps.shot("form-error")

    assert row_names(page) == names, "the uploaded images are still there after the page re-rendered"
    for name in names:
        thumbnail = rows(page).filter(has_text=name).get_by_role("img", name=name)
        expect(thumbnail).to_have_js_property("complete", True)
        assert thumbnail.evaluate("img => img.naturalWidth") > 0
    assert not Product.objects.exists()

    page.get_by_label("Price").fill("120")
    page.get_by_role("button", name="Save product").click()
    expect(page.get_by_role("heading", name="Rain jacket")).to_be_visible()
    assert [u.filename for u in Product.objects.get().images.all()] == names
    steps.shot("saved")


def test_removing_an_image_before_saving_leaves_it_out(seller_page, tmp_path):
    page = seller_page
    page.goto("/products/new/")
    page.get_by_label("Title").fill("Cap")
    page.get_by_label("Price").fill("15")
    names = ["cap.jpg", "wrong.jpg"]
    page.get_by_label("Images").set_input_files(photos(tmp_path, *names))
    wait_until_uploaded(page, names)

    rows(page).filter(has_text="wrong.jpg").get_by_role("button", name=re.compile("Remove")).click()
    expect(rows(page)).to_have_count(1)
    page.get_by_role("button", name="Save product").click()
    expect(page.get_by_role("heading", name="Cap")).to_be_visible()

    assert [u.filename for u in Product.objects.get().images.all()] == ["cap.jpg"]
    # Uploaded on this page and never attached: the page deleted it (a request nobody waits for).
    for _ in range(200):
        if Upload.objects.get(filename="wrong.jpg").status == "deleted":
            break
        page.wait_for_timeout(100)
    assert Upload.objects.get(filename="wrong.jpg").status == "deleted"


def test_a_too_small_photo_is_refused_with_the_reason(seller_page, tmp_path):
    page = seller_page
    page.goto("/products/new/")
    (small,) = photos(tmp_path, "thumb.jpg", size=(300, 300))

    page.get_by_label("Images").set_input_files([small])

    row = rows(page).filter(has_text="thumb.jpg")
    expect(row.get_by_role("alert")).to_contain_text("500", timeout=30_000)
    assert field_value(page) == ""


def test_saving_waits_while_an_image_is_still_uploading(seller_page, live_server, local_s3, tmp_path):
    page = seller_page
    held, released = [], False

    def hold(route):  # S3 answers nothing until released
        if released:
            route.continue_()
        else:
            held.append(route)

    page.route(f"{local_s3.endpoint_url}/**", hold)
    page.goto("/products/new/")
    page.get_by_label("Title").fill("Belt")
    page.get_by_label("Price").fill("20")
    page.get_by_label("Images").set_input_files(photos(tmp_path, "belt.jpg"))
    page.wait_for_function("() => document.querySelector('[data-state=uploading]') !== null")

    page.get_by_role("button", name="Save product").click()

    expect(page.get_by_text(re.compile(r"Wait for 1 image to finish uploading"))).to_be_visible()
    assert page.url.endswith("/products/new/")
    # Not unroute(): with no route left, the browser lets held requests go by itself, and
    # continuing one then fails ("Route is already handled!").
    released = True
    for route in held:
        route.continue_()
    wait_until_uploaded(page, ["belt.jpg"])
    page.get_by_role("button", name="Save product").click()
    expect(page.get_by_role("heading", name="Belt")).to_be_visible()


def test_staff_attach_images_in_the_admin_and_in_an_added_inline(page, make_user, tmp_path, steps):
    make_user("maria")
    make_user("boss", is_staff=True, is_superuser=True)
    log_in(page, "boss", "pw-boss")
    page.goto("/admin/catalog/product/add/")
    page.get_by_label("Seller").select_option(label="maria")
    page.get_by_label("Title").fill("Scarf")
    page.get_by_label("Price").fill("30")
    page.locator("#id_images").set_input_files(photos(tmp_path, "scarf.jpg"))
    wait_until_uploaded(page, ["scarf.jpg"])

    page.get_by_role("button", name="Add another Variant").click()
    page.locator("input[name=variants-0-name]").fill("Red")
    described = page.locator("#id_variants-0-image").get_attribute("aria-describedby")
    assert "__prefix__" not in described and "id_variants-0-image_hint" in described
    page.locator("#id_variants-0-image").set_input_files(photos(tmp_path, "red.jpg", size=(600, 520)))
    red_row = page.locator("#id_variants-0-image_uploader").get_by_role("listitem").filter(has_text="red.jpg")
    expect(red_row.get_by_role("status")).to_have_text("Uploaded", timeout=30_000)
    steps.shot("admin-filled")

    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was added successfully")).to_be_visible()

    product = Product.objects.get()
    assert [u.filename for u in product.images.all()] == ["scarf.jpg"]
    assert product.variants.get().image.filename == "red.jpg"


def test_a_german_browser_gets_the_uploader_in_german(browser, site, make_user, tmp_path):
    make_user("jonas")
    context = browser.new_context(base_url=site.url, locale="de-DE")
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        log_in(page, "jonas", "pw-jonas")
        page.goto("/products/new/")
        expect(page.get_by_text("Bilder auswählen")).to_be_visible()

        page.locator("#id_images").set_input_files(photos(tmp_path, "schuh.jpg", "sohle.jpg"))

        for name in ("schuh.jpg", "sohle.jpg"):
            expect(rows(page).filter(has_text=name).get_by_role("status")).to_have_text(
                "Hochgeladen", timeout=30_000
            )
        first = rows(page).filter(has_text="schuh.jpg")
        expect(first.get_by_role("button", name="Nach unten")).to_be_enabled()
        expect(first.get_by_role("button", name="Nach oben")).to_be_disabled()
        expect(first.get_by_role("button", name="Entfernen")).to_be_visible()
    finally:
        context.close()


def test_a_german_browser_gets_the_uploader_in_german_in_the_admin(browser, site, make_user, tmp_path):
    # The admin's jquery.init.js replaces window.django after the catalogues have loaded: the
    # uploader's texts must not depend on it.
    make_user("chefin", is_staff=True, is_superuser=True)
    context = browser.new_context(base_url=site.url, locale="de-DE")
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        log_in(page, "chefin", "pw-chefin")
        page.goto("/admin/catalog/product/add/")
        page.locator("#id_images").set_input_files(photos(tmp_path, "schal.jpg", "muetze.jpg"))

        for name in ("schal.jpg", "muetze.jpg"):
            expect(rows(page).filter(has_text=name).get_by_role("status")).to_have_text(
                "Hochgeladen", timeout=30_000
            )
        first = rows(page).filter(has_text="schal.jpg")
        expect(first.get_by_text("Titelbild")).to_be_visible()
        expect(first.get_by_role("button", name="Nach oben")).to_be_disabled()
        expect(first.get_by_role("button", name="Nach unten")).to_be_enabled()
        expect(first.get_by_role("button", name="Entfernen")).to_be_visible()
        expect(first.locator(".uploader__details")).to_contain_text(" KB")
        assert errors == []
    finally:
        context.close()


def test_a_seller_deletes_an_unused_image_from_the_library_and_is_told_where_a_used_one_is(
    seller_page, steps, tmp_path, with_variants
):
    page = seller_page
    page.goto("/")
    page.wait_for_load_state()  # module scripts have run: the uploader is mounted
    names = ["lamp.jpg", "spare.jpg"]
    page.get_by_label("Choose images").set_input_files(photos(tmp_path, *names))
    gallery = page.get_by_role("list", name="Your images")
    for name in names:
        thumbnail = gallery.get_by_role("img", name=name)
        expect(thumbnail).to_have_js_property("complete", True)  # joined at once, without a reload
        shown = thumbnail.get_attribute("src")
        assert shown.startswith("blob:") or "/variants/" in shown, (
            "a preview or a variant, never the original"
        )
    steps.shot("joined-the-library")

    lamp = Upload.objects.get(filename="lamp.jpg")
    Product.objects.create(seller=lamp.owner, title="Desk lamp", price="40").images.set([lamp])
    page.reload()
    item = gallery.get_by_role("listitem").filter(has_text="lamp.jpg")
    expect(item.get_by_role("link", name="On product “Desk lamp”")).to_be_visible()
    item.get_by_role("button", name="Delete permanently").click()
    expect(page.get_by_role("alert")).to_have_text(
        "“lamp.jpg” is used on product “Desk lamp”; remove it there first."
    )
    steps.shot("refused")

    spare = gallery.get_by_role("listitem").filter(has_text="spare.jpg")
    spare.get_by_role("button", name="Delete permanently").click()
    expect(page.locator(".messages").get_by_role("status")).to_have_text("Deleted “spare.jpg”.")
    expect(gallery.get_by_role("img")).to_have_count(1)
    steps.shot("deleted")
    assert sorted(Upload.objects.values_list("filename", "status")) == [
        ("lamp.jpg", "uploaded"),
        ("spare.jpg", "deleted"),
    ]
