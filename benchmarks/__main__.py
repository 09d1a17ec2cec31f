"""``python -m benchmarks [--quick]``: every measurement in one run, one table, JSON and a chart.

Starts its own SeaweedFS, throw-away database and gunicorn; talks only to 127.0.0.1.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks import environment, report  # noqa: E402
from benchmarks.stats import Figure, Stat  # noqa: E402

QUICK = {"calls": 200, "repetitions": 3, "complete_calls": 20, "http_seconds": 1, "http_repetitions": 2, "files": 6, "browser_repetitions": 1}
FULL = {"calls": 1000, "repetitions": 5, "complete_calls": 50, "http_seconds": 5, "http_repetitions": 3, "files": 20, "browser_repetitions": 3}


def ensure_wrk():
    if shutil.which("wrk"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing Debian's wrk (the HTTP load tool)…", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)
    else:
        sys.exit("The benchmark needs wrk: apt-get install wrk")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short run (under a minute)")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="folder for the JSON and PNG")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    ensure_wrk()
    started = time.monotonic()
    figures = []

    def step(label):
        print(f"[{time.monotonic() - started:5.1f} s] {label}", flush=True)

    with environment.started() as env:
        from benchmarks import browserrun, inprocess, overhttp, peer

        step("in-process: presign API and its parts")
        figures += inprocess.presign(plan["calls"], plan["repetitions"])
        ours_inprocess = figures[-1].ours
        params_inprocess, signature_inprocess = inprocess.peer_views(plan["calls"], plan["repetitions"])
        figures.append(Figure("presign API vs peer's get_upload_params, in-process", ours_inprocess, params_inprocess, "django-s3direct get_upload_params", note="per request"))
        figures.append(Figure("presign API vs peer's get_aws_v4_signature, in-process", ours_inprocess, signature_inprocess, "django-s3direct get_aws_v4_signature", note="per request"))

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
            load = dict(session=session, csrf=csrf, seconds=plan["http_seconds"], repetitions=plan["http_repetitions"])
            form = "application/x-www-form-urlencoded"
            create_http, create_cpu = overhttp.load(server, ["/uploads/api/uploads/"], body=inprocess.JSON_BODY, **load)
            trivial_http, _ = overhttp.load(server, ["/bench/trivial/"], body=inprocess.JSON_BODY, **load)
            params_body = urlencode(peer.upload_params_data("red shoe.jpg", "image/jpeg", 5_000_000))
            params_http, params_cpu = overhttp.load(server, [peer.UPLOAD_PARAMS_PATH], body=params_body, content_type=form, **load)
            signature_body = urlencode(peer.signature_data())
            signature_http, signature_cpu = overhttp.load(server, [peer.SIGNATURE_PATH], body=signature_body, content_type=form, **load)
            source = "bench/source-5MB.jpg"
            size = env.s3.client().head_object(Bucket=environment.BUCKET, Key=source)["ContentLength"]
            # Each complete() needs a pending upload of its own: make enough for the run at 1.5× the
            # in-process rate (wrk stops the run with an error if they run out).
            needed = int(complete_figures[0].ours.high * plan["http_seconds"] * 1.5) + 20

            def fresh_complete_paths():
                return [f"/uploads/api/uploads/{i}/complete/" for i in inprocess._pending_rows(client, csrf, source, size, needed)]

            complete_http, complete_cpu = overhttp.load(server, fresh_complete_paths, **load)
            figures.append(Figure("presign API over HTTP", create_http, trivial_http, "trivial JSON view over HTTP", note="per request"))
            figures.append(Figure("presign API vs peer's get_upload_params, HTTP", create_http, params_http, "django-s3direct get_upload_params", note="per request"))
            figures.append(Figure("presign API vs peer's get_aws_v4_signature, HTTP", create_http, signature_http, "django-s3direct get_aws_v4_signature", note="per request"))
            figures.append(Figure("complete() over HTTP, 5 MB JPEG", complete_http, note="per request"))

            step("browser: upload throughput, and the peer's signing requests per file")
            files = _images(plan["files"])
            env.allow_origin(server.url)
            browser = browserrun.Browser(server.url)
            try:
                page_figure, floor = browserrun.throughput(browser, session, csrf, files, plan["browser_repetitions"])
                figures += [page_figure, floor]
                page = browser.logged_in_page()
                counts = peer.count_signing_requests(server.url, page, files[:2])
                page.context.close()
            finally:
                browser.close()
        finally:
            server.stop()

        params_per_file = counts["upload_params_requests"] / counts["files"]
        signatures_per_file = counts["signature_requests"] / counts["files"]
        peer_name = f"peer: {params_per_file:g} get_upload_params + {signatures_per_file:g} signatures per file (counted in Chromium)"
        peer_cpu = _sum_stats([params_cpu] * round(params_per_file) + [signature_cpu] * round(signatures_per_file))
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
        peer_wall = _sum_stats([_per_request_ms(params_http)] * round(params_per_file) + [_per_request_ms(signature_http)] * round(signatures_per_file))
        figures.append(
            Figure(
                "worker time per uploaded file incl. waiting for S3 (ours: create + complete)",
                _sum_stats([_per_request_ms(create_http), _per_request_ms(complete_http)]),
                peer_wall,
                peer_name,
                note="ours includes one S3 round trip the peer never makes",
            )
        )

    print()
    print(report.table(figures))
    args.out.mkdir(parents=True, exist_ok=True)
    name = "quick" if args.quick else "full"
    report.write_json(figures, args.out / f"{name}.json", quick=args.quick)
    report.write_chart(figures, args.out / f"{name}.png")
    (args.out / f"{name}.md").write_text(report.markdown(figures))
    print(f"\nWrote {args.out / (name + '.json')} and {args.out / (name + '.png')} in {time.monotonic() - started:.0f} s.")


def _per_request_ms(rate):
    """Worker milliseconds per request from requests per second (2 workers share the load)."""
    return Stat(2000 / rate.median, 2000 / rate.high, 2000 / rate.low, "ms")


def _sum_stats(stats):
    return Stat(sum(s.median for s in stats), sum(s.low for s in stats), sum(s.high for s in stats), stats[0].unit)


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
