"""The bytes the image library page ("/") downloads for a seller with 20 product photos: HTML, CSS,
scripts and images, as Chromium receives them, once the variant worker has made their variants."""

from decimal import Decimal

from django.contrib.auth import get_user_model

from benchmarks import seed
from benchmarks.errors import BenchmarkError
from benchmarks.stats import Figure, Stat
from project.catalog.models import Product
from uploads import services

SELLER = "shop"
TARGET_MB = 1.5
PER_PRODUCT = 8  # the catalog's max_count


def seed_seller(photos):
    """A seller of their own whose library holds exactly ``photos``: uploaded as product images,
    attached to products (the library leaves out unattached ones) and approved by staff."""
    ids = seed.as_new_user(SELLER, photos, "product_image")
    seller = get_user_model().objects.get(username=SELLER)
    for start in range(0, len(ids), PER_PRODUCT):
        product = Product.objects.create(
            seller=seller, title=f"Product {start // PER_PRODUCT + 1}", price=Decimal("19.90")
        )
        product.images.set(ids[start : start + PER_PRODUCT])
    staff = get_user_model().objects.get(username="staff")
    for upload_id in ids:
        services.decide(upload_id, staff, "approved")
    return ids


SCROLL_TO_END = """async () => {
  // Step through the page as a reader would, so every lazily loaded image is asked for.
  for (let y = 0; y < document.body.scrollHeight; y += window.innerHeight / 2) {
    window.scrollTo(0, y)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  window.scrollTo(0, document.body.scrollHeight)
}"""

IMAGES_SHOWN = """() => Array.from(document.images)
  .map(img => ({src: img.currentSrc.split("?")[0], loaded: img.complete && img.naturalWidth > 0, width: img.naturalWidth}))"""


def page_bytes(browser, session):
    """``{first_screen, all}``: each ``{total, images, responses, by_type}`` in bytes (encoded
    bodies plus response headers, as received), for a fresh page with an empty cache; and the
    images it shows."""
    context = browser.browser.new_context(base_url=browser.base_url)
    context.add_cookies([{"name": "sessionid", "value": session, "url": browser.base_url}])
    page = context.new_page()
    page.set_default_timeout(120_000)
    finished, failed = [], []
    page.on("requestfinished", lambda request: finished.append(request))
    page.on("requestfailed", lambda request: failed.append(f"{request.url}: {request.failure}"))
    page.on(
        "response",
        lambda response: response.status >= 400 and failed.append(f"{response.url}: {response.status}"),
    )
    try:
        page.goto("/", wait_until="networkidle")
        if "/accounts/login/" in page.url:
            raise BenchmarkError("the library page sent the seller to the login page")
        first_screen = _sum(finished)
        page.evaluate(SCROLL_TO_END)
        page.wait_for_load_state("networkidle")
        everything = _sum(finished)
        shown = page.evaluate(IMAGES_SHOWN)
    finally:
        context.close()
    if failed:
        raise BenchmarkError(f"the library page could not load {len(failed)} resources, first {failed[0]}")
    return {"first_screen": first_screen, "all": everything, "images_shown": shown}


def _sum(requests):
    total = images = 0
    kinds = {}
    for request in list(requests):
        sizes = request.sizes()
        received = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        total += received
        if request.resource_type == "image":
            images += received
        count, size = kinds.get(request.resource_type, (0, 0))
        kinds[request.resource_type] = (count + 1, size + received)
    by_type = {kind: {"responses": count, "bytes": size} for kind, (count, size) in sorted(kinds.items())}
    return {"total": total, "images": images, "responses": len(requests), "by_type": by_type}


def figures(measured, count):
    everything, first = measured["all"], measured["first_screen"]
    shown = measured["images_shown"]
    loaded = sum(1 for image in shown if image["loaded"])
    widths = sorted({image["width"] for image in shown if image["loaded"]})
    total_mb = everything["total"] / 1e6
    kinds = ", ".join(f"{kind} {size['responses']}" for kind, size in everything["by_type"].items())
    return [
        Figure(
            f"library page, {count} product images: bytes downloaded",
            Stat.once(total_mb, "MB"),
            Stat.once(TARGET_MB, "MB"),
            "target",
            target=f"≤ {TARGET_MB} MB",
            met=total_mb <= TARGET_MB,
            note=f"scrolled to the end; {everything['responses']} responses ({kinds}); first screen only: {first['total'] / 1e6:.2f} MB; {loaded} of {len(shown)} images loaded, {widths[0] if widths else 0}–{widths[-1] if widths else 0} px wide",
        ),
        Figure(
            f"library page, {count} product images: image bytes",
            Stat.once(everything["images"] / 1e6, "MB"),
            note=f"first screen only: {first['images'] / 1e6:.2f} MB",
        ),
    ]
