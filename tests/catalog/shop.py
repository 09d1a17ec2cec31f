"""What the shop's page tests share: the demo's review and variant settings, and images as
``complete`` and the variant task leave them, made with the ORM (these tests sign URLs, no S3)."""

import base64
import datetime
import hashlib
import re
import secrets

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.catalog.conftest import DEMO_PROFILES
from tests.variant_rows import record_variant
from uploads import variants

DAY = 24 * 3600
# The demo's settings: products' images wait for a reviewer, avatars are shown until rejected,
# and images dropped into a form never saved are left out of the library.
UPLOADS = {
    "VARIANTS": {"thumb": {"size": 320}, "card": {"size": 800}},
    "PROFILES": {
        "product_image": {
            **DEMO_PROFILES["product_image"],
            "VARIANTS": {"thumb": {"size": 320}, "card": {"size": 800}, "zoom": {"size": 2000}},
            "REVIEW": "before_publish",
            "DISCARD_UNATTACHED": DAY,
        },
        "avatar": {
            **DEMO_PROFILES["avatar"],
            "VARIANTS": {"small": {"size": 128, "fit": "crop"}, "large": {"size": 512, "fit": "crop"}},
            "REVIEW": "after_publish",
            "DISCARD_UNATTACHED": DAY,
        },
    },
}


def image_maker(make_upload):
    """``make(owner, profile=…, made=True, **fields)``: a verified upload with a digest, and its
    variants already made unless ``made`` is False."""

    def make(owner, *, made=True, **fields):
        digest = base64.b64encode(hashlib.sha256(secrets.token_bytes(16)).digest()).decode()
        row = make_upload(owner, sha256=digest, **fields)
        if made and row.status == "uploaded":
            make_variants(row)
        elif row.status == "uploaded":  # asked for, not made yet: as complete leaves it
            row.variants_due = timezone.now() + datetime.timedelta(minutes=10)
            row.save(update_fields=["variants_due"])
        return row

    return make


def make_variants(row):
    for name in variants.specs(row.profile):
        record_variant(row, name)


def sources(html):
    """Every ``src`` and ``href`` of a page."""
    return re.findall(r'(?:src|href)="([^"]*)"', html)


def images(html):
    """The ``src`` of every ``<img>`` of a page."""
    return re.findall(r'<img src="([^"]+)"', html)


def queries(client, url):
    """How many queries a GET of ``url`` makes (it must answer 200)."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)
