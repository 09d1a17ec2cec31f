"""axe-core finds nothing to fix on every page that shows an uploader, in English and in German,
idle and with a row uploading, failed or done; and each file input has exactly one label."""

import datetime
import json
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

import project.settings
from project.catalog.models import Product
from tests.browser.conftest import log_in
from tests.images import image_bytes
from uploads import keys
from uploads.models import Upload

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

# WCAG 2.0, 2.1 and 2.2 at levels A and AA (axe has no 2.2 level-A rule, so no "wcag22a"). Its
# "best-practice" rules are advice beyond WCAG and stay out.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

LOCALES = {"en": "en-US", "de": "de-DE"}

# Each page with an uploader: who looks at it, and which uploader the states are shown in.
PAGES = {
    "library": ("maria", "[data-uploader]"),
    "product-new": ("maria", "#id_images_uploader"),
    "product-edit": ("maria", "#id_images_uploader"),
    "avatar": ("maria", "#id_avatar_uploader"),
    "admin-product": ("boss", "#id_images_uploader"),
}
STATES = ["idle", "uploading", "failed", "done"]


@pytest.fixture(autouse=True)
def demo_uploads(settings, app_defaults):
    """The demo's own UPLOADS (its profiles, review and variants), as a seller meets them."""
    settings.UPLOADS = dict(project.settings.UPLOADS)


@pytest.fixture
def axe_script():
    if not AXE.exists():
        pytest.fail(
            f"{AXE} is missing: run scripts/setup.sh, which installs package-lock.json (axe-core) with npm ci."
        )
    return AXE


@pytest.fixture
def language():
    """English unless a test is parametrized over languages."""
    return "en"


