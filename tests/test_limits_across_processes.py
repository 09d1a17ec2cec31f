"""UPLOADS_PER_HOUR holds for a user however many server processes answer them, given a shared cache.

Two real gunicorn servers of the demo (one worker each) share one database and either the machine's
Redis (the limit holds) or each its own memory (the control: each counts alone, so more get through).

The servers use a temporary SQLite file, migrated here, even when the suite runs on PostgreSQL:
pytest-django's test database lives inside the test's transaction, which other processes cannot
see, and a database of our own on the shared server would need creating and dropping. What this
test is about, the count, lives in the cache; the database only has to be one for both servers.
"""

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
import requests
from django_ratelimit.core import _get_window

from tests.fuzzy import Matches

ROOT = Path(__file__).resolve().parent.parent
REDIS = "redis://127.0.0.1:6379/0"
PER_HOUR = 7
HOUR = 3600
USERNAME, PASSWORD = "seller", "pw-" + secrets.token_hex(8)


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """A migrated SQLite file with one seller: the environment every server process shares, and the seller's id."""
    path = tmp_path_factory.mktemp("servers") / "db.sqlite3"
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "AWS_")) and name not in ("CACHE_URL", "DATABASE_URL")
    } | {
        "DJANGO_SETTINGS_MODULE": "tests.settings_across_processes",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{path}",
        # Creating an upload only signs a policy; S3 is never contacted.
        "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_STORAGE_BUCKET_NAME": "across-processes",
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": "across-key",
        "AWS_SECRET_ACCESS_KEY": "across-secret",
        "UPLOADS_TEST_PER_HOUR": str(PER_HOUR),
        "UPLOADS_TEST_CACHE_PREFIX": "unused",
    }
    for args in (["migrate", "--no-input", "-v", "0"], ["shell", "--no-imports", "-c", _MAKE_SELLER]):
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
    return SimpleNamespace(environment=environment, seller=done.stdout.strip())


_MAKE_SELLER = (
    "from django.contrib.auth import get_user_model\n"
    f"print(get_user_model().objects.create_user({USERNAME!r}, password={PASSWORD!r}).pk)"
)


@pytest.fixture
def shared_redis():
    """A cache key prefix of this run's own in the machine's Redis; its keys are deleted afterwards."""
    client = redis.Redis.from_url(REDIS, socket_timeout=3, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(f"This test needs Redis at 127.0.0.1:6379, which did not answer: {error}")
    prefix = "limits-" + secrets.token_hex(6)
    yield prefix
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)
    client.close()


@pytest.fixture
def start_server(database, request, tmp_path):
    """Start one gunicorn (one worker) of the demo with ``environment`` on a free port; return its URL."""

    def start(**environment):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        # The listening socket is handed to gunicorn: no other process can take the port meanwhile.
        listener.set_inheritable(True)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        log = open(tmp_path / f"gunicorn-{url.rsplit(':', 1)[1]}.log", "w+")  # noqa: SIM115
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "project.wsgi",
                f"--bind=fd://{listener.fileno()}",
                "--workers=1",
                "--timeout=30",
                "--graceful-timeout=1",
            ],
            cwd=ROOT,
            env={**database.environment, **environment},
            stdout=log,
            stderr=subprocess.STDOUT,
            pass_fds=[listener.fileno()],
            start_new_session=True,
        )
        listener.close()
        request.addfinalizer(lambda: _stop(process, log))
        _wait_until_ready(url, process, log)
        return url

    return start


def _wait_until_ready(url, process, log, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if requests.get(f"{url}/accounts/login/", timeout=2).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass  # not listening yet, or its first answer (Django loading) slower than the timeout
        time.sleep(0.1)
    log.seek(0)
    pytest.fail(f"The server at {url} did not answer within {timeout} s:\n{log.read()[-3000:]}")


def _stop(process, log):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    log.close()


def log_in(session, url):
    session.get(f"{url}/accounts/login/", timeout=10)
    reply = session.post(
        f"{url}/accounts/login/",
        data={
            "username": USERNAME,
            "password": PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": f"{url}/accounts/login/"},
        allow_redirects=False,
        timeout=10,
    )
    assert reply.status_code == 302, reply.text


def create(session, url):
    return session.post(
        f"{url}/uploads/api/uploads/",
        json={"filename": "shoe.jpg", "content_type": "image/jpeg", "size": 100},
        headers={"X-CSRFToken": session.cookies["csrftoken"], "Referer": f"{url}/"},
        timeout=10,
    )


def creates_alternating(servers, seller, count):
    """The seller's ``count`` create calls, logged in once and sent to each server in turn: the replies."""
    session = requests.Session()
    log_in(session, servers[0])
    _clear_of_the_hours_end(seller)
    return [create(session, servers[index % len(servers)]) for index in range(count)]


def _clear_of_the_hours_end(seller, margin=15):
    # django-ratelimit's hour ends at a moment of its own for each key (here the user's id); a run
    # across it would start a new count halfway. Rare (15 s in an hour), and then waited out: the
    # servers count by their own clock, which no argument of ours can move.
    left = _get_window(seller, HOUR) - time.time()
    if left < margin:
        time.sleep(left + 1)


def test_two_processes_sharing_redis_allow_exactly_the_hourly_limit_between_them(
    start_server, database, shared_redis
):
    shared = {"CACHE_URL": REDIS, "UPLOADS_TEST_CACHE_PREFIX": shared_redis}
    servers = [start_server(**shared), start_server(**shared)]

    replies = creates_alternating(servers, database.seller, PER_HOUR + 3)

    assert [reply.status_code for reply in replies] == [201] * PER_HOUR + [429] * 3
    refused = replies[PER_HOUR]
    assert refused.json() == {
        "error": {
            "code": "rate_limited",
            "message": Matches(rf"You can start {PER_HOUR} uploads an hour; try again in \d+ minutes?\."),
            "field": None,
        }
    }
    assert 0 < int(refused.headers["Retry-After"]) <= HOUR


def test_the_control_two_processes_each_counting_in_their_own_memory_allow_more(start_server, database):
    alone = {"CACHE_URL": "locmemcache://", "UPLOADS_TEST_CACHE_PREFIX": "control"}
    servers = [start_server(**alone), start_server(**alone)]

    replies = creates_alternating(servers, database.seller, PER_HOUR + 3)

    assert [reply.status_code for reply in replies] == [201] * (PER_HOUR + 3)
