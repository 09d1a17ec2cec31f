"""``python -m benchmarks [--quick] [--database postgresql|sqlite]``: every measurement in one
run, one table, JSON and a chart.

Starts its own SeaweedFS, throw-away database (PostgreSQL by default, as a shop runs; SQLite on
request), variant workers and gunicorn; talks only to 127.0.0.1. A step that cannot measure (a
load tool that gets no replies, a process that died) ends the run with one line saying why.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks import database, environment, report, variantcost  # noqa: E402
from benchmarks.errors import BenchmarkError  # noqa: E402
from benchmarks.stats import Figure, Stat  # noqa: E402
from project.locals3 import LocalS3Error  # noqa: E402

QUICK = {
    "calls": 200,
    "repetitions": 3,
    "complete_calls": 20,
    "http_seconds": 1,
    "http_repetitions": 2,
    "files": 6,
    "browser_repetitions": 1,
    # Library page and variant worker: 12 MP photos, of which this many different pictures.
    "library_images": 20,
    "distinct_photos": 4,
    "worker_uploads": 6,
    "worker_repetitions": 1,
    "imaging": {"photos": 2, "repetitions": 2, "sets": ("product",)},
    # One file in multipart parts against bare fetch(); 12 MP photos resized in the page or not.
    "bigfile": {"size_mib": 256, "repetitions": 1},
    "resize": {"photos": 6, "repetitions": 1},
}
FULL = {
    "calls": 1000,
    "repetitions": 5,
    "complete_calls": 50,
    "http_seconds": 5,
    "http_repetitions": 3,
    "files": 20,
    "browser_repetitions": 3,
    "library_images": 20,
    "distinct_photos": 20,
    "worker_uploads": 24,
    "worker_repetitions": 2,
    "imaging": {"photos": 5, "repetitions": 5, "sets": ("product", "avatar")},
    "bigfile": {"size_mib": 1024, "repetitions": 3},
    "resize": {"photos": 20, "repetitions": 3},
}


def ensure_wrk():
    if shutil.which("wrk"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing Debian's wrk (the HTTP load tool)…", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)
    else:
        sys.exit("The benchmark needs wrk: apt-get install wrk")


def ensure_chromium():
    from project import chromium

    if os.access(chromium.executable(), os.X_OK):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing Debian's chromium (the browser runs)…", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium"], check=True, stdout=subprocess.DEVNULL, env=env
        )
    else:
        sys.exit(
            f"The benchmark needs Chromium at {chromium.executable()}: apt-get install chromium, or set CHROMIUM_PATH"
        )


def _stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt  # the same clean-up as Ctrl-C: workers, servers, the database


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (a few minutes)")
    parser.add_argument(
        "--out", type=Path, default=HERE / "results", help="folder for the JSON, Markdown and PNG"
    )
    database.add_arguments(parser, default="postgresql")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    ensure_wrk()
    ensure_chromium()
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    started = time.monotonic()
    steps = [{"step": "start"}]

    def step(label):
        # The load average too: on a shared machine it tells a slow figure from a busy neighbour.
        steps.append(
            {"step": label, "at_seconds": round(time.monotonic() - started, 1), "load": os.getloadavg()[0]}
        )
        print(f"[{steps[-1]['at_seconds']:5.1f} s, load {steps[-1]['load']:.1f}] {label}", flush=True)

    try:
        figures, details, database_name = run(args, plan, step)
    except (BenchmarkError, LocalS3Error) as error:
        sys.exit(f"python -m benchmarks stopped at “{steps[-1]['step']}”: {error}")
    except KeyboardInterrupt:
        sys.exit(
            f"python -m benchmarks interrupted at “{steps[-1]['step']}”; its servers, workers and database are gone."
        )
    details["steps"] = steps[1:]
    write(args, figures, details, database_name, started)


def run(args, plan, step):
    """Every step: (figures, details for the JSON, the database's name)."""
    figures, variant_figures, details = [], [], {}
    step(f"set-up: SeaweedFS and a throw-away {args.database} database")
    with environment.started(args.database, args.postgres) as env:
        from benchmarks import browserrun, inprocess, overhttp, peer

        step(f"database: {env.database.description}, throw-away, dropped at the end")
        step("variant time and memory per 12 MP JPEG, 1 core: Pillow and pyvips (benchmarks.imaging)")
        cost, details["imaging"] = variantcost.measure(**plan["imaging"])
        variant_figures += cost

        step("in-process: presign API and its parts")
        figures += inprocess.presign(plan["calls"], plan["repetitions"])
        ours_inprocess = figures[-1].ours
        params_inprocess, signature_inprocess = inprocess.peer_views(plan["calls"], plan["repetitions"])
        figures.append(
            Figure(
                "presign API vs peer's get_upload_params, in-process",
                ours_inprocess,
                params_inprocess,
                "django-s3direct get_upload_params",
                note="per request",
            )
        )
        figures.append(
            Figure(
                "presign API vs peer's get_aws_v4_signature, in-process",
                ours_inprocess,
                signature_inprocess,
                "django-s3direct get_aws_v4_signature",
                note="per request",
            )
        )

        step("in-process: complete()")
        complete_figures = inprocess.complete(plan["complete_calls"], plan["repetitions"])
        figures += complete_figures
        step("queries per call")
        figures += inprocess.queries()

        step("over HTTP: gunicorn, 2 workers, loaded by wrk")
        server = overhttp.Gunicorn(env.env)
        try:
            client, csrf = inprocess.logged_in_client()
            session = client.cookies["sessionid"].value
            load = dict(
                session=session, csrf=csrf, seconds=plan["http_seconds"], repetitions=plan["http_repetitions"]
            )
            form = "application/x-www-form-urlencoded"
            create_http, create_cpu = overhttp.load(
                server, ["/uploads/api/uploads/"], body=inprocess.JSON_BODY, **load
            )
            trivial_http, _ = overhttp.load(server, ["/bench/trivial/"], body=inprocess.JSON_BODY, **load)
            params_body = urlencode(peer.upload_params_data("red shoe.jpg", "image/jpeg", 5_000_000))
            params_http, params_cpu = overhttp.load(
                server, [peer.UPLOAD_PARAMS_PATH], body=params_body, content_type=form, **load
            )
            signature_body = urlencode(peer.signature_data())
            signature_http, signature_cpu = overhttp.load(
                server, [peer.SIGNATURE_PATH], body=signature_body, content_type=form, **load
            )
            source = "bench/source-5MB.jpg"
            size = env.s3.client().head_object(Bucket=environment.BUCKET, Key=source)["ContentLength"]
            # Each complete() needs a pending upload of its own: make enough for the run at 1.5× the
            # in-process rate (wrk stops the run with an error if they run out).
            needed = int(complete_figures[0].ours.high * plan["http_seconds"] * 1.5) + 20

            def fresh_complete_paths():
                return [
                    f"/uploads/api/uploads/{i}/complete/"
                    for i in inprocess._pending_rows(client, csrf, source, size, needed)
                ]

            complete_http, complete_cpu = overhttp.load(server, fresh_complete_paths, **load)
            figures.append(
                Figure(
                    "presign API over HTTP",
                    create_http,
                    trivial_http,
                    "trivial JSON view over HTTP",
                    note="per request",
                )
            )
            figures.append(
                Figure(
                    "presign API vs peer's get_upload_params, HTTP",
                    create_http,
                    params_http,
                    "django-s3direct get_upload_params",
                    note="per request",
                )
            )
            figures.append(
                Figure(
                    "presign API vs peer's get_aws_v4_signature, HTTP",
                    create_http,
                    signature_http,
                    "django-s3direct get_aws_v4_signature",
                    note="per request",
                )
            )
            figures.append(Figure("complete() over HTTP, 5 MB JPEG", complete_http, note="per request"))

            step("browser: upload throughput, and the peer's signing requests per file")
            files = _images(plan["files"])
            env.allow_origin(server.url)
            browser = browserrun.Browser(server.url)
            try:
                page_figure, floor = browserrun.throughput(
                    browser, session, csrf, files, plan["browser_repetitions"]
                )
                figures += [page_figure, floor]
                page = browser.logged_in_page()
                counts = peer.count_signing_requests(server.url, page, files[:2])
                page.context.close()
            finally:
                browser.close()
        finally:
            server.stop()

        if not counts["upload_params_requests"] or not counts["signature_requests"]:
            raise BenchmarkError(f"Chromium counted no signing requests of the peer's widget: {counts}")
        params_per_file = counts["upload_params_requests"] / counts["files"]
        signatures_per_file = counts["signature_requests"] / counts["files"]
        peer_name = f"peer: {params_per_file:g} get_upload_params + {signatures_per_file:g} signatures per file (counted in Chromium)"
        peer_cpu = _sum_stats(
            [params_cpu] * round(params_per_file) + [signature_cpu] * round(signatures_per_file)
        )
        figures.append(
            Figure(
                "server CPU per uploaded file for signing (ours: create)",
                create_cpu,
                peer_cpu,
                peer_name,
                target="≤ 0.5× the peer",
                met=create_cpu.median <= 0.5 * peer_cpu.median,
            )
        )
        figures.append(
            Figure(
                "server CPU per uploaded file, signing + verification (ours: create + complete)",
                _sum_stats([create_cpu, complete_cpu]),
                peer_cpu,
                peer_name,
                target="≤ 0.5× the peer",
                met=create_cpu.median + complete_cpu.median <= 0.5 * peer_cpu.median,
                note="the peer verifies nothing: it has no complete step",
            )
        )
        peer_wall = _sum_stats(
            [_per_request_ms(params_http)] * round(params_per_file)
            + [_per_request_ms(signature_http)] * round(signatures_per_file)
        )
        figures.append(
            Figure(
                "worker time per uploaded file incl. waiting for S3 (ours: create + complete)",
                _sum_stats([_per_request_ms(create_http), _per_request_ms(complete_http)]),
                peer_wall,
                peer_name,
                note="ours includes one S3 round trip the peer never makes",
            )
        )
        figures += big_file_and_resizing(env, plan, step, details)
        # After the upload figures, so these run as they always did (before any worker ran).
        variant_figures += variants_and_library(env, plan, step, details)
        database_name = env.database.description
    return figures + variant_figures, details, database_name


def big_file_and_resizing(env, plan, step, details):
    """The page's multipart upload of one big file against a bare fetch() of the same parts
    (``benchmarks.bigfile``), then 12 MP photos through the page with and without the client-side
    resize (``benchmarks.resize``); both served from this process, each with its settings override."""
    from benchmarks import bigfile, resize

    big = plan["bigfile"]
    step(f"browser: a {big['size_mib']} MiB file in parts, the page vs bare fetch() (benchmarks.bigfile)")
    path, digests = bigfile.make_file(env.workdir / "IMG_big.jpg", big["size_mib"] * bigfile.MiB)
    try:
        details["big_file"] = bigfile.measure(
            env, path, digests, big["repetitions"], progress=lambda label: None
        )
    finally:
        path.unlink()
    shrink = plan["resize"]
    step(f"browser: {shrink['photos']} photos of 12 MP, resized in the page or not (benchmarks.resize)")
    photos = resize.make_photos(shrink["photos"], env.workdir)
    uplinks = [None, resize.DEFAULT_UPLINK]
    details["resize"], _ = resize.measure(
        env, photos, shrink["repetitions"], uplinks, progress=lambda label: None
    )
    return bigfile.figures(details["big_file"]) + resize.figures(details["resize"])


def variants_and_library(env, plan, step, details):
    """The variant worker's throughput, then the library page of a seller whose product photos
    have their variants: the bytes Chromium downloads for it."""
    from benchmarks import browserrun, library, overhttp, seed, workers
    from benchmarks.inprocess import logged_in_client

    library_count, worker_count = plan["library_images"], plan["worker_uploads"]
    step(
        f"variant worker: {library_count + worker_count} photos of 12 MP ({plan['distinct_photos']} different pictures) through the API"
    )
    photos = seed.photos(library_count + worker_count, plan["distinct_photos"])
    worker_ids = seed.as_new_user("worker", photos[library_count:], "product_image")
    library_ids = library.seed_seller(photos[:library_count])
    del photos
    timeout = 60 + 10 * max(worker_count, library_count)
    step(f"variant worker: {worker_count} uploads with 1 and with 2 db_workers on {env.database.description}")
    figures, details["worker_runs"] = workers.throughput(
        env.env, worker_ids, plan["worker_repetitions"], timeout
    )
    step(f"variant worker: the library's {library_count} product images, 2 db_workers")
    seconds, cpu = workers.make_variants(env.env, library_ids, 2, timeout)
    details["library_variants"] = {
        "uploads": library_count,
        "workers": 2,
        "seconds": seconds,
        "cpu_seconds": cpu,
    }

    step(f"browser: bytes of the library page with {library_count} product images")
    client, _ = logged_in_client(
        library.SELLER
    )  # before Playwright runs its loop, in which the ORM refuses to run
    server = overhttp.Gunicorn(env.env)
    try:
        browser = browserrun.Browser(server.url)
        try:
            details["library_page"] = library.page_bytes(browser, client.cookies["sessionid"].value)
        finally:
            browser.close()
    finally:
        server.stop()
    return figures + library.figures(details["library_page"], library_count)


def write(args, figures, details, database_name, started):
    print()
    print(f"Database: {database_name}")
    print(report.table(figures))
    args.out.mkdir(parents=True, exist_ok=True)
    name = "quick" if args.quick else "full"
    caption = f"{'Quick' if args.quick else 'Full'} run on {report.machine()}; database: {database_name}."
    report.write_json(
        figures, args.out / f"{name}.json", quick=args.quick, database=database_name, details=details
    )
    report.write_chart(figures, args.out / f"{name}.png")
    (args.out / f"{name}.md").write_text(report.markdown(figures, caption))
    print(
        f"\nWrote {args.out / (name + '.json')}, {name}.md and {name}.png in {time.monotonic() - started:.0f} s."
    )


def _per_request_ms(rate):
    """Worker milliseconds per request from requests per second (2 workers share the load)."""
    if not rate.low:
        raise BenchmarkError(f"a load run had a repetition of no requests per second ({rate})")
    return Stat(2000 / rate.median, 2000 / rate.high, 2000 / rate.low, "ms")


def _sum_stats(stats):
    if not stats:
        raise BenchmarkError("nothing to add up (no requests counted)")
    return Stat(
        sum(s.median for s in stats), sum(s.low for s in stats), sum(s.high for s in stats), stats[0].unit
    )


def _images(count):
    from benchmarks.inprocess import jpeg_of_size

    folder = Path(tempfile.mkdtemp(prefix="bench-images-"))
    data = jpeg_of_size(5 * 10**6)
    paths = []
    for n in range(count):
        path = folder / f"product-{n:02d}.jpg"
        # Same pixels, distinct files: a different comment segment after the JPEG header.
        path.write_bytes(data[:2] + b"\xff\xfe\x00\x08" + f"{n:06d}".encode() + data[2:])
        paths.append(path)
    return paths


if __name__ == "__main__":
    main()
