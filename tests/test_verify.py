"""The verification rules alone, without S3: sizes, magic bytes, dimensions."""

import zlib

import pytest

from tests.images import image_bytes, jpeg_with_metadata
from uploads.errors import VerificationFailed
from uploads.verify import Declared, HeaderIncomplete, check_object, human_size, sniff_type


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (1, "1 byte"),
        (17, "17 bytes"),
        (1023, "1023 bytes"),
        (532 * 1024, "532 KB"),
        (10 * 2**20, "10 MB"),
        (13_002_342, "12.4 MB"),
        (5 * 2**30, "5 GB"),
    ],
)
def test_human_size(size, text):
    assert human_size(size) == text


@pytest.mark.parametrize("content_type", ["image/jpeg", "image/png", "image/gif", "image/webp", "image/avif"])
def test_sniff_type_recognises_each_allowed_format(content_type):
    assert sniff_type(image_bytes(content_type)[:64]) == content_type


@pytest.mark.parametrize(
    "head",
    [b"", b"<svg xmlns='http://www.w3.org/2000/svg'>", b"%PDF-1.7", b"PK\x03\x04", b"RIFF\0\0\0\0WAVE"],
)
def test_sniff_type_recognises_nothing_else(head):
    assert sniff_type(head) is None


def declared(content_type="image/png", size=100):
    return Declared(filename="a", content_type=content_type, size=size)


def test_check_object_refuses_a_size_other_than_declared():
    with pytest.raises(VerificationFailed, match="The stored file is 99 bytes, but 100 bytes were declared."):
        check_object(declared(), size=99, content_type="image/png", head=b"")


def test_check_object_refuses_a_stored_type_other_than_declared():
    with pytest.raises(
        VerificationFailed, match="The stored file has type text/html, but image/png was declared."
    ):
        check_object(declared(), size=100, content_type="text/html", head=b"")


def test_check_object_refuses_an_image_with_a_damaged_webp_header():
    head = b"RIFF\0\0\0\0WEBPVP8 " + b"\0" * 20

    with pytest.raises(
        VerificationFailed, match="The file starts like a WebP image but its header is damaged."
    ):
        check_object(declared("image/webp"), size=100, content_type="image/webp", head=head)


def test_check_object_refuses_more_pixels_than_pillow_allows():
    # A PNG header claiming 50,000 × 50,000 pixels: a decompression bomb in a few bytes.
    png = image_bytes("image/png", 1, 1)
    ihdr = b"IHDR" + (50_000).to_bytes(4, "big") * 2 + png[24:29]
    bomb = png[:12] + ihdr + zlib.crc32(ihdr).to_bytes(4, "big") + png[33:]

    with pytest.raises(VerificationFailed, match="too many pixels"):
        check_object(declared("image/png", 100), size=100, content_type="image/png", head=bomb)


def test_sniff_type_knows_an_avif_whose_main_brand_is_mif1():
    head = b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1avifmiaf" + b"\0" * 8

    assert sniff_type(head) == "image/avif"


def test_a_header_cut_off_by_the_first_read_asks_for_more_rather_than_failing():
    jpeg = jpeg_with_metadata(100_000)

    with pytest.raises(HeaderIncomplete):
        check_object(
            declared("image/jpeg", len(jpeg)), size=len(jpeg), content_type="image/jpeg", head=jpeg[:65536]
        )
    info = check_object(
        declared("image/jpeg", len(jpeg)),
        size=len(jpeg),
        content_type="image/jpeg",
        head=jpeg[:200_000],
        final=True,
    )
    assert (info.width, info.height) == (640, 480)
