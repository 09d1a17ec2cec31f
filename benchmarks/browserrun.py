"""Upload throughput through the real page in Chromium against a plain HTTP client that POSTs the
same files with policies from the same API, to the same SeaweedFS, at the same parallelism."""

import time
from concurrent.futures import ThreadPoolExecutor

import requests
from playwright.sync_api import sync_playwright

from benchmarks.environment import PASSWORD
from benchmarks.errors import BenchmarkError
from benchmarks.stats import Figure, Stat
from project import chromium
from uploads import conf


class Browser:
    def __init__(self, base_url, executable=None):
        """``executable``: what to start instead of Chromium itself (a script that starts it pinned to a core)."""
        self._playwright = sync_playwright().start()
        self.browser = self._playwright.chromium.launch(
            executable_path=executable or chromium.executable(), args=chromium.ARGS
        )
        self.base_url = base_url

    def logged_in_page(self, username="seller"):
        page = self.browser.new_context(base_url=self.base_url).new_page()
        page.set_default_timeout(120_000)
        page.goto("/accounts/login/")
        page.get_by_label("User name").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        page.goto("/")  # the image library's standalone uploader (sellers land on their products)
        page.wait_for_load_state()
        return page

    def close(self):
        self.browser.close()
        self._playwright.stop()


def pick_and_wait(page, files, polling=50, timeout=0):
    """Pick ``files`` in the page's uploader and wait until each row is done or failed; returns the
    seconds that took and raises BenchmarkError naming the first failed row. ``timeout`` in ms, 0: none."""
    start = time.perf_counter()
    page.get_by_label("Choose images").set_input_files(files)
    page.wait_for_function(
        "n => document.querySelectorAll('[data-uploader-list] li:is([data-state=done], [data-state=failed])').length === n",
        arg=len(files) if isinstance(files, (list, tuple)) else 1,
        polling=polling,
        timeout=timeout,
    )
    seconds = time.perf_counter() - start
    failed = page.locator("[data-uploader-list] li[data-state=failed]").all_inner_texts()
    if failed:
        raise BenchmarkError(f"{len(failed)} upload(s) failed in Chromium: {failed[0]!r}")
    return seconds


def page_upload_seconds(browser, files):
    page = browser.logged_in_page()
    try:
        return pick_and_wait(page, files, timeout=120_000)
    finally:
        page.context.close()


def raw_upload_seconds(base_url, session, csrf, files, parallel):
    """What the page does, from a plain HTTP client: for each file create, POST to S3, complete,
    ``parallel`` files at a time. The difference to the page is the browser's own cost."""
    contents = [path.read_bytes() for path in files]

    def send(index):
        api = requests.Session()
        api.cookies.update({"sessionid": session, "csrftoken": csrf})
        headers = {"X-CSRFToken": csrf, "Content-Type": "application/json"}
        body = {"filename": files[index].name, "content_type": "image/jpeg", "size": len(contents[index])}
        created = api.post(f"{base_url}/uploads/api/uploads/", json=body, headers=headers, timeout=30)
        created.raise_for_status()
        upload = created.json()["upload"]
        stored = requests.post(
            upload["url"],
            data=upload["fields"],
            files={"file": (files[index].name, contents[index], "image/jpeg")},
            timeout=120,
        )
        stored.raise_for_status()
        completed = api.post(
            f"{base_url}/uploads/api/uploads/{created.json()['id']}/complete/", headers=headers, timeout=30
        )
        completed.raise_for_status()

    with ThreadPoolExecutor(parallel) as pool:
        start = time.perf_counter()
        list(pool.map(send, range(len(files))))
        return time.perf_counter() - start


BARE_FETCH = """([parallel, csrf, createUrl]) => {
  // The least a browser can do for the same flow: fetch, no progress, no DOM, no thumbnails.
  window.bareDone = 0
  const input = document.createElement("input")
  input.type = "file"
  input.multiple = true
  input.id = "bare-fetch"
  document.body.append(input)
  input.addEventListener("change", async () => {
    const files = Array.from(input.files)
    let next = 0
    const json = { "Content-Type": "application/json", "X-CSRFToken": csrf }
    async function worker() {
      while (next < files.length) {
        const file = files[next++]
        const body = JSON.stringify({ filename: file.name, content_type: file.type, size: file.size })
        const created = await (await fetch(createUrl, { method: "POST", headers: json, body })).json()
        const form = new FormData()
        for (const [name, value] of Object.entries(created.upload.fields)) form.append(name, value)
        form.append("file", file)
        if (!(await fetch(created.upload.url, { method: "POST", body: form })).ok) throw new Error("S3 refused")
        await fetch(`${createUrl}${created.id}/complete/`, { method: "POST", headers: json })
        window.bareDone += 1
      }
    }
    await Promise.all(Array.from({ length: parallel }, worker))
  })
}"""


def bare_fetch_seconds(browser, csrf, files, parallel):
    page = browser.logged_in_page()
    page.evaluate(
        BARE_FETCH,
        [parallel, page.locator("[data-uploader]").get_attribute("data-csrf-token"), "/uploads/api/uploads/"],
    )
    start = time.perf_counter()
    page.locator("#bare-fetch").set_input_files(files)
    page.wait_for_function("n => window.bareDone === n", arg=len(files), polling=50)
    seconds = time.perf_counter() - start
    page.context.close()
    return seconds


def throughput(browser, session, csrf, files, repetitions):
    """Our page against a plain HTTP client (the target), and against the bare minimum a browser
    can do for the same calls (to tell our script's cost from Chromium's own)."""
    total_mb = sum(path.stat().st_size for path in files) / 1e6
    parallel = conf.get("PARALLEL")
    page_rates, raw_rates, bare_rates = [], [], []
    # One untimed round first: Chromium's first uploads pay for starting its network service.
    page_upload_seconds(browser, files[:2])
    bare_fetch_seconds(browser, csrf, files[:2], parallel)
    for _ in range(repetitions):
        page_rates.append(total_mb / page_upload_seconds(browser, files))
        raw_rates.append(total_mb / raw_upload_seconds(browser.base_url, session, csrf, files, parallel))
        bare_rates.append(total_mb / bare_fetch_seconds(browser, csrf, files, parallel))
    page, raw, bare = Stat.of(page_rates, "MB/s"), Stat.of(raw_rates, "MB/s"), Stat.of(bare_rates, "MB/s")
    name = f"upload {len(files)} × {total_mb / len(files):.1f} MB through the page (Chromium)"
    return (
        Figure(
            name,
            page,
            raw,
            f"same files and calls, plain HTTP client, {parallel} at a time",
            target="≥ 0.9× the raw client",
            met=page.median >= 0.9 * raw.median,
        ),
        Figure(
            name + " vs bare fetch",
            page,
            bare,
            f"bare fetch() of the same calls in Chromium, {parallel} at a time",
            note="the browser's own floor",
        ),
    )
