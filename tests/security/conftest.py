"""What every attack test needs: the whole state to compare before and after, S3's refusal, a victim.

An attack is refused only if nothing moved: ``state(s3)`` is every object in the bucket (key,
ETag, size, time) and every row, so ``assert state(s3) == before`` also catches an object that
appeared or a row that changed.
"""

import base64
import json
import re
from dataclasses import dataclass

import pytest
import requests
from django.test import Client

from tests.conftest import TEST_BUCKET, ApiClient, post_to_s3
from tests.images import image_bytes
from uploads.models import Upload

API = "/uploads/api/uploads/"


def objects(s3):
    """Every object in the test bucket: key → (ETag, size, last modified)."""
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=TEST_BUCKET)
    listed = (item for page in pages for item in page.get("Contents", []))
    return {item["Key"]: (item["ETag"], item["Size"], item["LastModified"]) for item in listed}


def rows():
    return list(Upload.objects.order_by("pk").values())


def state(s3):
    return objects(s3), rows()


def stored(s3, key):
    return s3.get_object(Bucket=TEST_BUCKET, Key=key)["Body"].read()


def post_form(created, data, *, fields=None):
    """POST a file with the create reply's policy plus ``fields``, and return S3's answer unfollowed."""
    form = {**created["upload"]["fields"], **(fields or {})}
    upload = {"file": ("upload.bin", data, form["Content-Type"])}
    return requests.post(created["upload"]["url"], data=form, files=upload, allow_redirects=False, timeout=30)


def s3_refusal(reply):
    """``(status, S3 error code)`` of an answer from S3."""
    code = re.search(r"<Code>([^<]*)</Code>", reply.text)
    return reply.status_code, code.group(1) if code else None


def policy_document(created):
    return json.loads(base64.b64decode(created["upload"]["fields"]["policy"]))


def verified(api, data, content_type, filename="item"):
    """Create, upload and complete a real file through the API; the completed upload's JSON."""
    created = api.create(filename, content_type, len(data)).json()
    assert post_to_s3(created, data).status_code == 204
    reply = api.complete(created["id"])
    assert reply.status_code == 200, reply.content
    return reply.json()


@pytest.fixture
def staff(make_user):
    """A logged-in reviewer, as the admin sees them."""
    client = Client()
    client.force_login(make_user("reviewer", is_staff=True, is_superuser=True))
    return client


@dataclass
class Victim:
    user: object
    api: ApiClient
    upload: dict
    data: bytes


@pytest.fixture
def victim(make_user, s3):
    """Another seller with a verified upload in the bucket: what an attacker would go after."""
    user = make_user("victim")
    api = ApiClient(user)
    data = image_bytes("image/jpeg", 40, 30)
    return Victim(user=user, api=api, upload=verified(api, data, "image/jpeg", "victim.jpg"), data=data)
