"""Bytes that are not the image they claim to be, sent with a valid policy: ``complete`` must see
through them, delete the object and record why, in words a seller understands."""

import io
import struct
import zipfile
import zlib

import pytest

from tests.conftest import post_to_s3
from tests.images import image_bytes
from tests.security.conftest import objects, state, stored
from uploads.models import Upload

pytestmark = pytest.mark.django_db

HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>\n"
SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.domain)</script><rect width='10' height='10'/></svg>\n"
)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def zip_archive():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("index.html", HTML)
    return out.getvalue()


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_claiming(width, height):
    """A tiny, well-formed PNG whose header claims ``width`` × ``height`` RGB pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunks = [(b"IHDR", header), (b"IDAT", zlib.compress(b"\0" * 64)), (b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(png_chunk(kind, data) for kind, data in chunks)


def refused(api, s3, data, content_type):
    """Upload ``data`` as ``content_type`` with a valid policy and complete it; (reply, row, state before)."""
    created = api.create("product.img", content_type, len(data)).json()
    before = state(s3)
    assert post_to_s3(created, data).status_code == 204
    reply = api.complete(created["id"])
    return reply, Upload.objects.get(pk=created["id"]), before


def assert_refused_and_cleaned(reply, row, before, s3, message):
    assert reply.status_code == 422
    assert reply.json() == {"error": {"code": "verification_failed", "message": message, "field": None}}
    assert (row.status, row.failure_reason) == ("failed", message)
    assert row.key not in objects(s3)
    failed_row = next(r for r in before[1] if r["id"] == row.pk) | {
        "status": "failed",
        "failure_reason": message,
    }
    assert state(s3) == (before[0], [failed_row if r["id"] == row.pk else r for r in before[1]])


@pytest.mark.parametrize(
    ("data", "content_type", "message"),
    [
        (HTML, "image/jpeg", "The file is not a JPEG image: its contents show it is not an image we accept."),
        (SVG, "image/png", "The file is not a PNG image: its contents show it is not an image we accept."),
        (PDF, "image/jpeg", "The file is not a JPEG image: its contents show it is not an image we accept."),
        (
            zip_archive(),
            "image/png",
            "The file is not a PNG image: its contents show it is not an image we accept.",
        ),
        (
            image_bytes("image/jpeg"),
            "image/png",
            "The file is not a PNG image: its contents show it is a JPEG image.",
        ),
        (
            b"\x89PNG\r\n\x1a\n" + HTML,
            "image/png",
            "The file is a PNG image with web page markup (<!doctype>) hidden in it.",
        ),
        (
            b"GIF89a" + HTML,
            "image/gif",
            "The file is a GIF image with web page markup (<!doctype>) hidden in it.",
        ),
        (
            b"\xff\xd8\xff\xe0" + HTML,
            "image/jpeg",
            "The file is a JPEG image with web page markup (<!doctype>) hidden in it.",
        ),
    ],
    ids=[
        "html as jpeg",
        "svg with script as png",
        "pdf as jpeg",
        "zip as png",
        "jpeg as png",
        "png signature then html",
        "gif signature then html",
        "jpeg signature then html",
    ],
)
def test_complete_refuses_a_file_that_is_not_the_declared_image(api, s3, data, content_type, message):
    reply, row, before = refused(api, s3, data, content_type)

    assert_refused_and_cleaned(reply, row, before, s3, message)


@pytest.mark.parametrize("content_type", ["image/jpeg", "image/png", "image/gif", "image/webp"])
def test_complete_refuses_a_truncated_image(api, s3, content_type):
    whole = image_bytes(content_type, 64, 48, noise=True)
    name = {"image/jpeg": "a JPEG", "image/png": "a PNG", "image/gif": "a GIF", "image/webp": "a WebP"}[
        content_type
    ]
    message = f"The file starts like {name} image but could not be read as one."

    reply, row, before = refused(api, s3, whole[: len(whole) // 2], content_type)

    assert_refused_and_cleaned(reply, row, before, s3, message)


def test_complete_refuses_a_decompression_bomb_without_decoding_it(api, s3):
    bomb = png_header_claiming(50_000, 50_000)
    assert len(bomb) < 100

    reply, row, before = refused(api, s3, bomb, "image/png")

    assert_refused_and_cleaned(
        reply, row, before, s3, "The PNG image has too many pixels to be processed safely."
    )


def test_complete_refuses_a_header_over_max_pixels_that_pillow_alone_would_open(api, s3):
    bomb = png_header_claiming(10_000, 10_000)

    reply, row, before = refused(api, s3, bomb, "image/png")

    assert_refused_and_cleaned(
        reply, row, before, s3, "The image is 10,000 × 10,000 pixels; at most 50,000,000 pixels are accepted."
    )


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"MIN_WIDTH": 65}, "The image is 64 × 48 pixels; the minimum is 65 × 1."),
        ({"MIN_HEIGHT": 49}, "The image is 64 × 48 pixels; the minimum is 1 × 49."),
        ({"MAX_WIDTH": 63}, "The image is 64 × 48 pixels; the maximum is 63 × 20000."),
        ({"MAX_HEIGHT": 47}, "The image is 64 × 48 pixels; the maximum is 20000 × 47."),
        ({"MAX_PIXELS": 3071}, "The image is 64 × 48 pixels; at most 3,071 pixels are accepted."),
    ],
    ids=["MIN_WIDTH", "MIN_HEIGHT", "MAX_WIDTH", "MAX_HEIGHT", "MAX_PIXELS"],
)
@pytest.mark.parametrize("content_type", ["image/png", "image/webp"])
def test_complete_refuses_an_image_outside_the_dimension_settings(
    api, s3, settings, limits, message, content_type
):
    settings.UPLOADS = limits

    reply, row, before = refused(api, s3, image_bytes(content_type, 64, 48), content_type)

    assert_refused_and_cleaned(reply, row, before, s3, message)


@pytest.mark.parametrize("content_type", ["image/jpeg", "image/webp"])
def test_complete_refuses_a_large_image_outside_the_limits_from_its_header_alone(
    api, s3, settings, content_type
):
    settings.UPLOADS = {"SNIFF_BYTES": 4096, "MAX_WIDTH": 299}
    data = image_bytes(content_type, 300, 200, noise=True)
    assert len(data) > 4 * 4096

    reply, row, before = refused(api, s3, data, content_type)

    assert_refused_and_cleaned(
        reply, row, before, s3, "The image is 300 × 200 pixels; the maximum is 299 × 20000."
    )


def test_an_image_exactly_at_every_limit_is_accepted(api, s3, settings):
    settings.UPLOADS = {
        "MIN_WIDTH": 64,
        "MAX_WIDTH": 64,
        "MIN_HEIGHT": 48,
        "MAX_HEIGHT": 48,
        "MAX_PIXELS": 64 * 48,
    }
    data = image_bytes("image/png", 64, 48)
    created = api.create("exact.png", "image/png", len(data)).json()
    assert post_to_s3(created, data).status_code == 204

    reply = api.complete(created["id"])

    assert reply.status_code == 200
    assert (reply.json()["status"], reply.json()["width"], reply.json()["height"]) == ("uploaded", 64, 48)
    assert stored(s3, reply.json()["key"]) == data


@pytest.mark.parametrize("content_type", ["image/png", "image/gif", "image/jpeg", "image/webp"])
def test_a_whole_image_followed_by_html_is_refused(api, s3, content_type):
    # The decoders stop at the image's end and ignore what follows; the markup check does not.
    data = image_bytes(content_type) + HTML
    name = {"image/jpeg": "a JPEG", "image/png": "a PNG", "image/gif": "a GIF", "image/webp": "a WebP"}[
        content_type
    ]

    reply, row, before = refused(api, s3, data, content_type)

    assert_refused_and_cleaned(
        reply, row, before, s3, f"The file is {name} image with web page markup (<!doctype>) hidden in it."
    )
