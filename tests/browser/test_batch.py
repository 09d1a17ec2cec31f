"""Seeing and controlling a batch in Chromium: overall progress, compact rows, the bulk buttons,
paste, reordering by touch, finger-sized targets on a phone, and one label per file input."""

import base64
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Steps, log_in
from tests.images import image_bytes
from uploads.models import Upload

pytestmark = pytest.mark.django_db(transaction=True)

PROFILES = {
    "product_image": {"ALLOWED_TYPES": ["image/jpeg", "image/png"], "MIN_WIDTH": 500, "MIN_HEIGHT": 500},
    "avatar": {"ALLOWED_TYPES": ["image/jpeg", "image/png"]},
}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def catalog_profiles(settings, app_defaults):
    settings.UPLOADS = {"PROFILES": PROFILES}


@pytest.fixture
def library(page, make_user):
    """The image library, whose uploader (the template tag) is not a form field."""
    make_user("maria")
    log_in(page, "maria", "pw-maria")
    page.goto("/")
    page.wait_for_load_state()  # module scripts have run: the uploader is mounted
    return page


@pytest.fixture
def phone(browser, site, make_user, request):
    """A phone: 390 px wide, touch screen, logged in as a seller."""
    make_user("maria")
    context = browser.new_context(base_url=site.url, viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, "maria", "pw-maria")
    page.steps = Steps(page, request.node.name)
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def photos(tmp_path, *names, size=(640, 560), noise=False):
    """JPEGs of `size`, each a pixel wider than the one before: never the same bytes twice."""
    paths = []
    width, height = size
    for offset, name in enumerate(names):
        path = tmp_path / name
        path.write_bytes(image_bytes("image/jpeg", width + offset, height, noise=noise))
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


def live_region(page):
    return page.locator(".uploader__live")


def test_thirty_files_make_a_list_that_stays_in_view_and_clear_finished_empties_it(library, steps, tmp_path):
    page = library
    names = [f"shoe-{number:02d}.jpg" for number in range(1, 31)]
    page.get_by_label("Choose images").set_input_files(photos(tmp_path, *names, size=(120, 90)))
    wait_until_uploaded(page, names)
    steps.shot("thirty-uploaded")

    listing = page.get_by_role("list", name="Uploads")
    heights = rows(page).evaluate_all("items => items.map(item => item.getBoundingClientRect().height)")
    assert len(heights) == 30 and max(heights) <= 56, f"rows of at most 56 px, not {max(heights)}"
    # 32rem at most: about nine rows in view, the rest a scroll away, the keyboard's too.
    assert listing.bounding_box()["height"] <= 520
    assert listing.evaluate("list => list.scrollHeight > list.clientHeight")
    expect(listing).to_have_attribute("tabindex", "0")

    page.get_by_role("button", name="Clear finished").click()

    expect(rows(page)).to_have_count(0)
    expect(live_region(page)).to_have_text("30 files cleared from the list.")
    expect(page.get_by_role("button", name="Clear finished")).to_be_hidden()
    expect(page.get_by_role("list", name="Your images").get_by_role("img")).to_have_count(30)
    steps.shot("cleared")
    # Only the list was cleared: the uploads are in the library.
    assert Upload.objects.filter(status="uploaded").count() == 30


def slow_uploads(page, bytes_per_second):
    """Chromium sends at most `bytes_per_second` (DevTools' network throttling)."""
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    session.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": bytes_per_second},
    )
    return session


