"""A client without a browser (a script, a phone app) uses the same API over plain HTTP with a
session login, exactly as the curl session in docs/api.md ("A session from the shell") shows."""

import base64
import hashlib

import pytest
import requests

from tests.images import image_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_script_logs_in_uploads_straight_to_s3_and_completes_over_plain_http(live_server, s3, make_user):
    make_user("device")
    data = image_bytes("image/png", 320, 240)
    http = requests.Session()

    # 1. Log in with Django's login form: it needs the CSRF cookie first.
    http.get(f"{live_server.url}/accounts/login/", timeout=10)
    csrf = http.cookies["csrftoken"]
    login = http.post(
        f"{live_server.url}/accounts/login/",
        data={"username": "device", "password": "pw-device", "csrfmiddlewaretoken": csrf},
        headers={"Referer": f"{live_server.url}/accounts/login/"},
        allow_redirects=False,
        timeout=10,
    )
    assert login.status_code == 302
    headers = {
        "X-CSRFToken": http.cookies["csrftoken"],
        "Referer": live_server.url,
        "Content-Type": "application/json",  # on complete too, which has no body
    }

    # 2. Ask for a policy, declaring name, type, size and (optionally) the SHA-256.
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    created = http.post(
        f"{live_server.url}/uploads/api/uploads/",
        json={"filename": "sensor.png", "content_type": "image/png", "size": len(data), "sha256": digest},
        headers=headers,
        timeout=10,
    )
    assert created.status_code == 201
    upload = created.json()["upload"]

    # 3. POST the file straight to S3 with exactly the fields given, the file last.
    stored = requests.post(
        upload["url"], data=upload["fields"], files={"file": ("sensor.png", data)}, timeout=30
    )
    assert stored.status_code == 204

    # 4. Ask the server to verify it.
    done = http.post(
        f"{live_server.url}/uploads/api/uploads/{created.json()['id']}/complete/", headers=headers, timeout=10
    )
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["width"], done.json()["height"]) == ("uploaded", 320, 240)
    assert requests.get(done.json()["url"], timeout=10).content == data
