"""{% uploader %} renders the element the script binds to, with every URL and limit in data- attributes."""

import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Template, TemplateSyntaxError
from django.test import RequestFactory


def render():
    request = RequestFactory().get("/")
    return Template("{% load uploads %}{% uploader %}").render(Context({"request": request}))


def test_uploader_renders_urls_limits_and_the_module(settings):
    settings.UPLOADS = {"MAX_SIZE": 5 * 2**20, "ALLOWED_TYPES": ["image/jpeg", "image/webp"], "PARALLEL": 4}

    html = render()

    uid = re.search(r'id="(uploader-[0-9a-f]{8})"', html).group(1)
    token = re.search(r'data-csrf-token="([A-Za-z0-9]{64})"', html).group(1)
    assert html == (
        f'<div class="uploader" id="{uid}" data-uploader\n'
        '     data-create-url="/uploads/api/uploads/"\n'
        '     data-detail-url="/uploads/api/uploads/{id}/"\n'
        '     data-complete-url="/uploads/api/uploads/{id}/complete/"\n'
        '     data-parts-url="/uploads/api/uploads/{id}/parts/"\n'
        '     data-renew-url="/uploads/api/uploads/{id}/renew/"\n'
        f'     data-csrf-token="{token}"\n'
        '     data-profile="default"\n'
        '     data-max-size="5242880"\n'
        '     data-multipart-threshold="104857600"\n'
        '     data-types="{&quot;image/jpeg&quot;:{&quot;name&quot;:&quot;JPEG&quot;,&quot;extensions&quot;:[&quot;.jpg&quot;,&quot;.jpeg&quot;,&quot;.jpe&quot;,&quot;.jfif&quot;]},&quot;image/webp&quot;:{&quot;name&quot;:&quot;WebP&quot;,&quot;extensions&quot;:[&quot;.webp&quot;]}}"\n'
        '     data-parallel="4">\n'
        '  <div class="uploader__drop" data-uploader-drop>\n'
        f'    <input class="uploader__input" id="{uid}-input" type="file" multiple\n'
        f'           accept="image/jpeg,image/webp" aria-describedby="{uid}-hint">\n'
        f'    <label class="uploader__choose" for="{uid}-input">Choose images</label>\n'
        f'    <p class="uploader__hint" id="{uid}-hint">\n'
        "      or drop them here · JPEG, WebP up to 5 MB\n"
        "    </p>\n"
        "  </div>\n"
        '  <ul class="uploader__files" data-uploader-list aria-label="Uploads"></ul>\n'
        "</div>\n"
        '<link rel="stylesheet" href="/static/uploads/uploader.css">\n'
        '<script src="/uploads/jsi18n/"></script>\n'
        '<script type="module" src="/static/uploads/uploader.js"></script>\n'
    )


def test_uploader_urls_follow_where_the_project_mounts_the_app(settings):
    settings.ROOT_URLCONF = "tests.urls_elsewhere"

    html = render()

    assert 'data-create-url="/somewhere/else/api/uploads/"' in html
    assert 'data-complete-url="/somewhere/else/api/uploads/{id}/complete/"' in html


def test_uploader_without_the_request_in_the_context_says_what_to_add(settings):
    with pytest.raises(ImproperlyConfigured) as raised:
        Template("{% load uploads %}{% uploader %}").render(Context({}))

    assert str(raised.value).startswith(
        "{% uploader %} needs the request in the template context (for the CSRF token): add "
        "'django.template.context_processors.request' to the context_processors of your TEMPLATES setting"
    )


def test_uploader_with_an_unknown_profile_names_the_known_ones(settings, rf):
    with pytest.raises(TemplateSyntaxError) as raised:
        Template('{% load uploads %}{% uploader profile="avatr" %}').render(Context({"request": rf.get("/")}))

    assert (
        str(raised.value) == "{% uploader %}: there is no upload profile 'avatr'; the profiles are default."
    )


def test_upload_url_of_something_that_is_not_an_upload_says_what_it_takes(settings):
    with pytest.raises(TemplateSyntaxError) as raised:
        Template("{% load uploads %}{% upload_url product %}").render(Context({"product": 42}))

    assert str(raised.value) == (
        "{% upload_url %} takes an Upload (an UploadField's value, or one of an UploadsField's), not int 42."
    )


def test_upload_url_of_nothing_is_empty(settings):
    assert Template("{% load uploads %}[{% upload_url missing %}]").render(Context({})) == "[]"
