"""Per-user limits on starting uploads: off by default, each answered with 429 and Retry-After."""

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.conftest import ApiClient
from uploads.models import Upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_no_limit_applies_by_default(api, s3):
    for _ in range(30):
        assert api.create(size=10 * 2**20).status_code == 201


def test_the_demo_switches_the_limits_on():
    from project import settings as demo

    assert (demo.UPLOADS["MAX_PENDING"], demo.UPLOADS["UPLOADS_PER_HOUR"], demo.UPLOADS["BYTES_PER_DAY"]) == (
        60,
        300,
        2 * 2**30,
    )


def test_too_many_open_policies_answers_429_until_the_oldest_expires(api, s3, settings):
    settings.UPLOADS = {"MAX_PENDING": 2, "EXPIRES": 600}
    first = api.create().json()
    api.create()

    response = api.create()

    assert response.status_code == 429
    assert 590 <= int(response["Retry-After"]) <= 600
    assert response.json() == {
        "error": {
            "code": "rate_limited",
            "message": "You have started 2 uploads in the last few minutes, the most at once; try again in 10 minutes.",
            "field": None,
        }
    }
    Upload.objects.filter(pk=first["id"]).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert api.create().status_code == 201


def test_a_deleted_upload_counts_while_its_policy_could_still_store_bytes(api, s3, settings):
    settings.UPLOADS = {"MAX_PENDING": 1, "BYTES_PER_DAY": 3 * 2**20}
    created = api.create(size=3 * 2**20).json()
    assert api.delete(f"/uploads/api/uploads/{created['id']}/").status_code == 200

    again = api.create(size=2**20)

    assert again.status_code == 429
    assert again.json()["error"]["message"].startswith("You have started 1 upload in the last few minutes")
    settings.UPLOADS = {"BYTES_PER_DAY": 3 * 2**20}
    assert (
        api.create(size=2**20)
        .json()["error"]["message"]
        .startswith("This file would take you past today's limit")
    )


def test_a_verified_upload_counts_as_open_until_its_policy_expires(api, uploaded, settings):
    settings.UPLOADS = {"MAX_PENDING": 1}
    created = uploaded()
    assert api.complete(created["id"]).json()["status"] == "uploaded"

    assert api.create().status_code == 429


def test_expired_pending_uploads_do_not_count(api, s3, settings):
    settings.UPLOADS = {"MAX_PENDING": 1}
    api.create()
    Upload.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    assert api.create().status_code == 201


def test_more_uploads_an_hour_than_allowed_answers_429(api, s3, settings):
    settings.UPLOADS = {"UPLOADS_PER_HOUR": 3}
    assert [api.create().status_code for _ in range(3)] == [201, 201, 201]

    response = api.create()

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert response.json()["error"]["message"].startswith("You can start 3 uploads an hour; try again in ")


def test_the_hourly_limit_counts_each_user_apart(api, s3, settings, make_user):
    settings.UPLOADS = {"UPLOADS_PER_HOUR": 1}
    api.create()

    assert ApiClient(make_user()).create().status_code == 201


def test_more_bytes_a_day_than_allowed_answers_429_naming_what_was_used(api, s3, settings):
    settings.UPLOADS = {"BYTES_PER_DAY": 3 * 2**20}
    assert api.create(size=2 * 2**20).status_code == 201

    response = api.create(size=2 * 2**20)

    assert response.status_code == 429
    assert 86000 <= int(response["Retry-After"]) <= 86400
    assert response.json()["error"]["message"] == (
        "This file would take you past today's limit of 3 MB (2 MB used in the last 24 hours); try again in 24 hours."
    )
    assert api.create(size=2**20).status_code == 201


def test_failed_and_deleted_uploads_stop_counting_against_the_daily_bytes_once_their_policy_expired(
    api, s3, settings
):
    settings.UPLOADS = {"BYTES_PER_DAY": 3 * 2**20}
    created = api.create(size=3 * 2**20).json()
    api.delete(f"/uploads/api/uploads/{created['id']}/")
    Upload.objects.filter(pk=created["id"]).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    assert api.create(size=3 * 2**20).status_code == 201


def test_a_cache_that_fails_refuses_the_create_with_503_instead_of_letting_it_through(api, s3, settings):
    settings.UPLOADS = {"UPLOADS_PER_HOUR": 3}
    broken = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:9/0"}
    settings.CACHES = {**settings.CACHES, "counts": broken}
    settings.RATELIMIT_USE_CACHE = "counts"

    response = api.create()

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "error": {
            "code": "limits_unavailable",
            "message": "The site cannot count uploads right now; try again in a moment.",
            "field": None,
        }
    }
    assert not Upload.objects.exists()
