"""Object keys are chosen by the server and always safe; the client's name is kept only for display."""

import re
import uuid

import pytest

from uploads.keys import build_key, display_name, safe_stem

TOKEN = uuid.UUID("12345678-1234-5678-1234-567812345678")
SAFE_KEY = re.compile(r"uploads/42/12345678123456781234567812345678/[A-Za-z0-9._-]{1,80}\.jpg")


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("shoe.jpg", "shoe"),
        ("Red Shoe (final).JPG", "Red-Shoe-final"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win"),
        ("a/b/c.png", "c"),
        ("..", "file"),
        ("....", "file"),
        (".hidden", "hidden"),
        ("nul\x00byte.jpg", "nul-byte"),
        ("tab\there\nnewline.jpg", "tab-here-newline"),
        ("evil\u202egnp.jpg", "evilgnp"),
        ("Crème brûlée.jpg", "Creme-brulee"),
        ("日本語.jpg", "file"),
        ("😀.png", "file"),
        ("CON.jpg", "file"),
        ("lpt1", "file"),
        ("x" * 10_000 + ".jpg", "x" * 80),
    ],
)
def test_safe_stem_keeps_only_a_short_ascii_name_without_path(name, stem):
    assert safe_stem(name) == stem


@pytest.mark.parametrize("name", ["../../x.jpg", "a\x00b", "\u202e", "..", "x" * 10_000, "😀", "C:\\a\\b.jpg"])
def test_build_key_is_always_prefix_user_uuid_and_a_safe_name_with_the_types_extension(name, settings):
    assert SAFE_KEY.fullmatch(build_key(42, name, "image/jpeg", token=TOKEN))


def test_build_key_uses_the_configured_prefix(settings):
    settings.UPLOADS = {"KEY_PREFIX": "media/products"}

    assert build_key(7, "a.png", "image/png", token=TOKEN) == "media/products/7/12345678123456781234567812345678/a.png"


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Crème brûlée.jpg", "Crème brûlée.jpg"),
        ("evil\u202egnp.jpg", "evilgnp.jpg"),
        ("nul\x00byte\x1f.jpg", "nulbyte.jpg"),
        ("   ", "file"),
        ("😀.png", "😀.png"),
    ],
)
def test_display_name_keeps_the_name_people_recognise_without_control_characters(name, shown):
    assert display_name(name) == shown


def test_display_name_is_capped_and_keeps_the_extension():
    shown = display_name("y" * 10_000 + ".jpeg")

    assert len(shown) == 255
    assert shown.endswith("…" + ".jpeg")
