"""Variants made by real workers in their own processes, on the database backend and on Redis (rq).

Two workers share the queue and every upload gets its variants exactly once; a worker killed in
the middle of a task loses it, and once the upload's due time has passed the clean-up asks again
and the other worker makes them. Each run has its own database (a SQLite file, or a throw-away
PostgreSQL database when the suite runs on PostgreSQL), its own bucket on the suite's SeaweedFS and
a Redis database number that no other run on the machine holds meanwhile (pytest-xdist's workers,
another checkout's suite), so nothing here touches what another run made.
"""

import contextlib
import json
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import redis
from django.conf import settings

from tests.fuzzy import Matches

ROOT = Path(__file__).resolve().parent.parent
REDIS = "redis://127.0.0.1:6379"
UPLOADS = 8

SEED = """
import io, json, os, datetime
from PIL import Image, ImageDraw
from django.contrib.auth import get_user_model
from django.utils import timezone
from uploads import conf, keys, s3, tasks
from uploads.models import Upload
import base64, hashlib

seller = get_user_model().objects.get_or_create(username="seller")[0]
made = []
for n in range(int(os.environ["UPLOADS_TEST_SEED"])):
    image = Image.new("RGB", (1600, 1200), (40 + n * 20, 90, 160))
    ImageDraw.Draw(image).ellipse((200 + n * 30, 200, 1200, 1000), fill=(230, 200, 40))
    out = io.BytesIO(); image.save(out, "JPEG", quality=90); data = out.getvalue()
    row = Upload(owner=seller, filename=f"photo-{n}.jpg", content_type="image/jpeg", size=len(data),
                 status="uploaded", width=1600, height=1200, expires_at=timezone.now(), verified_at=timezone.now(),
                 sha256=base64.b64encode(hashlib.sha256(data).digest()).decode())
    row.key = keys.build_key(seller.pk, row.filename, row.content_type, token=row.id, location=s3.location())
    s3.put(row.key, data, content_type="image/jpeg")
    row.etag = s3.head(row.key).etag
    row.variants_due = timezone.now() + datetime.timedelta(seconds=conf.get("TASK_LEASE"))
    row.save(force_insert=True)
    made.append(str(row.pk))
for upload_id in made:
    tasks.enqueue_variants(upload_id)
print(json.dumps(made))
"""

# The clean-up command once the upload's lease (TASK_LEASE) has run out. The command reads the
# clock itself, so the due time is moved a second into the past instead of waiting out the lease.
CLEAN_UP_WHEN_DUE = """
import datetime, os
from django.core.management import call_command
from django.utils import timezone
from uploads.models import Upload

past = timezone.now() - datetime.timedelta(seconds=1)
Upload.objects.filter(pk=os.environ["UPLOADS_TEST_UPLOAD"]).update(variants_due=past)
call_command("uploads_cleanup", "--grace", "0")
"""


