"""Real photos put into the app the way the page puts them there: create, POST to S3, complete.
Imported once Django is set up."""

import base64
import hashlib
import json

import requests
from django.contrib.auth import get_user_model

from benchmarks.environment import PASSWORD
from benchmarks.errors import BenchmarkError, one_line
from benchmarks.inprocess import logged_in_client

API = "/uploads/api/uploads/"


def photos(count, distinct):
    """``count`` 12-megapixel photo-like JPEGs (``benchmarks.imaging.photo``, landscape and
    portrait by turns) of ``distinct`` different pictures: copies differ in a comment segment, so
    each has bytes, a digest and variants of its own, and costs the same to render."""
    from benchmarks.imaging import photo

    pictures = [photo(seed, orientation=6 if seed % 2 else 1) for seed in range(min(count, distinct))]
    return [_tagged(pictures[n % len(pictures)], n) for n in range(count)]


def _tagged(data, n):
    return data[:2] + b"\xff\xfe\x00\x08" + f"{n:06d}".encode() + data[2:]


def upload(client, csrf, data, filename, profile="default"):
    """Create, store and complete one upload through the API (Django's test client, logged in);
    returns the verified upload's id."""
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    body = {
        "filename": filename,
        "content_type": "image/jpeg",
        "size": len(data),
        "sha256": digest,
        "profile": profile,
    }
    headers = {"X-CSRFToken": csrf}
    created = client.post(API, json.dumps(body), content_type="application/json", headers=headers)
    if created.status_code != 201:
        raise BenchmarkError(
            f"create for {filename} answered {created.status_code}: {one_line(created.content.decode())}"
        )
    reply = created.json()
    policy = reply["upload"]
    stored = requests.post(
        policy["url"], data=policy["fields"], files={"file": (filename, data, "image/jpeg")}, timeout=120
    )
    if not stored.ok:
        raise BenchmarkError(f"S3 refused {filename} with {stored.status_code}: {one_line(stored.text)}")
    completed = client.post(f"{API}{reply['id']}/complete/", content_type="application/json", headers=headers)
    if completed.status_code != 200:
        raise BenchmarkError(
            f"complete for {filename} answered {completed.status_code}: {one_line(completed.content.decode())}"
        )
    return reply["id"]


def as_new_user(username, photos, profile="default"):
    """A new user who uploads ``photos``; returns the verified uploads' ids, in order."""
    get_user_model().objects.create_user(username, password=PASSWORD)
    client, csrf = logged_in_client(username)
    return [upload(client, csrf, data, f"photo-{n:02d}.jpg", profile) for n, data in enumerate(photos)]
