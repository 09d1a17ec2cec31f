"""gunicorn settings for the benchmark's server (``--config=python:benchmarks.gunicorn_hooks``)."""

import os


def post_worker_init(worker):
    """Note each worker that has loaded the app, so the run starts measuring only once all have."""
    path = os.environ.get("BENCHMARK_READY_FILE")
    if path:
        with open(path, "a") as ready:
            ready.write(f"{worker.pid}\n")
