"""``python -m benchmarks.bigfile [--quick] [--size MB] [--repetitions N] [--database sqlite|postgresql]``:
a 1 GiB file sent in S3 multipart parts by the real uploader page in headless Chromium, against a bare
``fetch()`` of the same parts in the same Chromium.

The file is a small JPEG followed by random bytes (S3 keeps what it is sent; the server reads only
the first bytes of a file this big), 1 GiB by default: 64 parts of the app's default
MULTIPART_PART_SIZE (16 MiB), over its default MULTIPART_THRESHOLD (100 MiB).

* **the page**: the image library's uploader, picked as a seller would, timed from the pick until the
  row is done: every part hashed (SHA-256, in a worker), its URL signed by the API with that digest,
  sent by XMLHttpRequest with progress, then ``complete``, which checks the assembled object.
* **bare fetch()**: in the same page of the same Chromium, the least a browser can do for the same
  calls: create, one call for every part's URL with digests computed beforehand (in Python, untimed),
  ``fetch()`` PUTs of the same slices with the same parallelism, ``complete``; no hashing, progress or DOM.

The target (issue 13): the page's throughput at least 0.9× the bare fetch's. Runs alternate (page,
bare, page, bare…) so a busy spell of a shared machine slows both. Every run is a seller of its own;
the objects are deleted after each run, so the disk holds one copy at a time.

Both are measured twice, on two kinds of cores:

* **apart** (the target's row): Chromium on one core, SeaweedFS and Django on the others (``taskset``),
  as a browser and S3 never share a machine. On loopback the upload is not held back by a network but
  by CPU, and SeaweedFS spends about 12 CPU seconds per GiB taking it (MD5, SHA-256, writing): sharing
  its cores, every CPU second the page spends hashing (about 2.5 per GiB in Chromium: reading each part
  and WebCrypto's SHA-256) is taken from SeaweedFS and shows up as upload time, which no real
  browser-to-S3 upload pays.
* **shared**: everything on every core, as the machine runs it; the page's hashing competes with
  SeaweedFS. Reported beside the target, never instead of it.

Starts its own SeaweedFS and throw-away database (``benchmarks.environment``), serves the demo
(``benchmarks.settings``) from a thread of this process (``benchmarks.resize.serving``), so the size
limit is a settings override; talks only to 127.0.0.1. ``measure()`` and ``figures()`` let the main
benchmark run it inside its own environment.
"""

import argparse
import base64
import hashlib
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import database, environment  # noqa: E402
from benchmarks.errors import BenchmarkError  # noqa: E402

MiB = 2**20
QUICK = {"size_mib": 256, "repetitions": 1}
FULL = {"size_mib": 1024, "repetitions": 3}
TARGET = 0.9
CREATE_URL = "/uploads/api/uploads/"

BARE_FETCH = """([digests, parallel]) => {
  // The same calls as the page, with the parts' digests given: fetch(), no hashing, progress or DOM.
  window.bareDone = false
  window.bareError = null
  const csrf = document.querySelector("[data-uploader]").dataset.csrfToken
  const json = { "Content-Type": "application/json", "X-CSRFToken": csrf }
  const input = document.createElement("input")
  input.type = "file"
  input.id = "bare-fetch"
  document.body.append(input)
  async function call(url, body) {
    const reply = await fetch(url, { method: "POST", headers: json, body: body && JSON.stringify(body) })
    if (!reply.ok) throw new Error(`${url}: ${reply.status} ${await reply.text()}`)
    return reply.json()
  }
  input.addEventListener("change", async () => {
    try {
      const file = input.files[0]
      const created = await call("%(create)s", { filename: file.name, content_type: "image/jpeg", size: file.size })
      if (!created.multipart) throw new Error("the API did not start a multipart upload")
      const partSize = created.multipart.part_size
      const wanted = digests.map((sha256, index) => ({ number: index + 1, sha256 }))
      const parts = []
      for (let at = 0; at < wanted.length; at += 100) {
        parts.push(...(await call(`%(create)s${created.id}/parts/`, { parts: wanted.slice(at, at + 100) })).parts)
      }
      let next = 0
      async function sender() {
        while (next < parts.length) {
          const part = parts[next++]
          const start = (part.number - 1) * partSize
          const body = file.slice(start, start + part.size)
          const reply = await fetch(part.url, { method: "PUT", headers: part.headers, body })
          if (!reply.ok) throw new Error(`part ${part.number}: S3 answered ${reply.status}`)
        }
      }
      await Promise.all(Array.from({ length: parallel }, sender))
      await call(`%(create)s${created.id}/complete/`)
      window.bareDone = true
    } catch (error) {
      window.bareError = String(error)
    }
  })
}""" % {"create": CREATE_URL}  # noqa: UP031  %-style: the script's own braces stay single