@pytest.fixture
def database(tmp_path):
    """A database URL of this test's own: a SQLite file, or a new PostgreSQL database dropped afterwards."""
    suite = settings.DATABASES["default"]
    if not suite["ENGINE"].endswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'workers.sqlite3'}"
        return
    name = "uploads_workers_" + secrets.token_hex(4)
    server = {
        "host": suite["HOST"] or "127.0.0.1",
        "port": suite["PORT"] or 5432,
        "user": suite["USER"],
        "dbname": "postgres",
    }
    with psycopg.connect(**server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield f"postgres://{server['user']}@{server['host']}:{server['port']}/{name}"
    with psycopg.connect(**server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def redis_db():
    """An empty Redis database number, 1 to 15 (0 is the demo's), that no other run holds while
    this one uses it: claimed with SET NX in database 0, emptied of what a killed run left, and
    released afterwards (the claim expires by itself should this run die)."""
    claims = redis.Redis.from_url(f"{REDIS}/0", socket_timeout=3, socket_connect_timeout=3)
    token = secrets.token_hex(8)
    for number in range(1, 16):
        claim = f"uploads-tests:redis-db:{number}"
        if claims.set(claim, token, nx=True, ex=900):
            break
    else:
        pytest.fail("Redis databases 1 to 15 are all held by other test runs.")
    redis.Redis.from_url(f"{REDIS}/{number}").flushdb()
    yield number
    redis.Redis.from_url(f"{REDIS}/{number}").flushdb()
    if claims.get(claim) == token.encode():
        claims.delete(claim)
    claims.close()


@pytest.fixture
def bucket(local_s3):
    name = "workers-" + secrets.token_hex(4)
    local_s3.client().create_bucket(Bucket=name)
    return name


class Site:
    """The demo in processes of its own: a migrated database, workers, commands."""

    def __init__(self, environment, log_dir):
        self.environment, self.log_dir, self.workers = environment, log_dir, []

    def manage(self, *args, check=True, **extra_environment):
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.environment, **extra_environment},
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check:
            assert done.returncode == 0, done.stderr[-3000:]
        return done

    def seed(self, count):
        return json.loads(
            self.manage("shell", "--no-imports", "-c", SEED, UPLOADS_TEST_SEED=str(count)).stdout
        )

    def start_worker(self, name, **extra_environment):
        command = {
            "database": ["db_worker", "--worker-id", name, "--interval", "0.2", "--no-startup-delay"],
            "rq": [
                "rqworker",
                "default",
                "--with-scheduler",
                "--job-class",
                "django_tasks_rq.Job",
                "--name",
                f"{name}-{secrets.token_hex(3)}",
            ],
        }[self.environment["DJANGO_TASKS_BACKEND"]]
        log = open(self.log_dir / f"{name}.log", "w")  # noqa: SIM115  the worker writes it; closed when it stops
        process = subprocess.Popen(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env={**self.environment, **extra_environment},
            stdout=log,
            stderr=subprocess.STDOUT,
            # A group of its own: rq forks a work-horse per job, which must go with its worker.
            start_new_session=True,
        )
        self.workers.append(process)
        return process

    def stop(self):
        for process in self.workers:
            _signal_group(process, signal.SIGTERM)
        for process in self.workers:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=15)
            _signal_group(process, signal.SIGKILL)  # and whatever it forked

    def log(self, name):
        return (self.log_dir / f"{name}.log").read_text()

    def query(self, sql):
        url = self.environment["DATABASE_URL"]
        if url.startswith("sqlite:///"):
            with sqlite3.connect(url.removeprefix("sqlite:///"), timeout=20) as connection:
                return connection.execute(sql).fetchall()
        with psycopg.connect(url.replace("postgres://", "postgresql://")) as connection:
            return connection.execute(sql).fetchall()

    def wait_until_made(self, upload_ids, variants_each, timeout=90):
        ids = ", ".join(f"'{upload_id.replace('-', '')}'" for upload_id in upload_ids)
        if not self.environment["DATABASE_URL"].startswith("sqlite"):
            ids = ", ".join(f"'{upload_id}'" for upload_id in upload_ids)
        ends = time.monotonic() + timeout
        while time.monotonic() < ends:
            (pending,) = self.query(
                f"SELECT COUNT(*) FROM uploads_upload WHERE id IN ({ids}) AND variants_due IS NOT NULL"
            )[0]
            (made,) = self.query("SELECT COUNT(*) FROM uploads_variant")[0]
            if pending == 0 and made == len(upload_ids) * variants_each:
                return
            time.sleep(0.3)
        logs = "\n".join(self.log(name) for name in self.log_names())
        pytest.fail(
            f"Variants not made within {timeout} s: {pending} uploads pending, {made} variants.\n{logs[-4000:]}"
        )

    def log_names(self):
        return [path.stem for path in sorted(self.log_dir.glob("*.log"))]


