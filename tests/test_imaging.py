"""The image variants' core (uploads.imaging), without S3 or a database: what comes out of
render() for what goes in."""

import io
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms, ImageFile, ImageOps

from tests.images import image_bytes
from uploads.imaging import ImageTooLarge, Rendered, Spec, UnreadableImage, render

ROOT = Path(__file__).resolve().parent.parent
RED, GREEN, BLUE, WHITE, YELLOW = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255), (255, 255, 0)
MAGIC = {
    "image/webp": lambda d: d[:4] == b"RIFF" and d[8:12] == b"WEBP",
    "image/jpeg": lambda d: d[:3] == b"\xff\xd8\xff",
    "image/avif": lambda d: d[4:12] == b"ftypavif",
}


# --- helpers ------------------------------------------------------------------------------------


def encoded(image, pillow_format="JPEG", **options):
    out = io.BytesIO()
    if pillow_format == "JPEG":
        options.setdefault("quality", 95)
    image.save(out, pillow_format, **options)
    return out.getvalue()


def decoded(rendered):
    image = Image.open(io.BytesIO(rendered.data))
    image.load()
    return image


def close_to(pixel, colour, tolerance=40):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=False))


def quadrants(width=120, height=80):
    """Red top left, green top right, blue bottom left, yellow bottom right."""
    image = Image.new("RGB", (width, height))
    half_w, half_h = width // 2, height // 2
    for box, colour in [
        ((0, 0, half_w, half_h), RED),
        ((half_w, 0, width, half_h), GREEN),
        ((0, half_h, half_w, height), BLUE),
        ((half_w, half_h, width, height), YELLOW),
    ]:
        image.paste(colour, box)
    return image


