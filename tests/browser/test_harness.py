"""The browser tests' own set-up, where a race would make product tests fail now and then."""

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import new_page

FOCUSED_FILE_INPUT = "<input id=picked type=file><script>document.getElementById('picked').focus()</script>"


def test_a_file_chooser_opened_by_the_very_first_key_is_reported(browser):
    """Each page the tests get intercepts file choosers from the start.

    expect_file_chooser() on its own asks for interception without waiting for it, so a Space
    pressed at once could open the chooser before, and the test waited in vain: about one try in
    six on an idle machine, and the keyboard test failed that way in CI.
    """
    missed = []
    for attempt in range(20):
        page = new_page(browser, "http://localhost")
        try:
            page.set_content(FOCUSED_FILE_INPUT)
            try:
                with page.expect_file_chooser(timeout=3_000):
                    page.keyboard.press("Space")
            except PlaywrightTimeout:
                missed.append(attempt)
        finally:
            page.context.close()
    assert missed == [], f"no file chooser reported on tries {missed} of 20"
