"""The uploader element tells its script where an upload's parts and renewed policy are asked for,
and above what size a file goes in parts: data-parts-url, data-renew-url (URL templates with
"{id}", like data-complete-url) and data-multipart-threshold (MULTIPART_THRESHOLD, in plain digits);
and which types it takes, each with its name and extensions, from the server's table of types
(data-types). The same on the {% uploader %} element and on the form widget's; and the script
(controller.js's readConfig, api.js's client) reads them as written and calls the app's own views with them.
"""

import json
import re
import subprocess
import uuid
from pathlib import Path

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import resolve
from django.utils import translation

from uploads import conf, filetypes, views
from uploads.widgets import UploadWidget

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "uploads" / "static" / "uploads" / "uploader"
FAKE_DOM = ROOT / "tests" / "js" / "fake-dom.mjs"


def tag(arguments=""):
    request = RequestFactory().get("/")
    return Template(f"{{% load uploads %}}{{% uploader {arguments} %}}").render(Context({"request": request}))


def widget(**options):
    return UploadWidget(**options).render("images", None)


def data(markup):
    """The uploader element's data- attributes: {"parts-url": "…", …}."""
    opening = re.search(r"<div class=\"uploader\"[^>]*>", markup).group(0)
    return dict(re.findall(r'data-([\w-]+)="([^"]*)"', opening))


@pytest.mark.parametrize("render", [tag, widget], ids=["tag", "widget"])
def test_the_element_names_the_parts_and_renew_urls_and_the_threshold(settings, render):
    settings.UPLOADS = {"MULTIPART_THRESHOLD": 50 * 2**20}

    found = data(render())

    assert found["parts-url"] == "/uploads/api/uploads/{id}/parts/"
    assert found["renew-url"] == "/uploads/api/uploads/{id}/renew/"
    assert found["multipart-threshold"] == "52428800"
    # Beside the URL templates the script already had, written the same way.
    assert found["complete-url"] == "/uploads/api/uploads/{id}/complete/"


@pytest.mark.parametrize("render", [tag, widget], ids=["tag", "widget"])
def test_the_threshold_is_plain_digits_in_any_language(settings, render):
    settings.UPLOADS = {"MULTIPART_THRESHOLD": 123_456_789}
    settings.USE_THOUSAND_SEPARATOR = True

    with translation.override("de"):
        found = data(render())

    assert found["multipart-threshold"] == "123456789"


def test_the_default_threshold_is_the_apps(settings):
    settings.UPLOADS = {}

    assert data(tag())["multipart-threshold"] == data(widget())["multipart-threshold"] == str(100 * 2**20)


@pytest.mark.parametrize("render", [tag, widget], ids=["tag", "widget"])
def test_the_urls_follow_where_the_project_mounts_the_app(settings, render):
    settings.ROOT_URLCONF = "tests.urls_elsewhere"

    found = data(render())

    assert found["parts-url"] == "/somewhere/else/api/uploads/{id}/parts/"
    assert found["renew-url"] == "/somewhere/else/api/uploads/{id}/renew/"


@pytest.mark.parametrize("render", [tag, widget], ids=["tag", "widget"])
def test_with_an_id_put_in_the_urls_reach_the_parts_and_renew_views(render):
    found, upload_id = data(render()), uuid.uuid4()

    def view_of(template):
        # As api.js's fillUrl does: every "{id}" replaced by the upload's id.
        match = resolve(template.replace("{id}", str(upload_id)))
        return match.func, match.kwargs

    assert view_of(found["parts-url"]) == (views.upload_parts, {"upload_id": upload_id})
    assert view_of(found["renew-url"]) == (views.upload_renew, {"upload_id": upload_id})


def read_by_the_script(markup):
    """What the page's script makes of the element in ``markup``: controller.js's readConfig, and
    the URLs api.js then calls for an upload's parts and its renewal (run in Node on the tests'
    fake DOM)."""
    opening = re.search(r"<div class=\"uploader\"[^>]*>", markup).group(0)
    element = f'{opening}<input type="hidden" data-uploader-value></div>'
    code = f"""
import {{ installDom }} from {json.dumps(FAKE_DOM.as_uri())}
const dom = installDom()
const {{ readConfig }} = await import({json.dumps((SCRIPTS / "controller.js").as_uri())})
const {{ createApi }} = await import({json.dumps((SCRIPTS / "api.js").as_uri())})
const config = readConfig(dom.html({json.dumps(element)}))
const called = []
const send = async (url, init) => {{
  called.push([init.method, url])
  return {{ status: 200, ok: true, json: async () => ({{}}) }}
}}
const api = createApi(config, () => "token", {{ fetch: send }})
await api.parts("u-1")
await api.renew("u-1")
console.log(JSON.stringify({{
  partsUrl: config.partsUrl,
  renewUrl: config.renewUrl,
  multipartThreshold: config.multipartThreshold,
  called,
  accept: config.accept,
  types: config.types,
}}))
"""
    done = subprocess.run(
        ["node", "--input-type=module", "-e", code], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("render", [tag, widget], ids=["tag", "widget"])
def test_the_script_reads_them_and_calls_the_apps_urls(settings, render):
    settings.UPLOADS = {"MULTIPART_THRESHOLD": 64 * 2**20}
    settings.ROOT_URLCONF = "tests.urls_elsewhere"

    read = read_by_the_script(render())

    assert {key: value for key, value in read.items() if key not in ("accept", "types")} == {
        "partsUrl": "/somewhere/else/api/uploads/{id}/parts/",
        "renewUrl": "/somewhere/else/api/uploads/{id}/renew/",
        "multipartThreshold": 64 * 2**20,
        "called": [
            ["GET", "/somewhere/else/api/uploads/u-1/parts/"],
            ["POST", "/somewhere/else/api/uploads/u-1/renew/"],
        ],
    }


@pytest.mark.parametrize("render", [tag, widget], ids=["tag", "widget"])
def test_the_script_takes_the_profiles_types_with_the_names_and_extensions_of_the_servers_table(
    settings, render
):
    settings.UPLOADS = {"ALLOWED_TYPES": ["image/webp", "image/jpeg"]}

    read = read_by_the_script(render())

    assert read["accept"] == ["image/webp", "image/jpeg"]
    assert read["types"] == {
        "image/webp": {"name": "WebP", "extensions": [".webp"]},
        "image/jpeg": {"name": "JPEG", "extensions": [".jpg", ".jpeg", ".jpe", ".jfif"]},
    }


def test_the_script_tests_are_fed_the_types_as_the_server_renders_them():
    # tests/js/support.mjs builds every element's data-types from this file.
    fed = (ROOT / "tests" / "js" / "page-types.json").read_text().strip()

    assert fed == filetypes.for_page(list(conf.VERIFIABLE_TYPES))
