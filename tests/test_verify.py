"""The verification rules alone, without S3: sizes, magic bytes, dimensions."""

import zlib

import pytest
from PIL import ExifTags, Image

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


def turned(content_type="image/jpeg", orientation=6, width=400, height=300, **options):
    """An image stored ``width`` × ``height`` whose EXIF orientation says how to show it."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    return image_bytes(content_type, width, height, exif=exif, **options)


@pytest.mark.parametrize(
    ("orientation", "shown"), [(1, (400, 300)), (3, (400, 300)), (6, (300, 400)), (8, (300, 400))]
)
@pytest.mark.parametrize("content_type", ["image/jpeg", "image/png"])
def test_the_size_recorded_is_the_size_shown_after_the_exif_orientation(content_type, orientation, shown):
    data = turned(content_type, orientation)

    info = check_object(
        declared(content_type, len(data)), size=len(data), content_type=content_type, head=data
    )

    assert (info.width, info.height) == shown


def test_a_portrait_phone_photo_is_held_to_the_minimum_as_it_is_shown(settings):
    # Stored 400 × 300 (the sensor's landscape), shown 300 × 400: tall enough, too narrow.
    data = turned(noise=True)  # too big to be read whole: the size comes from the header alone
    head = data[:1024]
    assert len(head) < len(data)
    settings.UPLOADS = {"MIN_WIDTH": 250, "MIN_HEIGHT": 350}

    info = check_object(
        declared("image/jpeg", len(data)), size=len(data), content_type="image/jpeg", head=head
    )
    assert (info.width, info.height) == (300, 400)

    settings.UPLOADS = {"MIN_WIDTH": 350, "MIN_HEIGHT": 350}
    with pytest.raises(
        VerificationFailed, match=r"^The image is 300 × 400 pixels; the minimum is 350 × 350\.$"
    ):
        check_object(declared("image/jpeg", len(data)), size=len(data), content_type="image/jpeg", head=head)


@pytest.mark.filterwarnings("error")  # and nothing said to the operator's logs
@pytest.mark.parametrize(
    "damaged",
    [
        b"Exif\0\0XXXX",  # not TIFF at all
        b"Exif\0\0MM\0*" + b"\xff" * 40,  # a TIFF header whose first directory is nowhere
    ],
)
def test_a_damaged_exif_block_leaves_the_stored_size(damaged):
    jpeg = image_bytes("image/jpeg", 400, 300)
    app1 = b"\xff\xe1" + (len(damaged) + 2).to_bytes(2, "big") + damaged
    data = jpeg[:2] + app1 + jpeg[2:]

    info = check_object(
        declared("image/jpeg", len(data)), size=len(data), content_type="image/jpeg", head=data
    )

    assert (info.width, info.height) == (400, 300)
