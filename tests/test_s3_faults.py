"""When S3 is down, slow or failing, complete answers 503 storage_unavailable with Retry-After, the
upload stays pending, and a later complete succeeds."""

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.conftest import post_to_s3
from tests.images import image_bytes
from uploads.models import Upload

pytestmark = pytest.mark.django_db

UNAVAILABLE = {
    "error": {
        "code": "storage_unavailable",
        "message": "The file storage is not answering right now; try again in a moment.",
        "field": None,
    }
}


def assert_unavailable(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == UNAVAILABLE


def test_complete_while_s3_is_stopped_answers_503_and_succeeds_once_it_is_back(api, s3, local_s3):
    data = image_bytes()
    created = api.create("a.jpg", "image/jpeg", len(data)).json()
    post_to_s3(created, data)

    local_s3.stop()
    try:
        assert_unavailable(api.complete(created["id"]))
        assert Upload.objects.get(pk=created["id"]).status == "pending"
    finally:
        local_s3.start()

    assert api.complete(created["id"]).json()["status"] == "uploaded"


@pytest.fixture
def silent_server():
    """A socket that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held = []

    def accept():
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()
    for connection in held:
        connection.close()


def test_complete_against_an_s3_that_never_answers_gives_up_after_the_read_timeout(
    api, settings, silent_server
):
    settings.UPLOADS = {"S3_READ_TIMEOUT": 0.5, "S3_MAX_ATTEMPTS": 2}
    settings.AWS_S3_ENDPOINT_URL = silent_server
    created = api.create().json()

    started = time.monotonic()
    response = api.complete(created["id"])

    assert_unavailable(response)
    assert time.monotonic() - started < 5
    assert Upload.objects.get(pk=created["id"]).status == "pending"


class _Failing(BaseHTTPRequestHandler):
    def do_GET(self):
        body = (
            b"<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>"
        )
        self.send_response(500)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def failing_server():
    """An S3 stand-in that answers every request with 500 InternalError."""
    server = HTTPServer(("127.0.0.1", 0), _Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_complete_against_an_s3_answering_500_answers_503_and_keeps_the_upload_pending(
    api, settings, failing_server
):
    settings.UPLOADS = {"S3_MAX_ATTEMPTS": 1}
    settings.AWS_S3_ENDPOINT_URL = failing_server
    created = api.create().json()

    assert_unavailable(api.complete(created["id"]))
    assert Upload.objects.get(pk=created["id"]).status == "pending"


def test_the_timeouts_and_retries_are_settings(settings):
    from uploads import s3

    settings.UPLOADS = {
        "S3_CONNECT_TIMEOUT": 1.5,
        "S3_READ_TIMEOUT": 4,
        "S3_MAX_ATTEMPTS": 5,
        "S3_RETRY_MODE": "adaptive",
    }

    config = s3.client().meta.config

    assert (config.connect_timeout, config.read_timeout) == (1.5, 4)
    assert config.retries == {"mode": "adaptive", "total_max_attempts": 5}