@pytest.fixture(params=["database", "rq"])
def site(request, database, bucket, local_s3, tmp_path):
    backend = request.param
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "AWS_", "UPLOADS_"))
        and name not in ("CACHE_URL", "DATABASE_URL", "REDIS_URL")
    } | {
        "DJANGO_SETTINGS_MODULE": "tests.settings_workers",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_TASKS_BACKEND": backend,
        "DATABASE_URL": database,
        "AWS_S3_ENDPOINT_URL": local_s3.endpoint_url,
        "AWS_ACCESS_KEY_ID": local_s3.access_key,
        "AWS_SECRET_ACCESS_KEY": local_s3.secret_key,
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_REGION_NAME": "us-east-1",
    }
    if backend == "rq":
        # Claiming a database number fails here, clearly, without Redis.
        environment["REDIS_URL"] = f"{REDIS}/{request.getfixturevalue('redis_db')}"
    site = Site(environment, tmp_path)
    site.manage("migrate", "--no-input", "-v", "0")
    yield site
    site.stop()


def test_two_workers_make_every_uploads_variants_once(site, local_s3):
    first, second = site.start_worker("worker-1"), site.start_worker("worker-2")

    upload_ids = site.seed(UPLOADS)
    site.wait_until_made(upload_ids, variants_each=2)

    assert first.poll() is None and second.poll() is None  # both still running
    objects = local_s3.client().list_objects_v2(Bucket=site.environment["AWS_STORAGE_BUCKET_NAME"])[
        "Contents"
    ]
    variant_keys = [item["Key"] for item in objects if "/variants/" in item["Key"]]
    assert len(variant_keys) == UPLOADS * 2
    assert sorted(key for (key,) in site.query("SELECT key FROM uploads_variant")) == sorted(variant_keys)
    # Both workers took tasks: the work was shared, not run by one of them alone.
    worked = [name for name in ("worker-1", "worker-2") if _tasks_run_by(site, name)]
    assert worked == ["worker-1", "worker-2"], {
        name: site.log(name)[-1500:] for name in ("worker-1", "worker-2")
    }


def test_a_task_whose_worker_died_is_done_again_by_the_other(site, tmp_path):
    started = tmp_path / "slow-render-started"
    doomed = site.start_worker("doomed", UPLOADS_TEST_SLOW_RENDER=str(started))
    (upload_id,) = site.seed(1)
    _wait_for(started.exists, "the first worker to start rendering", site)

    _signal_group(doomed, signal.SIGKILL)  # the worker and the process rendering for it
    doomed.wait(timeout=10)
    site.start_worker("survivor")
    cleanup = site.manage("shell", "--no-imports", "-c", CLEAN_UP_WHEN_DUE, UPLOADS_TEST_UPLOAD=upload_id)

    assert [line for line in cleanup.stdout.splitlines() if line.startswith("ask again ")] == [
        Matches(rf"ask again \S+ \(upload {upload_id}: variants due since [0-9T:-]+Z\)")
    ]
    assert "asked again for 1 lost variant tasks" in cleanup.stdout
    site.wait_until_made([upload_id], variants_each=2)
    assert _tasks_run_by(site, "survivor")


def _signal_group(process, number):
    with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
        os.killpg(process.pid, number)


def _tasks_run_by(site, name):
    if site.environment["DJANGO_TASKS_BACKEND"] == "database":
        rows = site.query(
            "SELECT worker_ids FROM django_tasks_database_dbtaskresult WHERE status = 'SUCCESSFUL'"
        )
        # PostgreSQL's driver hands back the JSON column decoded; SQLite's as text.
        return sum(name in (ids if isinstance(ids, list) else json.loads(ids)) for (ids,) in rows)
    return site.log(name).count("Job OK")


def _wait_for(condition, what, site, timeout=60):
    ends = time.monotonic() + timeout
    while time.monotonic() < ends:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(
        f"Timed out waiting for {what}.\n" + "\n".join(site.log(name)[-2000:] for name in site.log_names())
    )
