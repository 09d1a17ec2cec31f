"""``python -m benchmarks.resize [--quick] [--photos N] [--repetitions N] [--uplink MBIT] [--database sqlite|postgresql]``:
bytes sent and time for twelve-megapixel phone photos through the real uploader page in headless
Chromium, with the client-side resize (CLIENT_RESIZE) and without it.

The photos are ``benchmarks.imaging.photo``'s: 4000 × 3000 JPEGs at quality 90 (about 5.6 MB),
EXIF orientation 1 and 6 by turns, a GPS position; each a different picture, since the resized
copies of one picture would be the same bytes, which the server takes as a duplicate and skips.

Each run picks them all at once in the image library's uploader (the default profile, MAX_SIZE
10 MB, PARALLEL 3) as a seller of its own, and is timed from the pick until every row is done:
for each file, prepare (resize) → hash → create → POST to S3 → complete. "Sent" adds up the
verified uploads' sizes: the bytes S3 stored. The rows:

* as picked: no CLIENT_RESIZE; every photo goes as it is;
* the demo's product target (2560 px, JPEG q90) and avatar target (1024 px, JPEG q85), set as the
  top level's CLIENT_RESIZE, so the same page and limits resize.

Each row runs on localhost as it is, and with Chromium's uplink throttled to ``--uplink`` Mbit/s
(DevTools network emulation), as a phone or a home connection sends.

Within each repetition the rows run one after another, so a busy spell of a shared machine slows
them all a little rather than one a lot; the table gives the median load average of each row.

Starts its own SeaweedFS and throw-away database (``benchmarks.environment``), serves the demo
(``benchmarks.settings``) from a thread of this process, so that each row's CLIENT_RESIZE is a
settings override; talks only to 127.0.0.1. ``measure()`` and ``figures()`` let the main
benchmark run it inside its own environment.
"""

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import database, environment  # noqa: E402
from benchmarks.errors import BenchmarkError  # noqa: E402
from benchmarks.stats import aligned  # noqa: E402

MB = 1e6
QUICK = {"photos": 6, "repetitions": 1}
FULL = {"photos": 20, "repetitions": 3}
DEFAULT_UPLINK = 20  # Mbit/s: a good 4G uplink, or a fast home connection's
# What each row sets as UPLOADS["CLIENT_RESIZE"]; the demo's own targets (project/settings.py).
TARGETS = {
    "as picked": None,
    "resized: product target": "product_image",
    "resized: avatar target": "avatar",
}

# Collects what the page tells of each verified upload; the page is the only one that knows.
LISTEN = """() => {
  window.benchVerified = []
  document.addEventListener("uploads:verified", (event) => {
    const { size, width, height } = event.detail.upload
    window.benchVerified.push({ size, width, height })
  })
}"""


def _photo(index):
    from benchmarks.imaging import photo

    return photo(index, orientation=6 if index % 2 else 1)


def make_photos(count, folder):
    """``count`` different 12-megapixel photos, made on every core."""
    with ProcessPoolExecutor() as pool:
        contents = list(pool.map(_photo, range(count)))
    paths = []
    for index, data in enumerate(contents):
        path = Path(folder) / f"IMG_{1000 + index}.jpg"
        path.write_bytes(data)
        paths.append(path)
    return paths


@contextmanager
def serving():
    """The demo under benchmarks.settings, from a thread of this process; yields its URL."""
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), Quiet)
    server.daemon_threads = True
    server.set_app(get_wsgi_application())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def target_of(profile):
    from django.conf import settings

    return None if profile is None else settings.UPLOADS["PROFILES"][profile]["CLIENT_RESIZE"]


@contextmanager
def client_resize(target):
    from django.conf import settings
    from django.test import override_settings

    with override_settings(UPLOADS={**settings.UPLOADS, "CLIENT_RESIZE": target}):
        yield


def upload_run(browser, username, files, uplink_mbit=None):
    """One pick of ``files`` in the library's uploader: (seconds, the verified uploads' sizes and dimensions)."""
    from benchmarks.browserrun import pick_and_wait

    page = browser.logged_in_page(username)
    try:
        if uplink_mbit:
            cdp = page.context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send(
                "Network.emulateNetworkConditions",
                {
                    "offline": False,
                    "latency": 0,
                    "downloadThroughput": -1,
                    "uploadThroughput": uplink_mbit * 1e6 / 8,
                },
            )
        page.evaluate(LISTEN)
        seconds = pick_and_wait(page, files)
        return seconds, page.evaluate("() => window.benchVerified")
    finally:
        page.context.close()