def test_overall_progress_shows_bytes_speed_and_time_left_and_ends_with_a_summary(library, steps, tmp_path):
    page = library
    names = ["boot.jpg", "sock.jpg", "lace.jpg"]
    files = photos(tmp_path, *names, size=(700, 500), noise=True)
    total = sum(path.stat().st_size for path in files)
    slow_uploads(page, total // 6)  # about six seconds for the three

    page.get_by_label("Choose images").set_input_files(files)

    overall = page.get_by_role("progressbar", name="Overall progress")
    expect(overall).to_be_visible()
    summary = page.locator(".uploader__summary")
    expect(summary.locator(".uploader__counts")).to_have_text(re.compile(r"^[0-2] of 3 files$"))
    expect(summary.locator(".uploader__pace")).to_have_text(
        re.compile(r"^[\d.]+ (KB|MB) of [\d.]+ (KB|MB) · [\d.]+ (KB|MB)/s · about \d+ (s|min) left$"),
        timeout=10_000,
    )
    assert 0 <= int(overall.get_attribute("value")) <= 100
    expect(overall).to_have_attribute("aria-valuetext", re.compile(r"^\d+%, [0-2] of 3 files, .* left$"))
    steps.shot("travelling")
    # Each row says how far it got, in figures and to assistive technology.
    # One reading of every bar at once: a row that ends meanwhile hides its bar.
    bars = page.get_by_role("progressbar", name=re.compile("^Upload progress for"))
    said = bars.evaluate_all("bars => bars.map(bar => bar.getAttribute('aria-valuetext'))")
    assert said, "no row shows its progress"
    assert all(re.fullmatch(r"\d+%", text) for text in said), said

    wait_until_uploaded(page, names)
    expect(overall).to_be_hidden()
    expect(live_region(page)).to_have_text("3 files uploaded.")
    steps.shot("ended")


def product_form(page):
    page.goto("/products/new/")
    page.wait_for_load_state()  # module scripts have run: the uploader is mounted
    return page


def accessibility_node(page, selector):
    """Chromium's own accessibility node for `selector`: its role, name and description."""
    session = page.context.new_cdp_session(page)
    document = session.send("DOM.getDocument")
    found = session.send("DOM.querySelector", {"nodeId": document["root"]["nodeId"], "selector": selector})
    tree = session.send(
        "Accessibility.getPartialAXTree", {"nodeId": found["nodeId"], "fetchRelatives": False}
    )
    node = tree["nodes"][0]
    return {key: node.get(key, {}).get("value") for key in ("role", "name", "description")}


def test_the_widget_s_file_input_has_one_label_and_its_choose_button_still_opens_the_picker(
    library, steps, tmp_path
):
    page = product_form(library)
    file_input = page.locator("#id_images")

    assert file_input.evaluate("input => Array.from(input.labels, label => label.textContent.trim())") == [
        "Images:"
    ]
    expect(page.get_by_label("Images")).to_have_count(1)
    expect(page.get_by_label("Choose images")).to_have_count(0)
    expect(page.locator("#id_images_uploader .uploader__drop")).to_match_aria_snapshot(
        '- button "Images:"\n- paragraph: /or drop them here/'
    )
    node = accessibility_node(page, "#id_images")
    assert (node["role"], node["name"]) == ("button", "Images:")
    assert node["description"].startswith("Choose images or drop them here · JPEG, PNG up to 10 MB")

    with page.expect_file_chooser() as chooser:
        page.get_by_text("Choose images", exact=True).click()
    chooser.value.set_files(photos(tmp_path, "front.jpg"))
    wait_until_uploaded(page, ["front.jpg"])
    steps.shot("picked-through-the-choose-button")


def test_cancel_all_stops_every_file_on_its_way(library, steps, tmp_path):
    page = library
    held = []
    page.route("**/test-uploads", lambda route: held.append(route))  # S3 never answers
    names = ["one.jpg", "two.jpg", "three.jpg", "four.jpg"]
    api_calls = []  # said when a row is left behind: which calls the page made, and their answers
    page.on("request", lambda r: "/api/" in r.url and api_calls.append(f"{r.method} {r.url}"))
    page.on(
        "response", lambda r: "/api/" in r.url and api_calls.append(f"{r.status} {r.request.method} {r.url}")
    )
    page.on("requestfailed", lambda r: "/api/" in r.url and api_calls.append(f"failed {r.method} {r.url}"))

    page.get_by_label("Choose images").set_input_files(photos(tmp_path, *names))
    expect(rows(page)).to_have_count(4)
    page.wait_for_function("() => document.querySelectorAll('[data-state=uploading]').length === 3")
    steps.shot("on-their-way")
    expect(page.get_by_role("button", name="Clear finished")).to_be_hidden()
    page.get_by_role("button", name="Cancel all").click()

    expect(rows(page)).to_have_count(0)
    expect(live_region(page)).to_have_text("4 uploads cancelled.")
    expect(page.get_by_role("button", name="Cancel all")).to_be_hidden()
    expect(page.get_by_role("progressbar", name="Overall progress")).to_be_hidden()
    assert page.evaluate("document.activeElement.type") == "file", "the keyboard went back to the file input"
    steps.shot("cancelled")
    # Three rows were uploading, so three creates went out (the fourth file never left the queue).
    # A create still on its way when Cancel all was pressed makes its row after that, and the page
    # deletes it once the reply comes: so wait for three rows, all deleted, not for "all rows so far".
    # On a busy machine that may take a few seconds; as long as any other wait of these tests, at most.
    for _ in range(200):
        if list(Upload.objects.values_list("status", flat=True)) == ["deleted"] * 3:
            break
        page.wait_for_timeout(100)
    made = list(Upload.objects.values_list("filename", "status"))
    assert sorted(status for _, status in made) == ["deleted"] * 3, (
        f"uploads made: {made}; the page's API calls: {api_calls}"
    )


def test_retry_all_starts_every_failed_file_again(library, steps, tmp_path):
    page = library
    names = ["chair.jpg", "table.jpg"]
    # S3 is unreachable through the automatic retries (1 + 2 + 4 s), then comes back.
    page.route("**/test-uploads", lambda route: route.abort("connectionreset"))

    page.get_by_label("Choose images").set_input_files(photos(tmp_path, *names))
    for name in names:
        expect(rows(page).filter(has_text=name).get_by_role("alert")).to_have_text(
            "Could not reach the file storage. Check your connection and try again.", timeout=20_000
        )
    expect(live_region(page)).to_have_text("2 files failed.")
    steps.shot("failed")
    page.unroute("**/test-uploads")
    page.get_by_role("button", name="Retry all").click()

    expect(live_region(page)).to_have_text(re.compile("^(Retrying 2 files.|2 files uploaded.)$"))
    wait_until_uploaded(page, names)
    expect(page.get_by_role("button", name="Retry all")).to_be_hidden()
    expect(live_region(page)).to_have_text("2 files uploaded.")
    steps.shot("retried")


def test_in_a_form_field_only_failed_files_are_cleared(library, steps, tmp_path):
    page = product_form(library)
    good = photos(tmp_path, "front.jpg", "side.jpg")
    (small,) = photos(tmp_path, "tiny.jpg", size=(300, 300))

    page.get_by_label("Images").set_input_files([*good, small])
    wait_until_uploaded(page, ["front.jpg", "side.jpg"])
    expect(rows(page).filter(has_text="tiny.jpg").get_by_role("alert")).to_contain_text("500")
    value = page.locator("input[name=images]").input_value()
    assert len(value.split(",")) == 2
    expect(page.get_by_role("button", name="Clear finished")).to_have_count(0)
    expect(page.get_by_role("button", name="Retry all")).to_be_hidden()  # no retry could help
    steps.shot("one-failed")

    page.get_by_role("button", name="Clear failed").click()

    assert row_names(page) == ["front.jpg", "side.jpg"]
    expect(live_region(page)).to_have_text("1 file cleared from the list.")
    assert page.locator("input[name=images]").input_value() == value
    steps.shot("failed-cleared")


def paste_image(page, data, name, target="document.body"):
    """Paste a file of PNG `data` named `name` (as a browser names a copied picture) on `target`."""
    return page.evaluate(
        f"""([data, name]) => {{
          const bytes = Uint8Array.from(atob(data), (char) => char.charCodeAt(0))
          const clipboardData = new DataTransfer()
          clipboardData.items.add(new File([bytes], name, {{ type: "image/png" }}))
          const paste = new ClipboardEvent("paste", {{ clipboardData, bubbles: true, cancelable: true }})
          return !({target}).dispatchEvent(paste)
        }}""",
        [base64.b64encode(data).decode(), name],
    )


def test_a_pasted_image_is_uploaded_under_a_name_of_its_own(library, steps):
    page = library

    assert paste_image(page, image_bytes("image/png", 200, 150), "image.png"), "the page's paste was taken"

    wait_until_uploaded(page, ["pasted-image-1.png"])
    page.get_by_label("Choose images").focus()
    assert paste_image(page, image_bytes("image/png", 201, 150), "image.png", "document.activeElement")
    wait_until_uploaded(page, ["pasted-image-2.png"])
    steps.shot("pasted")
    assert sorted(Upload.objects.values_list("filename", flat=True)) == [
        "pasted-image-1.png",
        "pasted-image-2.png",
    ]


def touch_drag(page, start, end, steps=8):
    """Drag a finger from `start` to `end` ((x, y) in the viewport), as the touch screen reports it."""
    session = page.context.new_cdp_session(page)
    (x0, y0), (x1, y1) = start, end
    session.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": y0}]})
    for step in range(1, steps + 1):
        point = {"x": x0 + (x1 - x0) * step / steps, "y": y0 + (y1 - y0) * step / steps}
        session.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def centre(locator):
    box = locator.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_a_finger_reorders_the_images_by_their_handles(phone, tmp_path):
    page = product_form(phone)
    names = ["front.jpg", "side.jpg", "sole.jpg"]
    page.get_by_label("Images").set_input_files(photos(tmp_path, *names))
    wait_until_uploaded(page, names)
    by_name = {u.filename: str(u.pk) for u in Upload.objects.all()}
    page.steps.shot("uploaded")

    handle = rows(page).filter(has_text="front.jpg").locator(".uploader__handle")
    handle.scroll_into_view_if_needed()
    below_last = rows(page).filter(has_text="sole.jpg").bounding_box()
    touch_drag(page, centre(handle), (centre(handle)[0], below_last["y"] + below_last["height"] - 4))

    assert row_names(page) == ["side.jpg", "sole.jpg", "front.jpg"]
    order = ["side.jpg", "sole.jpg", "front.jpg"]
    assert page.locator("input[name=images]").input_value() == ",".join(by_name[name] for name in order)
    expect(live_region(page)).to_have_text("front.jpg is now 3 of 3.")
    first = rows(page).filter(has_text="side.jpg")
    expect(first.get_by_role("button", name="Move up")).to_be_disabled()
    page.steps.shot("reordered")


def test_move_up_is_off_on_the_first_image_below_a_failed_one(library, tmp_path):
    page = product_form(library)
    (small,) = photos(tmp_path, "tiny.jpg", size=(300, 300))
    page.get_by_label("Images").set_input_files([small])
    expect(rows(page).filter(has_text="tiny.jpg").get_by_role("alert")).to_contain_text("500")

    page.get_by_label("Images").set_input_files(photos(tmp_path, "front.jpg", "side.jpg"))
    wait_until_uploaded(page, ["front.jpg", "side.jpg"])

    assert row_names(page) == ["tiny.jpg", "front.jpg", "side.jpg"]
    front = rows(page).filter(has_text="front.jpg")
    expect(front.get_by_role("button", name="Move up")).to_be_disabled()
    rows(page).filter(has_text="side.jpg").get_by_role("button", name="Move up").click()
    assert row_names(page) == ["tiny.jpg", "side.jpg", "front.jpg"]
    expect(live_region(page)).to_have_text("side.jpg is now 1 of 2.")


def targets_under_44_px(page):
    """Every visible button, Choose control and drag handle of the uploaders smaller than 44 × 44 px."""
    return page.evaluate(
        """() => [...document.querySelectorAll(
            "[data-uploader] button, [data-uploader] .uploader__choose, [data-uploader] .uploader__handle"
          )]
          .filter((target) => target.checkVisibility())
          .map((target) => [target.textContent.trim() || target.className, target.getBoundingClientRect()])
          .filter(([, box]) => box.width < 44 || box.height < 44)
          .map(([name, box]) => `${name}: ${Math.round(box.width)} × ${Math.round(box.height)}`)"""
    )


def test_every_target_is_44_px_on_a_phone(phone, tmp_path):
    page = product_form(phone)
    (small,) = photos(tmp_path, "tiny.jpg", size=(300, 300))
    names = ["front.jpg", "side.jpg"]
    page.get_by_label("Images").set_input_files([*photos(tmp_path, *names), small])
    wait_until_uploaded(page, names)
    expect(rows(page).filter(has_text="tiny.jpg").get_by_role("alert")).to_contain_text("500")
    expect(page.get_by_role("button", name="Clear failed")).to_be_visible()
    page.steps.shot("phone")

    assert page.evaluate("() => document.querySelectorAll('[data-uploader] button').length") >= 8
    assert targets_under_44_px(page) == []


def test_every_target_is_44_px_in_a_narrow_window_without_touch(browser, site, make_user, tmp_path):
    make_user("maria")
    context = browser.new_context(base_url=site.url, viewport=PHONE)
    page = context.new_page()
    try:
        log_in(page, "maria", "pw-maria")
        page.goto("/")
        page.wait_for_load_state()
        held = []
        page.route("**/test-uploads", lambda route: held.append(route))  # on their way: Cancel buttons
        page.get_by_label("Choose images").set_input_files(photos(tmp_path, "one.jpg", "two.jpg"))
        expect(page.get_by_role("button", name="Cancel all")).to_be_visible()
        assert targets_under_44_px(page) == []
    finally:
        context.close()
