"""The peer we compare with: django-s3direct 2.0.3, set up for the same bucket and endpoint as ours.

s3direct signs in two views: ``get_upload_params`` checks the file once and answers the key and
bucket, then its widget (Evaporate) does an S3 multipart upload and asks ``get_aws_v4_signature``
to sign every S3 request of it: initiate, each 20 MB part, complete.
"""

import hashlib
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.template import engines
from django.urls import path
from s3direct.views import generate_aws_v4_signature, get_upload_params
from s3direct.widgets import S3DirectWidget

DEST = "bench"
MAX_SIZE = 10 * 2**20
ALLOWED_TYPES = ["image/jpeg", "image/png", "image/webp", "image/gif", "image/avif"]

# s3direct's widget reverses these names without a namespace; the paths assume the
# include at "peer/" in benchmarks/urls.py.
UPLOAD_PARAMS_URL_NAME = "s3direct"
SIGNATURE_URL_NAME = "s3direct-signing"
UPLOAD_PARAMS_PATH = "/peer/get_upload_params/"
SIGNATURE_PATH = "/peer/get_aws_v4_signature/"
WIDGET_PATH = "/peer/widget/"

INSTALLED_APPS = ["s3direct"]


def object_key(filename):
    """A fresh key per upload, as ours picks one: ``peer/<uuid>/<name as sent>``."""
    return f"peer/{uuid.uuid4()}/{filename}"


# s3direct reads the bucket, region, endpoint and keys from the AWS_* settings we already have.
SETTINGS = {
    "S3DIRECT_DESTINATIONS": {
        DEST: {
            "key": object_key,
            "allowed": ALLOWED_TYPES,
            "content_length_range": (1, MAX_SIZE),
            "auth": lambda user: user.is_authenticated,
            "acl": "private",
        },
    },
}


class PeerForm(forms.Form):
    # Not a URLField: that reads settings when created, and settings.py imports this module.
    image = forms.CharField(widget=S3DirectWidget(dest=DEST))


WIDGET_TEMPLATE = Path(__file__).parent / "templates" / "peer" / "widget.html"


@login_required
def widget(request):
    """A page with one s3direct widget and its media, for a real browser to upload through."""
    # benchmarks is not an installed app, so its templates are not on the loaders' path.
    template = engines["django"].from_string(WIDGET_TEMPLATE.read_text())
    return HttpResponse(template.render({"form": PeerForm()}, request))


urlpatterns = [
    path("get_upload_params/", get_upload_params, name=UPLOAD_PARAMS_URL_NAME),
    path("get_aws_v4_signature/", generate_aws_v4_signature, name=SIGNATURE_URL_NAME),
    path("widget/", widget, name="peer-widget"),
]


def upload_params_data(filename, content_type, size):
    """The form the widget POSTs to get_upload_params when a file is chosen."""
    return {"dest": DEST, "name": filename, "type": content_type, "size": str(size)}


def signature_data(
    key="peer/0/photo.jpg",
    *,
    bucket="demo-uploads",
    host="s3.us-east-1.amazonaws.com",
    region="us-east-1",
    now=None,
):
    """The form the widget POSTs to get_aws_v4_signature for one S3 request (here: initiate).

    Evaporate builds the SigV4 string to sign in the browser, URL-encodes it and sends it with
    its timestamp; the view only HMACs it, so only its shape matters, not its exact bytes.
    """
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    empty = hashlib.sha256(b"").hexdigest()
    headers = {"host": host, "content-type": "image/jpeg", "x-amz-acl": "private", "x-amz-date": stamp}
    canonical = "\n".join(
        [
            "POST",
            f"/{bucket}/{quote(key)}",
            "uploads=",
            "".join(f"{name}:{value}\n" for name, value in sorted(headers.items())),
            ";".join(sorted(headers)),
            empty,
        ]
    )
    scope = f"{stamp[:8]}/{region}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    # encodeURIComponent keeps these; Python's quote would escape them.
    return {"to_sign": quote(to_sign, safe="!~*'()"), "datetime": stamp, "dest": DEST}


def count_signing_requests(base_url, page, file_paths, timeout=120):
    """Upload files one after another through the widget and count the requests the page makes.

    ``page`` is a logged-in Playwright (sync) page. Each file goes through the same widget:
    "Remove", choose the file, wait until the widget shows the link to the stored object.
    Any failed request is an error, since a retry would change the count.
    """
    origin = base_url.rstrip("/")
    seen = {"params": 0, "signature": 0, "s3": 0}
    failures, alerts = [], []

    def kind(url):
        if not url.startswith(origin):
            return "s3"  # the page talks to nothing else
        return {UPLOAD_PARAMS_PATH: "params", SIGNATURE_PATH: "signature"}.get(urlsplit(url).path)

    def on_request(request):
        if kind(request.url):
            seen[kind(request.url)] += 1

    def on_response(response):
        if kind(response.url) and response.status >= 400:
            failures.append(f"{response.request.method} {response.url}: {response.status}")

    def on_failed(request):
        if kind(request.url):
            failures.append(f"{request.method} {request.url}: {request.failure}")

    def on_dialog(dialog):  # s3direct reports every failure with alert()
        alerts.append(dialog.message)
        dialog.dismiss()

    page.goto(origin + WIDGET_PATH)
    widget_box = page.locator(".s3direct")
    page.on("request", on_request)
    page.on("response", on_response)
    page.on("requestfailed", on_failed)
    page.on("dialog", on_dialog)
    try:
        for file_path in file_paths:
            if "link-active" in widget_box.get_attribute("class"):
                widget_box.get_by_role("link", name="Remove").click()
            widget_box.locator(".file-input").set_input_files(file_path)
            _wait_for_link(page, widget_box, Path(file_path).name, failures, alerts, timeout)
    finally:
        page.remove_listener("request", on_request)
        page.remove_listener("response", on_response)
        page.remove_listener("requestfailed", on_failed)
        page.remove_listener("dialog", on_dialog)
    files = len(file_paths)
    return {
        "files": files,
        "upload_params_requests": seen["params"],
        "signature_requests": seen["signature"],
        "per_file": (seen["params"] + seen["signature"]) / files,
        "s3_requests": seen["s3"],
    }


def _wait_for_link(page, widget_box, name, failures, alerts, timeout):
    # Poll rather than wait_for_selector: a failure shows as an alert, not as a state to wait for.
    deadline = time.monotonic() + timeout
    while "link-active" not in widget_box.get_attribute("class"):
        if failures or alerts:
            raise RuntimeError(f"s3direct upload of {name} failed: {failures + alerts}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"s3direct did not finish uploading {name} in {timeout} s")
        page.wait_for_timeout(50)
    shown = widget_box.locator(".file-link").inner_text()
    if shown != name:
        raise RuntimeError(f"s3direct shows {shown!r} after uploading {name}")