# Our page's own parallelism (multipart.js PARALLEL_PARTS); the bare run uses the same.
PARALLEL_PARTS = 4


def make_file(path, size):
    """A JPEG of 64 × 48 pixels, then random bytes up to ``size``: (path, each part's base64 SHA-256)."""
    from PIL import Image

    from uploads import conf

    head = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 40)).save(head, "JPEG", quality=90)
    part_size = conf.DEFAULTS["MULTIPART_PART_SIZE"]
    digests, written, pending = [], 0, head.getvalue()
    with open(path, "wb") as out:
        while written < size:
            part = pending + os.urandom(min(part_size, size - written) - len(pending))
            pending = b""
            out.write(part)
            written += len(part)
            digests.append(base64.b64encode(hashlib.sha256(part).digest()).decode())
    return Path(path), digests


def _settings(size):
    from django.conf import settings
    from django.test import override_settings

    # The library's uploader with room for the file, the app's part size and threshold, no resizing.
    return override_settings(UPLOADS={**settings.UPLOADS, "MAX_SIZE": size + MiB, "CLIENT_RESIZE": None})


def _empty_bucket(env):
    client = env.s3.client()
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=environment.BUCKET):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=environment.BUCKET, Key=item["Key"])
    for upload in client.list_multipart_uploads(Bucket=environment.BUCKET).get("Uploads", []):
        client.abort_multipart_upload(
            Bucket=environment.BUCKET, Key=upload["Key"], UploadId=upload["UploadId"]
        )


# How the two kinds of runs place the processes: Chromium's core (None: every core), and the others'.
CORES = ("apart", "shared")


def _pin(pid, cores):
    """Every thread of process ``pid`` on ``cores`` (a set of CPU numbers)."""
    if not shutil.which("taskset"):
        raise BenchmarkError(
            "the benchmark needs taskset (Debian's util-linux) to keep Chromium on a core of its own"
        )
    subprocess.run(
        ["taskset", "-a", "-p", "-c", ",".join(map(str, sorted(cores))), str(pid)],
        check=True,
        capture_output=True,
    )


@contextmanager
def placed(env, kind, folder):
    """Yields the executable to start Chromium with: for ``apart``, a script that starts it on the
    last core, with SeaweedFS and this process (Django's server threads) on the others; the whole
    machine again afterwards."""
    every = os.sched_getaffinity(0)
    if kind == "shared" or len(every) < 2:
        yield None
        return
    browser_core = {max(every)}
    script = Path(folder) / "chromium-on-one-core"
    from project import chromium

    script.write_text(f'#!/bin/sh\nexec taskset -c {max(every)} {chromium.executable()} "$@"\n')
    script.chmod(0o755)
    try:
        for pid in (env.s3.process.pid, os.getpid()):
            _pin(pid, every - browser_core)
        yield str(script)
    finally:
        for pid in (env.s3.process.pid, os.getpid()):
            _pin(pid, every)


def page_seconds(browser, username, path):
    from benchmarks.browserrun import pick_and_wait

    page = browser.logged_in_page(username)
    try:
        return pick_and_wait(page, path, polling=100)
    finally:
        page.context.close()


def bare_seconds(browser, username, path, digests):
    page = browser.logged_in_page(username)
    try:
        page.evaluate(BARE_FETCH, [digests, PARALLEL_PARTS])
        start = time.perf_counter()
        page.locator("#bare-fetch").set_input_files(path)
        page.wait_for_function("() => window.bareDone || window.bareError", polling=100, timeout=0)
        seconds = time.perf_counter() - start
        error = page.evaluate("() => window.bareError")
        if error:
            raise BenchmarkError(f"the bare fetch() run failed: {error}")
        return seconds
    finally:
        page.context.close()


