import json
import secrets

import pytest
import requests
from django.test import Client
from django.utils import translation

from project.locals3 import SeaweedFS
from tests import token_auth
from tests.images import image_bytes

TEST_BUCKET = "test-uploads"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """SQLite tests use a file, not a shared in-memory database: threads (the live server, the
    concurrency tests) then wait for SQLite's lock as in production instead of failing at once."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session")
def local_s3(tmp_path_factory):
    """A SeaweedFS of the suite's own, on free ports, so it runs beside the demo site.

    If it cannot start, every test that needs it fails with weed's last log lines: never a skip.
    """
    server = SeaweedFS(
        tmp_path_factory.mktemp("seaweedfs"),
        access_key="test-" + secrets.token_hex(4),
        secret_key=secrets.token_hex(16),
    )
    server.start()
    server.client().create_bucket(Bucket=TEST_BUCKET)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def default_language():
    """Tests start in LANGUAGE_CODE. A request in German leaves the thread speaking German
    (LocaleMiddleware activates a language and never lets it go), and the next test on the same
    worker would read German messages."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def app_defaults(settings):
    """Tests start from the app's own defaults (the demo's per-user limits off), and S3 points at
    a closed port: a test that talks to S3 must ask for the ``s3`` fixture."""
    settings.UPLOADS = {}
    settings.AWS_S3_ENDPOINT_URL = "http://127.0.0.1:9"
    settings.AWS_ACCESS_KEY_ID = "unused-key"
    settings.AWS_SECRET_ACCESS_KEY = "unused-secret"
    settings.AWS_STORAGE_BUCKET_NAME = TEST_BUCKET
    settings.AWS_S3_REGION_NAME = "us-east-1"
    # Django's PBKDF2 (a million rounds) takes a good part of a second per password, and nearly
    # every test makes a user; no test is about how passwords are hashed, and logging in is the same.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tasks are recorded, not run: a test that wants variants made asks for ``run_tasks``.
    settings.TASKS = {"default": {"BACKEND": f"{settings.TASKS_PACKAGE}.backends.dummy.DummyBackend"}}


@pytest.fixture
def run_tasks(settings):
    """Run every task at once, in the process that enqueues it (the immediate backend)."""
    settings.TASKS = {"default": {"BACKEND": f"{settings.TASKS_PACKAGE}.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def s3(settings, local_s3):
    """Point the app at the suite's SeaweedFS; returns a boto3 client for checking what S3 holds."""
    settings.AWS_S3_ENDPOINT_URL = local_s3.endpoint_url
    settings.AWS_ACCESS_KEY_ID = local_s3.access_key
    settings.AWS_SECRET_ACCESS_KEY = local_s3.secret_key
    return local_s3.client()


@pytest.fixture
def make_user(django_user_model):
    def make(username=None, **fields):
        username = username or "user-" + secrets.token_hex(4)
        return django_user_model.objects.create_user(username, password="pw-" + username, **fields)

    return make


class ApiClient:
    """Django's test client with CSRF enforced, speaking JSON like the page's script does."""

    def __init__(self, user=None):
        self.client = Client(enforce_csrf_checks=True)
        if user is not None:
            self.client.force_login(user)
        self.client.get("/accounts/login/")  # sets the CSRF cookie
        self.csrf = self.client.cookies["csrftoken"].value

    def get(self, path, **extra):
        return self.client.get(path, **extra)

    def post(self, path, data=None, *, csrf=True, raw=None):
        body = raw if raw is not None else json.dumps(data) if data is not None else ""
        return self.client.post(path, body, content_type="application/json", headers=self._headers(csrf))

    def delete(self, path, *, csrf=True):
        return self.client.delete(path, content_type="application/json", headers=self._headers(csrf))

    def _headers(self, csrf):
        # Django's client sends content_type only with a body; the API wants it on every call that
        # changes something, with a body or without.
        return {"Content-Type": "application/json", **({"X-CSRFToken": self.csrf} if csrf else {})}

    def create(self, filename="shoe.jpg", content_type="image/jpeg", size=100):
        return self.post(
            "/uploads/api/uploads/", {"filename": filename, "content_type": content_type, "size": size}
        )

    def complete(self, upload_id):
        return self.post(f"/uploads/api/uploads/{upload_id}/complete/")


@pytest.fixture
def token(settings, seller):
    """The seller's key for the project's own token backend (tests/token_auth.py), configured as the
    API's TOKEN_AUTHENTICATION."""
    settings.UPLOADS = {**settings.UPLOADS, "TOKEN_AUTHENTICATION": ["tests.token_auth.authenticate"]}
    key = secrets.token_hex(16)
    token_auth.TOKENS[key] = seller.pk
    yield key
    del token_auth.TOKENS[key]


@pytest.fixture
def seller(make_user):
    return make_user("seller")


@pytest.fixture
def api(seller):
    return ApiClient(seller)


@pytest.fixture
def anonymous_api(db):
    return ApiClient()


def post_to_s3(created, data, *, filename="upload.bin", content_type=None, fields=None):
    """POST ``data`` with the policy from a create reply, as a browser form would."""
    form = dict(created["upload"]["fields"])
    form.update(fields or {})
    content_type = content_type or form.get("Content-Type", "application/octet-stream")
    return requests.post(
        created["upload"]["url"], data=form, files={"file": (filename, data, content_type)}, timeout=30
    )


@pytest.fixture
def uploaded(api, s3):
    """Create, upload and return the create reply for a real image; complete is left to the test."""

    def make(content_type="image/jpeg", data=None, filename="shoe.jpg"):
        data = image_bytes(content_type) if data is None else data
        created = api.create(filename, content_type, len(data)).json()
        reply = post_to_s3(created, data)
        assert reply.status_code == 204, reply.text
        return created

    return make


def pytest_sessionfinish(session, exitstatus):
    """A skipped test is not a passing one: any skip fails the run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter and reporter.stats.get("skipped") and session.exitstatus == 0:
        reporter.write_line("Tests were skipped; this suite allows no skips.", red=True)
        session.exitstatus = 1
