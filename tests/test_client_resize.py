"""A profile's CLIENT_RESIZE reaches the page as data-client-resize: JSON with its defaults filled in,
on the {% uploader %} element and on the form widget's; absent where the profile has none."""

import html
import json
import re

from django.template import Context, Template
from django.test import RequestFactory

from uploads.widgets import UploadWidget, uploader_context

AVATAR = {"max_width": 1024, "max_height": 1024, "type": "image/jpeg", "quality": 85}
AVATAR_JSON = '{"max_height":1024,"max_width":1024,"quality":85,"type":"image/jpeg"}'


def uploader(profile="default"):
    request = RequestFactory().get("/")
    return Template(f'{{% load uploads %}}{{% uploader profile="{profile}" %}}').render(
        Context({"request": request})
    )


def attribute(markup):
    found = re.findall(r'data-client-resize="([^"]*)"', markup)
    return json.loads(html.unescape(found[0])) if found else None


def test_without_a_target_the_page_gets_no_attribute(settings):
    settings.UPLOADS = {}

    assert uploader_context("default")["client_resize"] == ""
    assert "data-client-resize" not in uploader()


def test_the_target_is_written_after_the_limits_with_its_defaults(settings):
    settings.UPLOADS = {"PARALLEL": 2, "CLIENT_RESIZE": {"max_width": 1024, "max_height": 1024}}

    assert uploader_context("default")["client_resize"] == AVATAR_JSON
    assert (
        '     data-parallel="2"\n'
        '     data-client-resize="{&quot;max_height&quot;:1024,&quot;max_width&quot;:1024,'
        '&quot;quality&quot;:85,&quot;type&quot;:&quot;image/jpeg&quot;}">\n'
        '  <div class="uploader__drop" data-uploader-drop>\n'
    ) in uploader()


def test_a_profile_has_its_own_target_or_none(settings):
    product = {"max_width": 2560, "max_height": 2560, "type": "image/webp", "quality": 90}
    settings.UPLOADS = {
        "CLIENT_RESIZE": AVATAR,
        "PROFILES": {"product_image": {"CLIENT_RESIZE": product}, "document": {"CLIENT_RESIZE": None}},
    }

    assert attribute(uploader()) == AVATAR
    assert attribute(uploader("product_image")) == product
    assert attribute(uploader("document")) is None


def test_the_form_widget_carries_its_profiles_target(settings):
    settings.UPLOADS = {"PROFILES": {"avatar": {"CLIENT_RESIZE": AVATAR}, "other": {}}}

    markup = UploadWidget(profile="avatar").render("avatar", None)

    assert '     data-client-resize="{&quot;max_height&quot;:1024,' in markup
    assert attribute(markup) == AVATAR
    assert "data-client-resize" not in UploadWidget(profile="other").render("other", None)