def quadrant_colours(image):
    width, height = image.size
    return [
        image.convert("RGB").getpixel((x, y))
        for x, y in [
            (width // 4, height // 4),
            (3 * width // 4, height // 4),
            (width // 4, 3 * height // 4),
            (3 * width // 4, 3 * height // 4),
        ]
    ]


def with_exif(*, orientation=None, gps=False):
    """EXIF with a camera make, and an orientation and a GPS position if asked."""
    exif = Image.Exif()
    exif[0x010F] = "Phone"  # Make
    if orientation is not None:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = {1: "N", 2: (52.0, 22.0, 12.5), 3: "E", 4: (4.0, 53.0, 30.0)}
    return exif


def jpeg_markers(data):
    """The JPEG's segment markers up to the scan, as (marker byte, payload)."""
    assert data[:2] == b"\xff\xd8"
    markers, at = [], 2
    while data[at + 1] != 0xDA:  # start of scan
        marker, length = data[at + 1], int.from_bytes(data[at + 2 : at + 4], "big")
        markers.append((marker, data[at + 4 : at + 2 + length]))
        at += 2 + length
    return markers


def webp_chunks(data):
    chunks, at = [], 12
    while at < len(data):
        fourcc, size = data[at : at + 4], int.from_bytes(data[at + 4 : at + 8], "little")
        chunks.append(fourcc)
        at += 8 + size + size % 2
    return chunks


def png_header_only(width, height):
    """A PNG whose header claims ``width`` × ``height`` around the pixel data of a 1 × 1 image:
    decoding it fails, so only the header was read if render() says "too large"."""
    png = image_bytes("image/png", 1, 1)
    ihdr = b"IHDR" + struct.pack(">II", width, height) + png[24:29]
    return png[:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + png[33:]


def icc_rgb_profile(red, green, blue):
    """A minimal ICC v2 matrix/TRC display profile with the given (D50) primaries, gamma 2.2."""

    def s15(value):
        return struct.pack(">i", round(value * 65536))

    def xyz(x, y, z):
        return b"XYZ \0\0\0\0" + s15(x) + s15(y) + s15(z)

    text = b"test profile\0"
    tags = [
        (b"desc", b"desc\0\0\0\0" + struct.pack(">I", len(text)) + text + b"\0" * 78),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(*red)),
        (b"gXYZ", xyz(*green)),
        (b"bXYZ", xyz(*blue)),
        *[
            (name, b"curv\0\0\0\0" + struct.pack(">IH", 1, 0x0233) + b"\0\0")
            for name in (b"rTRC", b"gTRC", b"bTRC")
        ],
    ]
    offset, table, body = 128 + 4 + 12 * len(tags), b"", b""
    for signature, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data
    header = (
        struct.pack(">I", offset + len(body)) + b"lcms" + bytes([2, 0x10, 0, 0]) + b"mntrRGB XYZ " + b"\0" * 12 + b"acsp"
        + b"\0" * 28 + s15(0.9642) + s15(1.0) + s15(0.8249) + b"\0" * 48
    )  # fmt: skip
    return header + struct.pack(">I", len(tags)) + table + body


# sRGB's primaries adapted to D50, as in every sRGB profile.
SRGB_RED, SRGB_GREEN, SRGB_BLUE = (0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141)


# --- orientation ------------------------------------------------------------------------------


def test_a_photo_taken_sideways_comes_out_upright():
    # Stored 120 × 80, red stripe along the left edge; Orientation 6 says "turn 90° clockwise to
    # view": upright it is 80 × 120 with the red stripe along the top.
    stored = Image.new("RGB", (120, 80), GREEN)
    stored.paste(RED, (0, 0, 30, 80))
    data = encoded(stored, exif=with_exif(orientation=6))

    full, small = render(data, [Spec((1000, 1000)), Spec((40, 40))])

    assert (full.width, full.height) == (80, 120)
    assert decoded(full).size == (80, 120)
    assert close_to(decoded(full).getpixel((40, 5)), RED)
    assert close_to(decoded(full).getpixel((40, 110)), GREEN)
    assert (small.width, small.height) == (27, 40)  # the upright aspect, 2:3
    assert close_to(decoded(small).getpixel((13, 2)), RED)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_is_applied_as_a_viewer_shows_it(orientation):
    stored = quadrants()
    data = encoded(stored, exif=with_exif(orientation=orientation))
    expected = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))

    (rendered,) = render(data, [Spec((500, 500), format="jpeg", quality=95)])

    image = decoded(rendered)
    assert image.size == expected.size == (rendered.width, rendered.height)
    assert all(
        close_to(got, want)
        for got, want in zip(quadrant_colours(image), quadrant_colours(expected), strict=True)
    )
    assert image.getexif().get(0x0112) is None  # upright pixels, no tag left to turn them again


# --- metadata ---------------------------------------------------------------------------------


def photo_with_everything():
    """A JPEG with EXIF (camera, orientation, GPS), XMP, an ICC profile and a comment."""
    image = quadrants(160, 120)
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description exif:GPSLatitude="52,22.2N"/></rdf:RDF></x:xmpmeta>'
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encoded(
        image, exif=with_exif(orientation=1, gps=True), xmp=xmp, icc_profile=srgb, comment=b"taken at home"
    )
    source = Image.open(io.BytesIO(data))
    assert (
        source.getexif().get_ifd(0x8825) and "xmp" in source.info and "icc_profile" in source.info
    )  # the test's premise
    return data


@pytest.mark.parametrize("format", ["webp", "avif", "jpeg"])
def test_no_metadata_survives_neither_exif_gps_xmp_icc_nor_comments(format):
    (rendered,) = render(photo_with_everything(), [Spec((100, 100), format=format)])

    image = decoded(rendered)
    assert not image.getexif()
    assert not image.getexif().get_ifd(0x8825)  # no GPS position
    assert not {"exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment"} & image.info.keys()
    for needle in (b"Exif", b"GPS", b"xmpmeta", b"taken at home", b"Phone"):
        assert needle not in rendered.data


def test_jpeg_output_has_no_segments_but_the_image_data():
    (rendered,) = render(photo_with_everything(), [Spec((100, 100), format="jpeg")])

    markers = {marker for marker, _ in jpeg_markers(rendered.data)}
    # DQT, DHT, start of frame (progressive), APP0 (JFIF) at most: no APP1 (EXIF, XMP), APP2 (ICC), COM.
    assert markers <= {0xDB, 0xC4, 0xC2, 0xE0}, sorted(hex(m) for m in markers)


def test_webp_output_has_no_chunks_but_the_image_data():
    (rendered,) = render(photo_with_everything(), [Spec((100, 100), format="webp")])

    assert set(webp_chunks(rendered.data)) <= {b"VP8 ", b"VP8L", b"VP8X", b"ALPH"}


def test_colours_of_a_source_with_another_profile_are_converted_to_srgb_before_the_profile_goes():
    # A profile whose "red" is sRGB's green: pure red pixels in it are green in sRGB.
    swapped = icc_rgb_profile(SRGB_GREEN, SRGB_RED, SRGB_BLUE)
    data = encoded(Image.new("RGB", (40, 30), RED), "PNG", icc_profile=swapped)

    (rendered,) = render(data, [Spec((40, 30), format="webp", quality=100)])

    image = decoded(rendered)
    assert "icc_profile" not in image.info
    assert close_to(image.getpixel((20, 15)), GREEN, tolerance=12)


# --- sizes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "box", "expected"),
    [
        ((1000, 600), (320, 320), (320, 192)),  # wide: the width decides
        ((600, 1000), (320, 320), (192, 320)),  # tall: the height decides
        ((1000, 600), (500, 100), (167, 100)),  # a wide box, still the height decides
        ((1000, 600), (2000, 2000), (1000, 600)),  # smaller than the box: left as it is
        ((1000, 600), (1000, 320), (533, 320)),
        ((300, 300), (300, 100), (100, 100)),
    ],
)
def test_inside_keeps_the_aspect_and_never_scales_up(source, box, expected):
    (rendered,) = render(image_bytes("image/png", *source), [Spec(box, "inside")])

    assert (rendered.width, rendered.height) == expected == decoded(rendered).size


@pytest.mark.parametrize(
    ("source", "box", "expected"),
    [
        ((1000, 600), (512, 512), (512, 512)),
        ((600, 1000), (128, 128), (128, 128)),
        ((1000, 600), (800, 200), (800, 200)),
        ((600, 400), (512, 512), (400, 400)),  # too small: the box's aspect at the source's size
        ((300, 1000), (512, 512), (300, 300)),
        ((520, 200), (512, 256), (400, 200)),
        ((100, 100), (400, 200), (100, 50)),
    ],
)
def test_crop_gives_exactly_the_box_or_its_aspect_at_the_sources_size(source, box, expected):
    (rendered,) = render(image_bytes("image/png", *source), [Spec(box, "crop")])

    assert (rendered.width, rendered.height) == expected == decoded(rendered).size


def test_crop_keeps_the_centre():
    source = Image.new("RGB", (400, 200), RED)  # red | green | blue, the green 200 × 200 in the middle
    source.paste(GREEN, (100, 0, 300, 200))
    source.paste(BLUE, (300, 0, 400, 200))

    big, small = render(encoded(source, "PNG"), [Spec((200, 200), "crop"), Spec((50, 50), "crop")])

    for rendered in (big, small):
        image = decoded(rendered)
        size = rendered.width
        for point in [(1, 1), (size - 2, 1), (1, size - 2), (size - 2, size - 2), (size // 2, size // 2)]:
            assert close_to(image.getpixel(point), GREEN), (size, point, image.getpixel(point))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=st.tuples(st.integers(1, 300), st.integers(1, 300)),
    box=st.tuples(st.integers(1, 400), st.integers(1, 400)),
    fit=st.sampled_from(["inside", "crop"]),
)
def test_no_output_is_larger_than_its_source_or_its_box(source, box, fit):
    (rendered,) = render(image_bytes("image/png", *source), [Spec(box, fit)])

    width, height = rendered.width, rendered.height
    assert (width, height) == decoded(rendered).size
    assert 1 <= width <= min(source[0], box[0]) and 1 <= height <= min(source[1], box[1])
    if fit == "inside":  # one side touches the box or the source: as large as it may be
        assert width == min(box[0], source[0]) or height == min(box[1], source[1])
        assert aspect_kept((width, height), source)
    elif source[0] >= box[0] and source[1] >= box[1]:
        assert (width, height) == box
    else:
        assert width == source[0] or height == source[1]
        assert aspect_kept((width, height), box)


def aspect_kept(size, aspect):
    """``size`` has ``aspect``'s proportions but for rounding one side to whole pixels (≥ 1)."""
    (width, height), (aspect_width, aspect_height) = size, aspect
    return (
        abs(width * aspect_height - height * aspect_width) <= max(aspect_width, aspect_height) / 2
        or 1 in size
    )


def test_results_come_in_the_order_of_the_specs():
    specs = [Spec((50, 50)), Spec((400, 400)), Spec((100, 100), "crop", "jpeg")]

    rendered = render(image_bytes("image/jpeg", 640, 480), specs)

    assert [(r.width, r.height, r.content_type) for r in rendered] == [
        (50, 38, "image/webp"),
        (400, 300, "image/webp"),
        (100, 100, "image/jpeg"),
    ]
    assert all(isinstance(r, Rendered) for r in rendered)


def test_no_specs_no_variants():
    assert render(image_bytes("image/jpeg"), []) == []


# --- formats ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("format", "content_type", "extension", "pillow_format"),
    [
        ("webp", "image/webp", ".webp", "WEBP"),
        ("avif", "image/avif", ".avif", "AVIF"),
        ("jpeg", "image/jpeg", ".jpg", "JPEG"),
    ],
)
def test_each_format_gives_its_magic_bytes_and_content_type(format, content_type, extension, pillow_format):
    spec = Spec((64, 64), format=format)

    (rendered,) = render(image_bytes("image/jpeg", 200, 100), [spec])

    assert spec.content_type == rendered.content_type == content_type
    assert spec.extension == extension
    assert MAGIC[content_type](rendered.data)
    image = decoded(rendered)
    assert (image.format, image.size) == (pillow_format, (64, 32))


@pytest.mark.parametrize("content_type", ["image/jpeg", "image/png", "image/webp", "image/gif", "image/avif"])
def test_every_accepted_source_format_is_rendered(content_type):
    data = image_bytes(content_type, 300, 200)

    (rendered,) = render(data, [Spec((150, 150), format="jpeg", quality=95)])

    image = decoded(rendered)
    assert image.size == (150, 100)
    assert close_to(image.getpixel((75, 50)), (200, 80, 40), tolerance=25)


def test_an_animated_gif_gives_its_first_frame():
    frames = [Image.new("RGB", (60, 40), colour) for colour in (BLUE, RED, GREEN)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)

    (rendered,) = render(out.getvalue(), [Spec((60, 40), format="jpeg", quality=95)])

    assert close_to(decoded(rendered).getpixel((30, 20)), BLUE)


def test_a_16_bit_grey_png_comes_out_grey():
    data = encoded(Image.new("I;16", (40, 30), 32768), "PNG")

    (rendered,) = render(data, [Spec((40, 30), format="jpeg", quality=95)])

    assert close_to(decoded(rendered).convert("RGB").getpixel((20, 15)), (128, 128, 128), tolerance=3)


# --- transparency -----------------------------------------------------------------------------


def half_transparent_png():
    """Left half opaque red, right half fully transparent (with green behind the transparency)."""
    image = Image.new("RGBA", (100, 60), (0, 255, 0, 0))
    image.paste((255, 0, 0, 255), (0, 0, 50, 60))
    return encoded(image, "PNG")


def test_jpeg_output_flattens_transparency_on_white():
    (rendered,) = render(half_transparent_png(), [Spec((100, 60), format="jpeg", quality=95)])

    image = decoded(rendered)
    assert image.mode == "RGB"
    assert close_to(image.getpixel((20, 30)), RED)
    assert close_to(image.getpixel((80, 30)), WHITE, tolerance=8)


@pytest.mark.parametrize("format", ["webp", "avif"])
def test_webp_and_avif_output_keep_transparency(format):
    (rendered,) = render(half_transparent_png(), [Spec((50, 30), format=format, quality=90)])

    image = decoded(rendered)
    assert image.mode == "RGBA"
    assert image.getpixel((40, 15))[3] <= 8
    assert image.getpixel((5, 15))[3] >= 247 and close_to(image.getpixel((5, 15))[:3], RED)


def test_a_palette_image_with_a_transparent_colour_keeps_it_in_webp():
    image = Image.new("P", (60, 40), 0)
    image.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    image.paste(1, (30, 0, 60, 40))
    data = encoded(image, "PNG", transparency=1)

    (rendered,) = render(data, [Spec((60, 40))])

    result = decoded(rendered)
    assert result.getpixel((10, 20))[3] == 255 and result.getpixel((50, 20))[3] == 0


def test_an_alpha_channel_that_hides_nothing_is_dropped():
    (rendered,) = render(encoded(Image.new("RGBA", (80, 60), (200, 80, 40, 255)), "PNG"), [Spec((80, 60))])

    assert b"ALPH" not in rendered.data and decoded(rendered).mode == "RGB"


# --- refusals ---------------------------------------------------------------------------------


@pytest.fixture
def decodes(monkeypatch):
    """The sizes Pillow decoded pixels at, in order: ImageFile.load() spied on."""
    sizes = []
    original = ImageFile.ImageFile.load

    def load(self):
        decoding = bool(self.tile)  # load() is called again and again; only the first decodes
        result = original(self)
        if decoding:
            sizes.append(self.size)
        return result

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return sizes


def test_a_source_above_max_pixels_is_refused_before_decoding(decodes):
    data = image_bytes("image/jpeg", 64, 48)

    with pytest.raises(ImageTooLarge, match="64 × 48"):
        render(data, [Spec((32, 32))], max_pixels=64 * 48 - 1)

    assert decodes == []
    assert render(data, [Spec((32, 32))], max_pixels=64 * 48)[0].width == 32  # the limit itself is fine
    assert len(decodes) == 1


def test_a_header_claiming_too_many_pixels_is_refused_without_reading_further():
    # 10,000 × 10,000 with no pixel data at all: decoding it would fail as unreadable.
    with pytest.raises(ImageTooLarge):
        render(png_header_only(10_000, 10_000), [Spec((320, 320))])
    with pytest.raises(UnreadableImage):  # the same lie in a size that passes is read, and fails
        render(png_header_only(1_000, 1_000), [Spec((320, 320))])


def test_a_decompression_bomb_is_too_large_whatever_max_pixels_says():
    with pytest.raises(ImageTooLarge):
        render(png_header_only(50_000, 50_000), [Spec((320, 320))], max_pixels=10**10)


def test_too_large_and_unreadable_are_value_errors():
    assert issubclass(ImageTooLarge, ValueError) and issubclass(UnreadableImage, ValueError)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not an image at all",
        b"<svg xmlns='http://www.w3.org/2000/svg'></svg>",
        b"\xff\xd8\xff\xe0" + b"\0" * 100,  # a JPEG's first bytes, then nothing
        image_bytes("image/jpeg", 300, 200, noise=True)[:5000],  # a real JPEG cut short
        encoded(Image.new("RGB", (20, 20)), "BMP"),  # an image, of a type not rendered
        encoded(Image.new("RGB", (20, 20)), "TIFF"),
    ],
    ids=["empty", "text", "svg", "jpeg-start", "truncated-jpeg", "bmp", "tiff"],
)
def test_bytes_that_are_not_an_accepted_image_are_unreadable(data):
    with pytest.raises(UnreadableImage):
        render(data, [Spec((100, 100))])