@pytest.fixture
def page(browser, site, language):
    """A page whose browser asks for `language` (Accept-Language), failing on any script error."""
    context = browser.new_context(
        base_url=site.url, locale=LOCALES[language], viewport={"width": 1100, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture
def make_upload():
    """A verified upload row as ``complete`` leaves it, without its object in S3."""

    def make(owner, filename, **fields):
        return Upload.objects.create(
            owner=owner,
            profile="product_image",
            key=keys.build_key(owner.pk, filename, "image/jpeg", profile="product_image"),
            filename=filename,
            content_type="image/jpeg",
            size=123_456,
            width=800,
            height=600,
            status=Upload.Status.UPLOADED,
            expires_at=timezone.now() + datetime.timedelta(minutes=10),
            **fields,
        )

    return make


@pytest.fixture
def shop(make_user, make_upload):
    """Maria sells a boot with two images; Boss is staff."""
    maria = make_user("maria")
    make_user("boss", is_staff=True, is_superuser=True)
    boot = Product.objects.create(seller=maria, title="Hiking boot", price="120")
    boot.images.set([make_upload(maria, "boot-front.jpg"), make_upload(maria, "boot-side.jpg")])
    return {"maria": maria, "boot": boot}


def address(name, shop):
    boot = shop["boot"].pk
    return {
        "library": "/",
        "product-new": "/products/new/",
        "product-edit": f"/products/{boot}/edit/",
        "avatar": "/products/profile/",
        "admin-product": f"/admin/catalog/product/{boot}/change/",
    }[name]


def open_page(page, name, shop):
    user, uploader = PAGES[name]
    log_in(page, user, f"pw-{user}")
    page.goto(address(name, shop))
    page.wait_for_load_state()  # module scripts have run: the uploader is mounted
    return page.locator(uploader).first


def violations(page, axe_script):
    """axe's WCAG A/AA violations on the page as it is now."""
    page.add_script_tag(path=axe_script)
    return page.evaluate(
        """tags => axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})
          .then(results => results.violations)""",
        WCAG_TAGS,
    )


def explain(found):
    """Each violation as what to fix: rule, impact, help, and the elements it found."""
    lines = []
    for violation in found:
        lines.append(
            f"{violation['id']} ({violation['impact']}): {violation['help']} — {violation['helpUrl']}"
        )
        for node in violation["nodes"]:
            lines.append(f"    {json.dumps(node['target'])}: {node['html'][:200]}")
            if node.get("failureSummary"):
                lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
    return "\n".join(lines)


def assert_accessible(page, axe_script, steps, label):
    steps.shot(label)
    found = violations(page, axe_script)
    assert found == [], f"axe found {len(found)} WCAG violation(s) on {page.url} ({label}):\n{explain(found)}"


def a_photo(tmp_path, name, width=640):
    path = tmp_path / name
    path.write_bytes(image_bytes("image/jpeg", width, 560))
    return path


def row_in(uploader, name, state):
    return uploader.locator(f".uploader__file[data-state={state}]").filter(has_text=name)


@pytest.mark.parametrize("language", LOCALES)
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_violation_on_a_page_with_an_uploader(
    page, name, state, language, shop, local_s3, axe_script, tmp_path, run_tasks, steps
):
    uploader = open_page(page, name, shop)
    file_input = uploader.locator("input[type=file]")

    if state == "uploading":
        # S3 never answers the POST: the row stays "uploading" for as long as axe needs.
        page.route(f"{local_s3.endpoint_url}/**", lambda route: None)
        file_input.set_input_files(a_photo(tmp_path, "held.jpg"))
        expect(row_in(uploader, "held.jpg", "uploading")).to_be_visible()
    elif state == "failed":
        fake = tmp_path / "fake.png"
        fake.write_bytes(b"<html><script>alert(1)</script></html>")
        file_input.set_input_files(fake)
        expect(row_in(uploader, "fake.png", "failed").get_by_role("alert")).to_be_visible(timeout=30_000)
    elif state == "done":
        file_input.set_input_files(a_photo(tmp_path, "done.jpg"))
        expect(row_in(uploader, "done.jpg", "done")).to_be_visible(timeout=30_000)

    assert_accessible(page, axe_script, steps, state)


@pytest.mark.parametrize("language", LOCALES)
def test_axe_finds_no_violation_on_an_uploads_review_page(page, shop, make_upload, axe_script, steps):
    upload = make_upload(shop["maria"], "to-review.jpg")
    log_in(page, "boss", "pw-boss")
    page.goto(f"/admin/uploads/upload/{upload.pk}/change/")
    expect(page.locator(".uploads-review-reject")).to_be_visible()  # the review form is there

    assert_accessible(page, axe_script, steps, "review-form")


@pytest.mark.parametrize("language", LOCALES)
@pytest.mark.parametrize("name", PAGES)
def test_each_file_input_has_exactly_one_label(page, name, language, shop):
    open_page(page, name, shop)
    inputs = page.locator("[data-uploader] input[type=file]")
    expect(inputs.first).to_be_attached()

    labels = inputs.evaluate_all(
        "inputs => inputs.map(input => [input.id, Array.from(input.labels, label => label.textContent.trim())])"
    )
    assert [(id, texts) for id, texts in labels if len(texts) != 1] == [], (
        "each file input needs exactly one label, not two (the form's “Images:” and the uploader's “Choose images”)"
    )


@pytest.fixture
def django_admin_base_site(settings, tmp_path):
    """The admin as a project without the demo's ``admin/base_site.html`` (which underlines the
    breadcrumb links) renders it: Django's own template, found before the demo's."""
    import django.contrib.admin

    own = Path(django.contrib.admin.__file__).parent / "templates" / "admin" / "base_site.html"
    folder = tmp_path / "templates" / "admin"
    folder.mkdir(parents=True)
    (folder / "base_site.html").write_text(own.read_text())
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [
        {**engine, "DIRS": [tmp_path / "templates", *engine["DIRS"]]},
        *settings.TEMPLATES[1:],
    ]


REVIEW_PAGES = {
    "review-form": lambda upload: f"/admin/uploads/upload/{upload.pk}/change/",
    "review-list": lambda upload: "/admin/uploads/upload/",
    "review-grid": lambda upload: "/admin/uploads/upload/?view=grid",
}


@pytest.mark.parametrize("name", REVIEW_PAGES)
def test_the_apps_review_pages_pass_without_the_demos_admin_template(
    page, name, shop, make_upload, axe_script, steps, django_admin_base_site
):
    """The app's own review.css underlines Django's breadcrumb links (axe: link-in-text-block), so a
    project whose admin has no such rule of its own passes too."""
    upload = make_upload(shop["maria"], "to-review.jpg")
    log_in(page, "boss", "pw-boss")
    page.goto(REVIEW_PAGES[name](upload))
    # Django 5.2 and 6.0 put them in a div.breadcrumbs, 6.1 in an ol.breadcrumbs.
    expect(page.locator(".breadcrumbs a").first).to_be_visible()
    # The demo's rule is not on the page: what underlines the links is the app's stylesheet.
    assert ".breadcrumbs a { text-decoration" not in page.content()
    underline = page.locator(".breadcrumbs a").first.evaluate("a => getComputedStyle(a).textDecorationLine")
    assert underline == "underline"

    assert_accessible(page, axe_script, steps, name)
