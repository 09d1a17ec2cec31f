"""{% uploader %} renders the element the script binds to, with every URL and limit in data- attributes."""

import re

from django.template import Context, Template
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
        f'     data-csrf-token="{token}"\n'
        '     data-profile="default"\n'
        '     data-max-size="5242880"\n'
        '     data-accept="image/jpeg,image/webp"\n'
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
