"""Measurements inside this process, through Django's test client: no network between client and
view, so what is left is our code, Django's, boto3's and the database's."""

import io
import json
import time
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from benchmarks import peer
from benchmarks.environment import BUCKET
from benchmarks.stats import Figure, Stat, rate
from uploads import s3
from uploads.models import Upload

JSON_BODY = json.dumps({"filename": "red shoe.jpg", "content_type": "image/jpeg", "size": 5_000_000})


def logged_in_client(username="seller"):
    client = Client(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.get(username=username))
    client.get("/accounts/login/")
    return client, client.cookies["csrftoken"].value


def _json_headers(csrf):
    # Django's client sends content_type only with a body; the API wants it on complete and delete too.
    return {"X-CSRFToken": csrf, "Content-Type": "application/json"}


def _poster(client, csrf, path, body, content_type="application/json", expect=201):
    def post():
        response = client.post(path, body, content_type=content_type, headers={"X-CSRFToken": csrf})
        assert response.status_code == expect, response.content[:300]

    return post


def presign(count, repetitions):
    """Our create call against the sum of its parts, each measured here and now."""
    client, csrf = logged_in_client()
    seller = get_user_model().objects.get(username="seller")
    api = rate(_poster(client, csrf, "/uploads/api/uploads/", JSON_BODY), count, repetitions)
    trivial = rate(_poster(client, csrf, "/bench/trivial/", JSON_BODY), count, repetitions)
    boto_client = s3.client()

    def bare_presign():
        boto_client.generate_presigned_post(
            BUCKET,
            "uploads/1/0123456789abcdef0123456789abcdef/red-shoe.jpg",
            Fields={"Content-Type": "image/jpeg"},
            Conditions=[{"Content-Type": "image/jpeg"}, ["content-length-range", 5_000_000, 5_000_000]],
            ExpiresIn=600,
        )

    boto = rate(bare_presign, count, repetitions)
    counter = iter(range(10**9))

    def insert():
        Upload(
            owner=seller,
            key=f"bench/insert/{next(counter)}",
            filename="x.jpg",
            content_type="image/jpeg",
            size=1,
            expires_at=timezone.now(),
        ).save(force_insert=True)

    insert_rate = rate(insert, count, repetitions)
    parts_seconds = 1 / trivial.median + 1 / boto.median + 1 / insert_rate.median
    parts = Stat(1 / parts_seconds, 1 / parts_seconds, 1 / parts_seconds, "/s")
    return [
        Figure("bare boto3 generate_presigned_post", boto, note="part"),
        Figure("trivial JSON view (same middleware, login, CSRF)", trivial, note="part"),
        Figure("one INSERT of an Upload row", insert_rate, note="part"),
        Figure(
            "presign API in-process",
            api,
            parts,
            "sum of the parts",
            target="≥ 0.8× the parts' rate (≤ parts + 25 %)",
            met=api.median >= 0.8 * parts.median,
        ),
    ]


def peer_views(count, repetitions):
    client, csrf = logged_in_client()
    params = rate(
        _poster(
            client,
            csrf,
            peer.UPLOAD_PARAMS_PATH,
            urlencode(peer.upload_params_data("red shoe.jpg", "image/jpeg", 5_000_000)),
            content_type=_FORM,
            expect=200,
        ),
        count,
        repetitions,
    )
    signature = rate(
        _poster(
            client,
            csrf,
            peer.SIGNATURE_PATH,
            urlencode(peer.signature_data()),
            content_type=_FORM,
            expect=200,
        ),
        count,
        repetitions,
    )
    return params, signature


_FORM = "application/x-www-form-urlencoded"


def jpeg_of_size(target_bytes):
    """A real JPEG of about ``target_bytes``: random pixels do not compress."""
    import random

    from PIL import Image

    side = int((target_bytes / 1.1) ** 0.5 / 1.0)
    rng = random.Random(target_bytes)
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _pending_rows(client, csrf, source_key, size, count):
    """Pending uploads whose objects are already in S3 (server-side copies of one source)."""
    ids = []
    for _ in range(count):
        body = json.dumps({"filename": "bench.jpg", "content_type": "image/jpeg", "size": size})
        created = client.post(
            "/uploads/api/uploads/", body, content_type="application/json", headers={"X-CSRFToken": csrf}
        ).json()
        s3.client().copy_object(
            Bucket=BUCKET, Key=created["key"], CopySource={"Bucket": BUCKET, "Key": source_key}
        )
        ids.append(created["id"])
    return ids


class S3RequestCounter:
    """Counts the HTTP requests boto3 sends and the object bytes it reads, through botocore's events."""

    def __init__(self, client):
        self.count = 0
        self.bytes_read = 0
        client.meta.events.register("before-send.s3.*", self._sent)
        client.meta.events.register("after-call.s3.GetObject", self._read)

    def _sent(self, **kwargs):
        self.count += 1

    def _read(self, parsed, **kwargs):
        self.bytes_read += parsed.get("ContentLength", 0)


