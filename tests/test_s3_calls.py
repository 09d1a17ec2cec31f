"""How our S3 calls behave against a real S3 (SeaweedFS): missing objects, byte ranges, ETag pins,
and what a viewing URL makes S3 send back."""

import pytest
import requests

from uploads import s3 as app_s3
from uploads.errors import ObjectChanged, ObjectMissing

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(s3):
    def put(key, body, content_type="image/png"):
        s3.put_object(Bucket="test-uploads", Key=key, Body=body, ContentType=content_type)
        return s3.head_object(Bucket="test-uploads", Key=key)["ETag"].strip('"')

    return put


def test_head_of_a_missing_object_raises_object_missing(stored):
    with pytest.raises(ObjectMissing):
        app_s3.head("calls/nothing-here.png")


def test_read_head_reads_only_the_first_bytes(stored):
    etag = stored("calls/range.bin", b"abcdefghij")

    assert app_s3.read_head("calls/range.bin", 4, etag=etag) == b"abcd"


def test_read_head_refuses_an_object_that_changed_since_the_head(stored):
    old_etag = stored("calls/changed.bin", b"first version")
    stored("calls/changed.bin", b"second versio")

    with pytest.raises(ObjectChanged):
        app_s3.read_head("calls/changed.bin", 4, etag=old_etag)


def test_a_viewing_url_makes_s3_serve_the_verified_type_inline(stored):
    stored("calls/view.png", b"\x89PNG....", content_type="text/html")

    url = app_s3.presign_get("calls/view.png", content_type="image/png", filename="view.png", expires=60)
    reply = requests.get(url, timeout=10)

    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "image/png"
    assert reply.headers["Content-Disposition"] == 'inline; filename="view.png"'


def test_read_start_gives_size_type_etag_and_the_first_bytes_in_one_request(stored):
    etag = stored("calls/start.png", b"0123456789" * 100)

    found, first = app_s3.read_start("calls/start.png", 16)

    assert (found.size, found.content_type, found.etag, first) == (
        1000,
        "image/png",
        etag,
        b"0123456789012345",
    )


def test_read_start_of_an_object_smaller_than_the_window_gives_all_of_it(stored):
    stored("calls/small.png", b"tiny")

    found, first = app_s3.read_start("calls/small.png", 1024)

    assert (found.size, first) == (4, b"tiny")


def test_read_start_of_an_empty_object_gives_no_bytes(stored):
    stored("calls/empty.png", b"")

    found, first = app_s3.read_start("calls/empty.png", 1024)

    assert (found.size, first) == (0, b"")


def test_read_start_of_a_missing_object_raises_object_missing(stored):
    with pytest.raises(ObjectMissing):
        app_s3.read_start("calls/not-there.png", 1024)
