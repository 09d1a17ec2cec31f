"""A seller with no mouse: signs in, fills a product, uploads three images, reorders them and saves,
with Tab, Shift+Tab, Enter and Space alone."""

import pytest
from playwright.sync_api import expect

import project.settings
from project.catalog.models import Product
from tests.images import image_bytes
from uploads.models import Upload

pytestmark = pytest.mark.django_db(transaction=True)

# Where the keyboard is: enough to tell the form's fields and each row's buttons apart. `shown`:
# the focused element, or for the visually hidden file input its "Choose images" button, is on
# screen with a focus outline.
FOCUSED = """() => {
  const element = document.activeElement
  const row = element.closest(".uploader__file")
  const box = element.getBoundingClientRect()
  const indicator = box.width > 1 && box.height > 1
    ? element
    : element.closest("[data-uploader-drop]")?.querySelector(".uploader__choose")
  const drawn = indicator?.getBoundingClientRect()
  return {
    id: element.id,
    chooser: element.closest("[data-uploader-drop]") !== null,
    action: element.dataset.action ?? "",
    row: row?.querySelector(".uploader__name")?.textContent.trim() ?? "",
    text: element.tagName === "BUTTON" ? element.textContent.trim() : "",
    shown: Boolean(drawn?.width && drawn.height && getComputedStyle(indicator).outlineStyle !== "none"),
  }
}"""


@pytest.fixture(autouse=True)
def demo_uploads(settings, app_defaults):
    """The demo's own UPLOADS: product images of at least 500 × 500 px, checksummed."""
    settings.UPLOADS = dict(project.settings.UPLOADS)


def focused(page):
    return page.evaluate(FOCUSED)


def press_until(page, key, **wanted):
    """Press `key` until the focused element has `wanted`; fails with where the focus went."""
    path = []
    for _ in range(30):
        page.keyboard.press(key)
        now = focused(page)
        path.append({name: value for name, value in now.items() if value})
        if all(now[name] == value for name, value in wanted.items()):
            return now
    raise AssertionError(f"{key} never reached {wanted}; the focus went {path}")


def assert_focus(page, **wanted):
    now = focused(page)
    assert {name: now[name] for name in wanted} == wanted, f"the focus is on {now}"
    assert now["shown"], f"the focus is on {now}, which shows no focus"


def row_names(page):
    return page.locator("#id_images_uploader .uploader__file .uploader__name").all_inner_texts()


def field_ids(page):
    return page.locator("input[type=hidden][name=images]").input_value().split(",")


def test_a_product_is_made_and_its_images_uploaded_and_reordered_by_keyboard_alone(
    page, steps, make_user, tmp_path
):
    make_user("maria")
    names = ["front.jpg", "side.jpg", "sole.jpg"]
    files = []
    for width, name in zip((640, 660, 680), names, strict=True):
        files.append(tmp_path / name)
        files[-1].write_bytes(image_bytes("image/jpeg", width, 560))

    page.goto("/accounts/login/")
    press_until(page, "Tab", id="id_username")
    page.keyboard.type("maria")
    press_until(page, "Tab", id="id_password")
    page.keyboard.type("pw-maria")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your products")).to_be_visible()

    page.goto("/products/new/")
    page.wait_for_load_state()  # module scripts have run: the uploader is mounted
    press_until(page, "Tab", id="id_title")
    page.keyboard.type("Trail shoe")
    press_until(page, "Tab", id="id_price")
    page.keyboard.type("89.90")

    press_until(page, "Tab", chooser=True)
    assert_focus(page, chooser=True)
    steps.shot("chooser-focused")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(files)
    expect(page.locator("#id_images_uploader .uploader__file[data-state=done]")).to_have_count(
        3, timeout=30_000
    )
    assert row_names(page) == names
    ids = {upload.filename: str(upload.pk) for upload in Upload.objects.all()}
    assert field_ids(page) == [ids[name] for name in names]
    steps.shot("uploaded")

    # The first row's Move up is off: Tab passes it.
    press_until(page, "Tab", row="front.jpg", action="Move down")
    page.keyboard.press("Enter")
    assert row_names(page) == ["side.jpg", "front.jpg", "sole.jpg"]
    assert_focus(page, row="front.jpg", action="Move down")

    page.keyboard.press("Space")
    assert row_names(page) == ["side.jpg", "sole.jpg", "front.jpg"]
    # Last now: Move down is off, so the keyboard stays on the row, on its Move up.
    assert_focus(page, row="front.jpg", action="Move up")

    press_until(page, "Shift+Tab", row="sole.jpg", action="Move up")
    page.keyboard.press("Enter")
    order = ["sole.jpg", "side.jpg", "front.jpg"]
    assert row_names(page) == order
    assert_focus(page, row="sole.jpg", action="Move down")
    assert field_ids(page) == [ids[name] for name in order]
    steps.shot("reordered")

    press_until(page, "Tab", text="Save product")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Trail shoe")).to_be_visible()
    steps.shot("saved")
    assert [upload.filename for upload in Product.objects.get().images.all()] == order