def complete(count, repetitions):
    """complete() for a ~5 MB JPEG and a ~1 MB one: requests per second and S3 requests per call."""
    client, csrf = logged_in_client()
    counter = S3RequestCounter(s3.client())  # the app's own client, in this thread
    results = {}
    for label, size in (("5 MB", 5 * 10**6), ("1 MB", 10**6)):
        data = jpeg_of_size(size)
        source = f"bench/source-{label.replace(' ', '')}.jpg"
        s3.client().put_object(Bucket=BUCKET, Key=source, Body=data, ContentType="image/jpeg")
        samples, calls, requests_seen, bytes_before = [], 0, 0, counter.bytes_read
        for _ in range(repetitions):
            ids = _pending_rows(client, csrf, source, len(data), count)
            before = counter.count
            start = time.perf_counter()
            for upload_id in ids:
                response = client.post(
                    f"/uploads/api/uploads/{upload_id}/complete/", headers=_json_headers(csrf)
                )
                assert response.status_code == 200 and response.json()["width"], response.content[:300]
            samples.append(count / (time.perf_counter() - start))
            calls += count
            requests_seen += counter.count - before
        results[label] = (
            Stat.of(samples, "/s"),
            requests_seen / calls,
            len(data),
            (counter.bytes_read - bytes_before) / calls,
        )
    big, small = results["5 MB"], results["1 MB"]
    return [
        Figure(
            f"complete(), {big[2] / 1e6:.1f} MB JPEG",
            big[0],
            small[0],
            f"complete(), {small[2] / 1e6:.1f} MB JPEG",
            target="time independent of size (≥ 0.8)",
            met=big[0].median >= 0.8 * small[0].median,
        ),
        Figure(
            f"bytes read from S3 per complete(), {big[2] / 1e6:.1f} MB JPEG",
            Stat(big[3] / 1024, big[3] / 1024, big[3] / 1024, "KB"),
            Stat(small[3] / 1024, small[3] / 1024, small[3] / 1024, "KB"),
            f"for the {small[2] / 1e6:.1f} MB JPEG",
            target="equal: never the whole file",
            met=big[3] == small[3] and big[3] < small[2],
        ),
        Figure(
            "S3 requests per complete()",
            Stat(big[1], big[1], big[1], "requests"),
            Stat(2, 2, 2, "requests"),
            "target",
            target="≤ 2",
            met=big[1] <= 2,
        ),
    ]


def queries():
    """Database queries per API call, and in the admin changelist with 10 and 10,000 uploads."""

    client, csrf = logged_in_client()
    seller = get_user_model().objects.get(username="seller")
    figures = []

    def counted(call):
        with CaptureQueriesContext(connection) as captured:
            call()
        return len(captured)

    data = jpeg_of_size(20_000)
    created = {}

    def create():
        body = json.dumps({"filename": "q.jpg", "content_type": "image/jpeg", "size": len(data)})
        created.update(
            client.post(
                "/uploads/api/uploads/", body, content_type="application/json", headers={"X-CSRFToken": csrf}
            ).json()
        )

    per_call = {"create": counted(create)}
    s3.client().put_object(Bucket=BUCKET, Key=created["key"], Body=data, ContentType="image/jpeg")
    upload_path = f"/uploads/api/uploads/{created['id']}/"
    per_call["complete"] = counted(
        lambda: client.post(upload_path + "complete/", headers=_json_headers(csrf))
    )
    per_call["detail"] = counted(lambda: client.get(upload_path))
    per_call["list"] = counted(lambda: client.get("/uploads/api/uploads/"))
    per_call["delete"] = counted(lambda: client.delete(upload_path, headers=_json_headers(csrf)))
    for name, number in per_call.items():
        figures.append(
            Figure(f"queries: {name} API call", Stat(number, number, number, "queries"), note="count")
        )

    staff, _ = logged_in_client("staff")
    changelist = {}
    for total in (10, 10_000):
        missing = total - Upload.objects.count()
        Upload.objects.bulk_create(
            Upload(
                owner=seller,
                key=f"bench/rows/{total}/{n}",
                filename=f"row {n}.jpg",
                content_type="image/jpeg",
                size=1000,
                status="uploaded",
                width=10,
                height=10,
                expires_at=timezone.now(),
            )
            for n in range(max(missing, 0))
        )
        changelist[total] = counted(lambda: staff.get("/admin/uploads/upload/"))
    figures.append(
        Figure(
            "queries: admin changelist, 10,000 uploads",
            Stat(changelist[10_000], changelist[10_000], changelist[10_000], "queries"),
            Stat(changelist[10], changelist[10], changelist[10], "queries"),
            "with 10 uploads",
            target="equal (no query per row)",
            met=changelist[10_000] == changelist[10],
        )
    )
    return figures
