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

    assert (demo.UPLOADS["MAX_PENDING"], demo.UPLOADS["UPLOADS_PER_HOUR"], demo.UPLOADS["BYTES_PER_DAY"]) == (20, 300, 2 * 2**30)


def test_too_many_pending_uploads_answers_429_until_one_finishes(api, s3, settings):
    settings.UPLOADS = {"MAX_PENDING": 2, "EXPIRES": 600}
    first = api.create().json()
    api.create()

    response = api.create()

    assert response.status_code == 429
    assert 590 <= int(response["Retry-After"]) <= 600
    assert response.json() == {
        "error": {
            "code": "rate_limited",
            "message": "You have 2 uploads in progress, the most at once; finish or cancel one first.",
            "field": None,
        }
    }
    api.delete(f"/uploads/api/uploads/{first['id']}/")
    assert api.create().status_code == 201


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


def test_failed_and_deleted_uploads_do_not_count_against_the_daily_bytes(api, s3, settings):
    settings.UPLOADS = {"BYTES_PER_DAY": 3 * 2**20}
    created = api.create(size=3 * 2**20).json()
    api.delete(f"/uploads/api/uploads/{created['id']}/")

    assert api.create(size=3 * 2**20).status_code == 201