def measure(env, files, repetitions, uplinks, progress=print):
    """Every row on every network, ``repetitions`` times; returns the results as a list of dicts."""
    from django.contrib.auth import get_user_model

    from benchmarks.browserrun import Browser

    runs = [(uplink, name) for uplink in uplinks for name in TARGETS]
    # A seller per run, made before Playwright starts its loop (in which the ORM refuses to run):
    # the same bytes uploaded twice by one seller would be a duplicate, and nothing would be sent.
    users = [f"resize-{n}" for n in range(len(runs) * repetitions + 1)]
    for username in users:
        get_user_model().objects.create_user(username, password=environment.PASSWORD)
    results = {
        run: {
            "network": _network(run[0]),
            "run": run[1],
            "target": target_of(TARGETS[run[1]]),
            "seconds": [],
            "loads": [],
        }
        for run in runs
    }
    with serving() as url:
        env.allow_origin(url)
        browser = Browser(url)
        try:
            # Untimed: Chromium's first uploads pay for starting its network service.
            upload_run(browser, users.pop(), files[:2])
            # Row after row within each repetition: a busy spell of a shared machine then slows
            # every row a little instead of one row a lot.
            for repetition in range(repetitions):
                for run in runs:
                    result = results[run]
                    progress(f"{result['network']}, {result['run']}: run {repetition + 1} of {repetitions}")
                    result["loads"].append(os.getloadavg()[0])
                    with client_resize(result["target"]):
                        took, verified = upload_run(browser, users.pop(), files, run[0])
                    result["seconds"].append(took)
                    result.update(
                        photos=len(files),
                        picked_bytes=sum(path.stat().st_size for path in files),
                        sent_bytes=sum(upload["size"] for upload in verified),
                        largest_side=max(max(upload["width"], upload["height"]) for upload in verified),
                    )
            version = browser.browser.version
        finally:
            browser.close()
    return list(results.values()), version


def figures(results):
    """The results as rows of the main benchmark's table (``benchmarks.stats.Figure``): each
    resized row's bytes and time against the same network's "as picked" row."""
    from benchmarks.stats import Figure, Stat

    picked = {result["network"]: result for result in results if result["target"] is None}
    rows = []
    for result in results:
        if result["target"] is None:
            continue
        plain = picked[result["network"]]
        name = f"{result['photos']} × 12 MP photos through the page, {result['run']}, {result['network']}"
        rows.append(
            Figure(
                f"bytes sent: {name}",
                Stat.once(result["sent_bytes"] / MB, "MB"),
                Stat.once(plain["sent_bytes"] / MB, "MB"),
                "the same photos as picked",
            )
        )
        rows.append(
            Figure(
                f"time: {name}",
                Stat.of(result["seconds"], "s"),
                Stat.of(plain["seconds"], "s"),
                "the same photos as picked",
                note="pick to last row verified, resizing included",
            )
        )
    return rows


def _network(uplink):
    return f"{uplink:g} Mbit/s uplink" if uplink else "localhost"


def table(results):
    header = (
        "network",
        "run",
        "sent",
        "per photo",
        "largest side",
        "time (median, range)",
        "per photo",
        "load",
    )
    rows = [header]
    for result in results:
        median = statistics.median(result["seconds"])
        spread = f"{min(result['seconds']):.1f}–{max(result['seconds']):.1f}"
        rows.append(
            (
                result["network"],
                result["run"],
                f"{result['sent_bytes'] / MB:.1f} MB",
                f"{result['sent_bytes'] / MB / result['photos']:.2f} MB",
                f"{result['largest_side']} px",
                f"{median:.1f} s ({spread})",
                f"{median / result['photos'] * 1000:.0f} ms",
                f"{statistics.median(result['loads']):.1f}",
            )
        )
    lines = aligned(rows)
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.resize", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK['photos']} photos, {QUICK['repetitions']} run each"
    )
    parser.add_argument("--photos", type=int, help=f"photos per run (default {FULL['photos']})")
    parser.add_argument("--repetitions", type=int, help=f"runs of each row (default {FULL['repetitions']})")
    parser.add_argument(
        "--uplink",
        type=float,
        default=DEFAULT_UPLINK,
        help="Mbit/s of the throttled rows; 0 skips them (default: %(default)s)",
    )
    database.add_arguments(parser)
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    count, repetitions = args.photos or plan["photos"], args.repetitions or plan["repetitions"]
    uplinks = [None, args.uplink] if args.uplink else [None]
    started = time.monotonic()

    def progress(label):
        # The load average too: on a shared machine it tells a slow figure from a busy neighbour.
        print(f"[{time.monotonic() - started:5.1f} s, load {os.getloadavg()[0]:.1f}] {label}", flush=True)

    with tempfile.TemporaryDirectory(prefix="bench-resize-") as folder:
        progress(f"making {count} different 12-megapixel photos")
        files = make_photos(count, folder)
        progress(f"set-up: SeaweedFS and a throw-away {args.database} database")
        try:
            with environment.started(args.database, args.postgres) as env:
                results, version = measure(env, files, repetitions, uplinks, progress)
        except BenchmarkError as error:
            sys.exit(f"python -m benchmarks.resize stopped: {error}")
    print()
    print(
        f"{count} photos of 12 MP (4000 × 3000 JPEG q90, {results[0]['picked_bytes'] / MB:.1f} MB in all), "
        f"picked at once; PARALLEL 3; headless Chromium {version}; {repetitions} runs each"
    )
    print(table(results))
    print(f"\n{time.monotonic() - started:.0f} s in all.")
    return results


if __name__ == "__main__":
    main()
