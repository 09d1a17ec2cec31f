"""Every API request waits for S3 at most S3_DEADLINE seconds in all, every call and retry together.

The S3 here accepts connections and never answers, and the per-attempt timeouts are the defaults
(10 s read, 3 attempts): without a deadline, complete took 30 s.
"""

import time

import pytest

from tests.test_s3_faults import assert_unavailable, silent_server  # noqa: F401 (a fixture)
from uploads.models import Upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def silent_s3(settings, silent_server):  # noqa: F811
    settings.AWS_S3_ENDPOINT_URL = silent_server


def timed(call):
    started = time.monotonic()
    reply = call()
    return reply, time.monotonic() - started


def test_complete_answers_503_within_the_default_five_seconds(api, silent_s3):
    created = api.create().json()

    reply, took = timed(lambda: api.complete(created["id"]))

    assert_unavailable(reply)
    assert 4.5 <= took < 5.5
    assert Upload.objects.get(pk=created["id"]).status == "pending"


def test_the_deadline_is_a_setting(api, silent_s3, settings):
    settings.UPLOADS = {"S3_DEADLINE": 1}
    created = api.create().json()

    reply, took = timed(lambda: api.complete(created["id"]))

    assert_unavailable(reply)
    assert took < 1.5


def test_create_and_detail_need_no_answer_from_s3(api, silent_s3):
    # With the default five-second deadline, a call that waited for the silent S3 would take five
    # seconds; half of that leaves room for a busy machine (the suite runs on every core).
    created, took_create = timed(api.create)
    detail, took_detail = timed(lambda: api.get(f"/uploads/api/uploads/{created.json()['id']}/"))

    assert (created.status_code, detail.status_code) == (201, 200)
    assert took_create < 2.5 and took_detail < 2.5


def test_a_delete_during_an_outage_deletes_the_upload_and_says_the_clean_up_removes_the_file(
    api, silent_s3, settings
):
    settings.UPLOADS = {"S3_DEADLINE": 1}
    created = api.create().json()

    reply, took = timed(lambda: api.delete(f"/uploads/api/uploads/{created['id']}/"))

    assert took < 1.5
    assert reply.status_code == 202
    assert reply.json() == {
        "message": "The upload is deleted. The file storage did not answer, so the file stays there until the "
        "next clean-up removes it; no new link to it is given out."
    }
    assert Upload.objects.get(pk=created["id"]).status == "deleted"
    assert api.get(f"/uploads/api/uploads/{created['id']}/").status_code == 404
