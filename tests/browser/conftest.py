import re
import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from project import chromium

RESULTS = Path(__file__).resolve().parents[2] / "test-results"


@pytest.fixture(scope="session", autouse=True)
def allow_orm_beside_playwright():
    # Playwright's sync API runs an event loop in this thread, and Django refuses ORM calls from a
    # thread with a running loop. These tests only set up rows and read them back, nothing async.
    # Session-wide because the test database itself is set up once the browser is running.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="session")
def browser():
    executable = chromium.executable()
    if not Path(executable).exists():
        pytest.fail(f"Chromium not found at {executable}: install Debian's chromium or set CHROMIUM_PATH.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=chromium.ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site(live_server, s3):
    """The live server, with the test bucket's CORS letting its origin upload."""
    s3.put_bucket_cors(
        Bucket="test-uploads",
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": [live_server.url],
                    "AllowedMethods": ["POST", "GET", "HEAD"],
                    "AllowedHeaders": ["*"],
                    "ExposeHeaders": ["ETag"],
                }
            ]
        },
    )
    requests = InFlight.around(live_server)
    yield live_server
    requests.wait_until_none(deadline=15.0)


class InFlight:
    """Counts the requests the live server is answering.

    A test may end while its page still has a request on the server (a create whose reply nobody
    waits for any more, because the test closed its browser context). The database is emptied right
    after the `site` fixture ends; on PostgreSQL that TRUNCATE can deadlock with the request's
    transaction. So `site` waits until no request is being answered (idle keep-alive connections
    hold no transaction and don't count).
    """

    def __init__(self, app):
        self.app = app
        self.count = 0
        self.changed = threading.Condition()

    @classmethod
    def around(cls, live_server):
        server = live_server.thread.httpd
        app = server.get_app()
        if not isinstance(app, cls):
            app = cls(app)
            server.set_app(app)
        return app

    def __call__(self, environ, start_response):
        with self.changed:
            self.count += 1
        try:
            response = self.app(environ, start_response)
        except BaseException:
            self._done()
            raise
        return _Closing(response, self._done)

    def _done(self):
        with self.changed:
            self.count -= 1
            self.changed.notify_all()

    def wait_until_none(self, deadline):
        with self.changed:
            self.changed.wait_for(lambda: self.count == 0, timeout=deadline)


class _Closing:
    """A WSGI response that calls `then` once the server has closed it."""

    def __init__(self, response, then):
        self.response = response
        self.then = then

    def __iter__(self):
        return iter(self.response)

    def close(self):
        try:
            if hasattr(self.response, "close"):
                self.response.close()
        finally:
            self.then()


class Steps:
    """Numbered screenshots of each step, under test-results/<test name>/."""

    def __init__(self, page, name):
        self.page = page
        self.folder = RESULTS / re.sub(r"[^\w.-]+", "_", name)
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.count = 0

    def shot(self, label):
        self.count += 1
        self.page.screenshot(path=self.folder / f"{self.count:02d}-{label}.png", full_page=True)


def new_page(browser, base_url):
    """A page in a context of its own, as every browser test gets it."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    # File choosers are intercepted from the start. expect_file_chooser() alone turns interception
    # on without waiting for it, so a key pressed at once can open the chooser first, and it is
    # never reported (tests/browser/test_harness.py).
    page.on("filechooser", lambda chooser: None)
    return page


@pytest.fixture
def page(browser, site, request):
    page = new_page(browser, site.url)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    page.context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture
def steps(page, request):
    return Steps(page, request.node.name)


def log_in(page, username, password):
    page.goto("/accounts/login/")
    # The login page speaks the browser's language: English or German.
    page.get_by_label(re.compile("^(User name|Benutzername)$")).fill(username)
    page.get_by_label(re.compile("^(Password|Passwort)$")).fill(password)
    page.get_by_role("button", name=re.compile("^(Log in|Anmelden)$")).click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.wait_for_load_state()  # module scripts have run: the uploader is mounted