# --- specs ------------------------------------------------------------------------------------


def test_a_fingerprint_is_16_hex_digits_and_the_same_on_every_run():
    spec = Spec((320, 320), "inside", "webp", 80)

    assert spec.fingerprint() == Spec((320, 320)).fingerprint() == Spec([320, 320]).fingerprint()
    # Pinned: a change here renames every stored variant (raise uploads.imaging.VERSION instead).
    assert spec.fingerprint() == "c20d9f6d836bf7d9"


def test_fingerprints_differ_when_anything_in_the_spec_differs():
    specs = [
        Spec((320, 320)),
        Spec((320, 321)),
        Spec((321, 320)),
        Spec((320, 320), "crop"),
        Spec((320, 320), format="avif"),
        Spec((320, 320), format="jpeg"),
        Spec((320, 320), quality=81),
    ]

    assert len({spec.fingerprint() for spec in specs}) == len(specs)
    assert all(len(f) == 16 and int(f, 16) >= 0 for f in (spec.fingerprint() for spec in specs))


def test_specs_are_values():
    assert Spec([800, 600]) == Spec((800, 600)) and hash(Spec([800, 600])) == hash(Spec((800, 600)))
    assert Spec([800, 600]).size == (800, 600)


@pytest.mark.parametrize(
    "arguments",
    [
        {"size": (0, 10)},
        {"size": (10,)},
        {"size": (10.5, 10)},
        {"size": (True, 10)},
        {"size": (10, 10), "fit": "cover"},
        {"size": (10, 10), "format": "png"},
        {"size": (10, 10), "quality": 0},
        {"size": (10, 10), "quality": 101},
    ],
)
def test_a_spec_that_cannot_be_made_is_refused_when_written(arguments):
    with pytest.raises(ValueError):
        Spec(**arguments)