def measure(env, path, digests, repetitions, progress=print):
    """For each kind of cores (``CORES``): the page and the bare fetch, one after the other,
    ``repetitions`` times after one untimed round of each; returns a dict per kind with the runs'
    seconds and the file's facts."""
    from django.contrib.auth import get_user_model

    from benchmarks.browserrun import Browser
    from benchmarks.resize import serving

    size = path.stat().st_size
    users = [f"bigfile-{n}" for n in range(len(CORES) * (2 * repetitions + 2))]
    for username in users:  # before Playwright starts its loop, in which the ORM refuses to run
        get_user_model().objects.create_user(username, password=environment.PASSWORD)
    results = []
    with _settings(size), serving() as url:
        env.allow_origin(url)
        for kind in CORES:
            result = {
                "cores": kind,
                "bytes": size,
                "parts": len(digests),
                "page_seconds": [],
                "bare_seconds": [],
                "loads": [],
            }
            with placed(env, kind, path.parent) as executable:
                browser = Browser(url, executable)
                try:
                    # Untimed: Chromium's first uploads pay for starting its network service.
                    progress(f"cores {kind}: untimed round, the page then bare fetch()")
                    page_seconds(browser, users.pop(), path)
                    _empty_bucket(env)
                    bare_seconds(browser, users.pop(), path, digests)
                    _empty_bucket(env)
                    for repetition in range(repetitions):
                        result["loads"].append(os.getloadavg()[0])
                        progress(f"cores {kind}: run {repetition + 1} of {repetitions}, the page")
                        result["page_seconds"].append(page_seconds(browser, users.pop(), path))
                        _empty_bucket(env)
                        progress(f"cores {kind}: run {repetition + 1} of {repetitions}, bare fetch()")
                        result["bare_seconds"].append(bare_seconds(browser, users.pop(), path, digests))
                        _empty_bucket(env)
                    result["chromium"] = browser.browser.version
                finally:
                    browser.close()
            results.append(result)
    return results


def rates(result, key):
    return [result["bytes"] / MiB / seconds for seconds in result[key]]


def figures(results):
    """The runs as rows of the main benchmark's table: the target on the "apart" row."""
    from benchmarks.stats import Figure, Stat

    rows = []
    for result in results:
        page, bare = (
            Stat.of(rates(result, "page_seconds"), "MB/s"),
            Stat.of(rates(result, "bare_seconds"), "MB/s"),
        )
        apart = result["cores"] == "apart"
        rows.append(
            Figure(
                f"{result['bytes'] / MiB:.0f} MiB file in {result['parts']} parts through the page (Chromium), "
                + ("Chromium on a core of its own" if apart else "Chromium sharing SeaweedFS's cores"),
                page,
                bare,
                f"bare fetch() of the same parts in Chromium, {PARALLEL_PARTS} at a time",
                target=f"≥ {TARGET}× bare fetch()" if apart else "",
                met=page.median >= TARGET * bare.median if apart else None,
                note="the page hashes every part; bare fetch() is given the digests",
            )
        )
    return rows


def summary(results):
    lines = []
    for result in results:
        page, bare = (
            statistics.median(rates(result, "page_seconds")),
            statistics.median(rates(result, "bare_seconds")),
        )
        verdict = (
            f" (target ≥ {TARGET}×: {'met' if page >= TARGET * bare else 'not met'})"
            if result["cores"] == "apart"
            else ""
        )
        lines += [
            f"cores {result['cores']}: {result['bytes'] / MiB:.0f} MiB in {result['parts']} parts, {PARALLEL_PARTS} at a time; "
            f"headless Chromium {result['chromium']}; {len(result['page_seconds'])} runs each, "
            f"median load {statistics.median(result['loads']):.1f}",
            f"  the page:     {page:7.1f} MiB/s  (seconds: {', '.join(f'{s:.1f}' for s in result['page_seconds'])})",
            f"  bare fetch(): {bare:7.1f} MiB/s  (seconds: {', '.join(f'{s:.1f}' for s in result['bare_seconds'])})",
            f"  ratio: {page / bare:.2f}×{verdict}",
        ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bigfile", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK['size_mib']} MiB, {QUICK['repetitions']} run each"
    )
    parser.add_argument(
        "--size", type=int, metavar="MIB", help=f"the file's size in MiB (default {FULL['size_mib']})"
    )
    parser.add_argument("--repetitions", type=int, help=f"timed runs of each (default {FULL['repetitions']})")
    database.add_arguments(parser)
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    size, repetitions = (args.size or plan["size_mib"]) * MiB, args.repetitions or plan["repetitions"]
    started = time.monotonic()

    def progress(label):
        print(f"[{time.monotonic() - started:5.1f} s, load {os.getloadavg()[0]:.1f}] {label}", flush=True)

    with tempfile.TemporaryDirectory(prefix="bench-bigfile-") as folder:
        progress(f"set-up: SeaweedFS and a throw-away {args.database} database")
        try:
            with environment.started(args.database, args.postgres) as env:
                progress(f"writing a {size // MiB} MiB file")
                path, digests = make_file(Path(folder) / "IMG_big.jpg", size)
                result = measure(env, path, digests, repetitions, progress)
        except BenchmarkError as error:
            sys.exit(f"python -m benchmarks.bigfile stopped: {error}")
    print()
    print(summary(result))
    print(f"\n{time.monotonic() - started:.0f} s in all.")
    return result


if __name__ == "__main__":
    main()
