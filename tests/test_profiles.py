"""Upload profiles: named kinds of upload, each with its own types, sizes, dimensions, prefix,
expiry and who may use it. The top-level settings are the "default" profile."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone

from tests.conftest import post_to_s3
from tests.images import image_bytes
from uploads import cleanup, keys
from uploads.checks import check_settings
from uploads.models import Upload

pytestmark = pytest.mark.django_db

PROFILES = {
    "product_image": {
        "ALLOWED_TYPES": ["image/jpeg", "image/png"],
        "MAX_SIZE": 2000,
        "MIN_WIDTH": 100,
        "MIN_HEIGHT": 100,
        "KEY_PREFIX": "products",
        "EXPIRES": 120,
    },
    "avatar": {"MAX_SIZE": 500, "PERMISSION": "auth.add_user"},
    "staff_only": {"PERMISSION": lambda user: user.is_staff},
}


@pytest.fixture(autouse=True)
def profiles(settings):
    settings.UPLOADS = {"PROFILES": PROFILES}


def create(api, profile, size=100, content_type="image/png"):
    return api.post(
        "/uploads/api/uploads/",
        {"filename": "p.png", "content_type": content_type, "size": size, "profile": profile},
    )


def test_without_a_profile_the_default_settings_apply(api, s3, seller):
    body = api.create(size=5000).json()

    assert body["key"].startswith(f"uploads/{keys.installation_id()}/{seller.pk}/")
    assert Upload.objects.get().profile == "default"


def test_a_profile_has_its_own_prefix_size_limit_types_and_expiry(api, s3, seller):
    body = create(api, "product_image").json()

    row = Upload.objects.get()
    assert body["key"].startswith(f"products/{keys.installation_id()}/{seller.pk}/")
    assert body["max_size"] == 2000
    assert row.profile == "product_image"
    assert 115 <= (row.expires_at - row.created_at).total_seconds() <= 121
    assert create(api, "product_image", size=2001).json()["error"]["message"] == (
        "File is 2,001 bytes; the limit is 2,000 bytes."
    )
    assert create(api, "product_image", content_type="image/gif").status_code == 415


def test_a_profile_s_dimension_limits_apply_at_complete(api, s3):
    data = image_bytes("image/png", 50, 50)
    created = create(api, "product_image", size=len(data)).json()
    post_to_s3(created, data)

    response = api.complete(created["id"])

    assert response.status_code == 422
    assert response.json()["error"]["message"] == "The image is 50 × 50 pixels; the minimum is 100 × 100."


def test_an_unknown_profile_is_refused_naming_the_known_ones(api):
    response = create(api, "poster")

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": "There is no upload profile 'poster'; use one of: default, product_image, avatar, staff_only.",
            "field": "profile",
        }
    }


def test_a_profile_can_require_a_permission(api, s3, seller):
    refused = create(api, "avatar")

    assert refused.status_code == 403
    assert refused.json() == {
        "error": {
            "code": "forbidden",
            "message": "Your account may not upload avatar files.",
            "field": "profile",
        }
    }
    seller.user_permissions.add(Permission.objects.get(codename="add_user"))
    assert create(api, "avatar").status_code == 201


def test_a_profile_can_decide_with_a_callable(api, s3, seller):
    assert create(api, "staff_only").status_code == 403
    seller.is_staff = True
    seller.save()
    assert create(api, "staff_only").status_code == 201


def test_the_template_tag_renders_a_profile_s_limits(settings):
    html = Template('{% load uploads %}{% uploader profile="product_image" %}').render(
        Context({"request": RequestFactory().get("/")})
    )

    assert 'data-profile="product_image"' in html
    assert 'data-max-size="2000"' in html
    assert 'accept="image/jpeg,image/png"' in html
    assert "JPEG, PNG up to 1.95 KB" in html or "JPEG, PNG up to 2 KB" in html


@pytest.mark.parametrize(
    ("profiles", "expected"),
    [
        ("not a dict", ["uploads.E028"]),
        ({"x": "not a dict"}, ["uploads.E028"]),
        ({"x": {"PAGE_SIZE": 5}}, ["uploads.E029"]),
        ({"x": {"MAX_SIZE": 0}}, ["uploads.E030"]),
        ({"x": {"ALLOWED_TYPES": ["image/svg+xml"]}}, ["uploads.E030"]),
        ({"x": {"KEY_PREFIX": "../x"}}, ["uploads.E030"]),
        ({"x": {"PERMISSION": 5}}, ["uploads.E030"]),
    ],
)
def test_each_mistake_in_a_profile_has_a_check_id_and_a_hint(settings, profiles, expected):
    settings.UPLOADS = {"PROFILES": profiles}

    messages = check_settings(None)

    assert [m.id for m in messages] == expected
    assert all(m.hint for m in messages)


def test_the_clean_up_sweeps_every_profile_s_prefix(s3):
    orphan = keys.build_key(7, "orphan.png", "image/png", profile="product_image")
    s3.put_object(Bucket="test-uploads", Key=orphan, Body=b"x")

    actions = list(cleanup.run(now=timezone.now() + datetime.timedelta(hours=2), grace=datetime.timedelta(0)))

    assert ("delete", orphan) in [(action.kind, action.key) for action in actions]
    assert s3.list_objects_v2(Bucket="test-uploads", Prefix=orphan).get("KeyCount", 0) == 0
