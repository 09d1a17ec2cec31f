"""Whatever a client calls its file, the key is the server's and safe, and the name it keeps for
people is capped, stripped of invisible characters and escaped wherever it is shown."""

import re
import unicodedata

import pytest

from tests.conftest import post_to_s3
from tests.images import image_bytes
from tests.security.conftest import API, policy_document, stored, verified
from uploads import keys
from uploads.models import Upload

pytestmark = pytest.mark.django_db

JPEG = image_bytes("image/jpeg")

# case → (name sent, last segment of the key, display name kept)
NAMES = {
    "slashes": ("../../etc/passwd", "passwd.jpg", "../../etc/passwd"),
    "backslashes": ("..\\..\\windows\\system32\\evil.jpg", "evil.jpg", "..\\..\\windows\\system32\\evil.jpg"),
    "absolute path": ("/etc/shadow", "shadow.jpg", "/etc/shadow"),
    "windows drive": ("C:\\boot.ini", "boot.jpg", "C:\\boot.ini"),
    "trailing slash": ("shoe.jpg/", "file.jpg", "shoe.jpg/"),
    "dot dot": ("..", "file.jpg", ".."),
    "fullwidth dot dot slash": ("\uff0e\uff0e\uff0fx.jpg", "x.jpg", "\uff0e\uff0e\uff0fx.jpg"),
    "url encoded dot dot": ("%2e%2e%2fshoe.jpg", "2e-2e-2fshoe.jpg", "%2e%2e%2fshoe.jpg"),
    "nul": ("shoe\x00.jpg.html", "shoe-.jpg.jpg", "shoe.jpg.html"),
    "only nul": ("\x00", "file.jpg", "file"),
    "control characters": ("\x01\x1b[31mred\x7f\r\n.jpg", "31mred.jpg", "[31mred.jpg"),
    "right to left override": ("shoe\u202egpj.exe", "shoegpj.jpg", "shoegpj.exe"),
    "zero width and isolates": ("sh\u200doe\u2066x\u2069.jpg", "shoex.jpg", "shoex.jpg"),
    "ten thousand characters": ("a" * 10_000 + ".jpg", "a" * 80 + ".jpg", "a" * 250 + "….jpg"),
    "only dots": ("...", "file.jpg", "..."),
    "one dot": (".", "file.jpg", "."),
    "dots and spaces": (" . ", "file.jpg", "."),
    "CON": ("CON", "file.jpg", "CON"),
    "NUL.jpg": ("NUL.jpg", "file.jpg", "NUL.jpg"),
    "LPT1": ("LPT1", "file.jpg", "LPT1"),
    "com1 lower case": ("com1.png", "file.jpg", "com1.png"),
    "emoji": ("👟🔥.jpg", "file.jpg", "👟🔥.jpg"),
    "accents": ("chaussure-été.jpg", "chaussure-ete.jpg", "chaussure-été.jpg"),
    "html": ("<script>alert(1)</script>.jpg", "script.jpg", "<script>alert(1)</script>.jpg"),
    "dotfile": (".htaccess", "htaccess.jpg", ".htaccess"),
    "executable extension": ("index.html", "index.jpg", "index.html"),
}
KEY = r"uploads/{installation}/{user}/{hex}/[A-Za-z0-9._-]+\.jpg"


@pytest.mark.parametrize("case", list(NAMES))
def test_a_hostile_file_name_gets_a_safe_pinned_key_and_a_clean_display_name(api, s3, seller, case):
    sent, last_segment, display = NAMES[case]

    reply = api.create(sent, "image/jpeg", len(JPEG))

    created = reply.json()
    row = Upload.objects.get(pk=created["id"])
    assert reply.status_code == 201
    assert re.fullmatch(
        KEY.format(installation=keys.installation_id(), user=seller.pk, hex=row.pk.hex), created["key"]
    )
    assert created["key"].rsplit("/", 1)[1] == last_segment
    assert created["upload"]["fields"]["key"] == created["key"] == row.key
    conditions = policy_document(created)["conditions"]
    assert {"key": created["key"]} in conditions
    assert not [c for c in conditions if isinstance(c, list) and c[0] == "starts-with"]
    assert row.filename == display
    assert len(row.filename) <= 255
    assert not [ch for ch in row.filename if unicodedata.category(ch) in ("Cc", "Cf")]
    assert post_to_s3(created, JPEG).status_code == 204
    assert stored(s3, created["key"]) == JPEG
    assert api.complete(created["id"]).json()["filename"] == display


def test_a_name_with_a_lone_surrogate_is_kept_without_it(api, s3):
    reply = api.post(API, raw='{"filename": "shoe\\ud800.jpg", "content_type": "image/jpeg", "size": 100}')

    assert reply.status_code == 201
    assert reply.json()["key"].endswith("/shoe.jpg")
    assert Upload.objects.get(pk=reply.json()["id"]).filename == "shoe.jpg"


def test_a_name_of_only_spaces_is_refused(api, s3):
    reply = api.create("   ", "image/jpeg", 100)

    assert reply.status_code == 400
    assert reply.json() == {
        "error": {
            "code": "invalid",
            "message": "The file name must be a non-empty string.",
            "field": "filename",
        }
    }
    assert not Upload.objects.exists()


@pytest.mark.parametrize("filename", [None, 7, ["a.jpg"], {"name": "a.jpg"}, True])
def test_a_name_that_is_not_a_string_is_refused(api, s3, filename):
    reply = api.post(API, {"filename": filename, "content_type": "image/jpeg", "size": 100})

    assert reply.status_code == 400
    assert reply.json()["error"]["field"] == "filename"
    assert not Upload.objects.exists()


MARKUP = '"><script>alert(1)</script><img src=x onerror=alert(2)>.jpg'
ESCAPED = "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;.jpg"


@pytest.mark.parametrize("page", ["?state=all", "{id}/change/", "{id}/delete/", "?state=all&q=script"])
def test_the_admin_shows_a_name_with_markup_escaped(api, s3, staff, page):
    upload = verified(api, JPEG, "image/jpeg", MARKUP)

    html = staff.get("/admin/uploads/upload/" + page.format(id=upload["id"])).content.decode()

    assert ESCAPED in html
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html


def test_the_home_page_shows_a_name_with_markup_escaped(api, s3):
    upload = verified(api, image_bytes("image/png"), "image/png", "<img src=x onerror=alert(1)>.png")

    html = api.get("/").content.decode()

    assert upload["filename"] == "<img src=x onerror=alert(1)>.png"
    assert html.count("&lt;img src=x onerror=alert(1)&gt;.png") == 2  # the alt text and the caption
    assert "<img src=x" not in html
    assert "onerror=alert(1)>" not in html