# --- determinism and memory -------------------------------------------------------------------


def test_equal_input_gives_equal_bytes():
    data = encoded(quadrants(400, 300), exif=with_exif(orientation=6))
    specs = [Spec((200, 200)), Spec((100, 100), "crop", "avif"), Spec((150, 150), "inside", "jpeg")]

    first, second = render(data, specs), render(data, specs)

    assert [r.data for r in first] == [r.data for r in second]


@pytest.mark.parametrize(
    ("orientation", "sizes"),
    [(1, [(320, 240), (800, 600), (2000, 1500)]), (6, [(240, 320), (600, 800), (1500, 2000)])],
)
def test_a_12_megapixel_jpeg_is_decoded_at_the_size_the_largest_variant_needs(decodes, orientation, sizes):
    exif = with_exif(orientation=orientation).tobytes()
    data = image_bytes("image/jpeg", 4000, 3000, exif=exif)

    rendered = render(data, [Spec((320, 320)), Spec((800, 800)), Spec((2000, 2000))])

    assert [(r.width, r.height) for r in rendered] == sizes
    assert decodes == [(2000, 1500)]  # libjpeg's 1/2 scale: 12 MB of pixels, never 48


def test_small_variants_alone_decode_a_jpeg_at_an_eighth(decodes):
    render(image_bytes("image/jpeg", 4000, 3000), [Spec((128, 128), "crop"), Spec((320, 320))])

    assert decodes == [(500, 375)]


MEASURE_PEAK = """
import sys
from uploads.imaging import Spec, render
data = sys.stdin.buffer.read()
def peak():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) * 1024
try:
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")  # the peak starts again from here
except OSError:
    pass  # the peak so far is the imports' and the bytes read: about the present size anyway
before = peak()
render(data, [Spec((320, 320)), Spec((800, 800)), Spec((2000, 2000))])
print(peak() - before)
"""


def test_rendering_a_12_megapixel_jpeg_takes_less_memory_than_decoding_it_whole():
    data = image_bytes("image/jpeg", 4000, 3000)
    whole = 4000 * 3000 * 4  # Pillow keeps RGB in 4 bytes a pixel: 46 MB for the full decode alone

    done = subprocess.run(
        [sys.executable, "-c", MEASURE_PEAK], input=data, cwd=ROOT, capture_output=True, check=True
    )

    peak = int(done.stdout)
    assert 0 < peak < whole, f"peak {peak / 2**20:.1f} MB, a whole decode is {whole / 2**20:.1f} MB"
