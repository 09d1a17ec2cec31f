import datetime

import pytest
from django.utils import timezone

from uploads import keys
from uploads.models import Upload

DEMO_PROFILES = {
    "product_image": {"ALLOWED_TYPES": ["image/jpeg", "image/png"], "MIN_WIDTH": 500, "MIN_HEIGHT": 500},
    "avatar": {"ALLOWED_TYPES": ["image/jpeg", "image/png"]},
}


@pytest.fixture(autouse=True)
def demo_profiles(settings, app_defaults):
    """The catalog's fields name these profiles; the suite otherwise starts from the app's defaults."""
    settings.UPLOADS = {"PROFILES": DEMO_PROFILES}


@pytest.fixture
def make_upload(db):
    """A row as ``complete`` leaves it; these tests are about forms, not S3."""
    count = iter(range(1, 10_000))

    def make(owner, *, status=Upload.Status.UPLOADED, profile="product_image", **fields):
        number = next(count)
        return Upload.objects.create(
            owner=owner,
            profile=profile,
            key=keys.build_key(owner.pk, f"photo-{number}.jpg", "image/jpeg", profile=profile),
            filename=fields.pop("filename", f"photo-{number}.jpg"),
            content_type="image/jpeg",
            size=123_456,
            width=800,
            height=600,
            status=status,
            expires_at=timezone.now() + datetime.timedelta(minutes=10),
            **fields,
        )

    return make
