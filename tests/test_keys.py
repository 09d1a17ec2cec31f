"""Object keys are chosen by the server and always safe; the client's name is kept only for display."""

import re
import uuid

import pytest

from uploads import keys
from uploads.keys import build_key, display_name, made_here, safe_stem, verified_key

TOKEN = uuid.UUID("12345678-1234-5678-1234-567812345678")
SAFE_KEY = r"uploads/{installation}/42/12345678123456781234567812345678/[A-Za-z0-9._-]{{1,80}}\.jpg"


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


@pytest.mark.parametrize(
    "name", ["../../x.jpg", "a\x00b", "\u202e", "..", "x" * 10_000, "😀", "C:\\a\\b.jpg"]
)
def test_build_key_is_always_prefix_user_uuid_and_a_safe_name_with_the_types_extension(name, settings):
    key = build_key(42, name, "image/jpeg", token=TOKEN)

    assert re.fullmatch(SAFE_KEY.format(installation=keys.installation_id()), key)


def test_build_key_uses_the_storages_location_the_configured_prefix_and_the_installation_id(settings):
    settings.UPLOADS = {"KEY_PREFIX": "media/products", "INSTALLATION_ID": "shop-live"}

    key = build_key(7, "a.png", "image/png", token=TOKEN, location="site/")

    assert key == "site/media/products/shop-live/7/12345678123456781234567812345678/a.png"


def test_the_installation_id_is_derived_from_the_secret_key_unless_it_is_set(settings):
    settings.SECRET_KEY = "first-secret-" + "x" * 40
    first = keys.installation_id()
    settings.SECRET_KEY = "second-secret-" + "x" * 40
    second = keys.installation_id()
    settings.UPLOADS = {"INSTALLATION_ID": "shop-live"}

    assert re.fullmatch("[0-9a-f]{12}", first) and re.fullmatch("[0-9a-f]{12}", second) and first != second
    assert keys.installation_id() == "shop-live"


def test_ids_of_secret_key_fallbacks_still_count_as_this_installations(settings):
    settings.SECRET_KEY = "old-secret-" + "x" * 40
    old = build_key(7, "a.png", "image/png")
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "new-secret-" + "x" * 40, [settings.SECRET_KEY]

    assert made_here(old)
    settings.SECRET_KEY_FALLBACKS = []
    assert not made_here(old)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: build_key(7, "a.png", "image/png"), True),
        (lambda: verified_key(build_key(7, "a.png", "image/png")), True),
        (lambda: build_key(7, "a.png", "image/png", location="site"), False),  # not under this location
        (lambda: build_key(7, "a.png", "image/png").replace(keys.installation_id(), "other-site"), False),
        (lambda: f"uploads/7/{TOKEN.hex}/a.png", False),  # the shape of keys before installation ids
        (lambda: f"uploads/{keys.installation_id()}/2025/contract.pdf", False),
        (lambda: build_key(7, "a.png", "image/png") + ".html", False),
        (lambda: build_key(7, "a.png", "image/png", token=TOKEN).replace(TOKEN.hex, "x" * 32), False),
        (lambda: "elsewhere/" + build_key(7, "a.png", "image/png"), False),
    ],
)
def test_only_keys_under_this_installations_roots_in_the_exact_shape_count_as_made_here(
    make, expected, settings
):
    assert made_here(make()) is expected


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
