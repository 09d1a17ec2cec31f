"""The variant worker: ``manage.py db_worker`` processes (the database tasks backend, on the run's
database) making the variants of verified 12-megapixel JPEGs, with one worker and with two."""

import datetime
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from django.utils import timezone

from benchmarks.errors import BenchmarkError, one_line
from benchmarks.stats import Figure, Stat
from uploads import conf, tasks, variants
from uploads.models import Upload, Variant

ROOT = Path(__file__).resolve().parent.parent
STARTED = "Starting worker"


class Workers:
    """``with Workers(env, 2) as pool:`` that many ``db_worker`` processes, each polling the queue
    every 0.1 s, stopped when the block ends."""

    def __init__(self, env, count):
        self.env, self.count, self.processes, self.logs = env, count, [], []

    def __enter__(self):
        try:
            for number in range(self.count):
                log = tempfile.NamedTemporaryFile(prefix=f"db-worker-{number}-", suffix=".log", delete=False)
                self.logs.append(Path(log.name))
                command = [
                    sys.executable,
                    "manage.py",
                    "db_worker",
                    "--interval=0.1",
                    "--no-startup-delay",
                    "--no-reload",
                    f"--worker-id=bench-{number}",
                ]
                self.processes.append(
                    subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
                )
            self._wait_until_polling(timeout=60)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def _wait_until_polling(self, timeout):
        deadline = time.monotonic() + timeout
        while not all(STARTED in log.read_text(errors="replace") for log in self.logs):
            self.check_alive()
            if time.monotonic() > deadline:
                raise BenchmarkError(f"db_worker did not start within {timeout} s; log: {self.log_tail()}")
            time.sleep(0.1)

    def check_alive(self):
        for process, log in zip(self.processes, self.logs, strict=True):
            if process.poll() is not None:
                raise BenchmarkError(
                    f"db_worker exited with code {process.returncode}; log: {self.log_tail(log)}"
                )

    def log_tail(self, log=None, lines=8):
        log = log or self.logs[-1]
        return one_line("\n".join(log.read_text(errors="replace").splitlines()[-lines:]))

    def cpu_seconds(self):
        """User + system CPU time the workers used so far."""
        ticks = 0
        for process in self.processes:
            fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                process.terminate()  # db_worker finishes the task it runs, then exits
        for process in self.processes:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self.logs:
            log.unlink(missing_ok=True)
        self.processes, self.logs = [], []


def clear_queue():
    """Drop every task and result: the earlier steps' uploads enqueued tasks of their own."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.all().delete()[0]


def outcomes():
    """``{"<status> <return value>": count}`` of the tasks since the queue was cleared: more tasks
    than uploads, or "retrying", means S3 failed and a task waited to try again."""
    from django_tasks_db.models import DBTaskResult

    counted = Counter(
        f"{status} {value}" for status, value in DBTaskResult.objects.values_list("status", "return_value")
    )
    return dict(sorted(counted.items()))


def make_variants(env, upload_ids, workers, timeout):
    """Seconds from enqueueing the variant tasks of ``upload_ids`` until all their variants are
    recorded and every ``variants_due`` is cleared, with ``workers`` processes already polling;
    and the workers' CPU seconds in that time. Variants made before are made again."""
    rows = Upload.objects.filter(pk__in=upload_ids)
    sources = list(rows.values_list("sha256", flat=True))
    wanted = len(sources) * len(variants.specs(rows.first().profile))
    Variant.objects.filter(source__in=sources).delete()
    rows.update(variants_due=timezone.now() + datetime.timedelta(seconds=conf.get("TASK_LEASE")))
    clear_queue()
    with Workers(env, workers) as pool:
        cpu_before, started = pool.cpu_seconds(), time.perf_counter()
        for upload_id in upload_ids:
            tasks.enqueue_variants(upload_id)
        while rows.filter(variants_due__isnull=False).exists():
            pool.check_alive()
            _check_failures()
            if time.perf_counter() - started > timeout:
                left = rows.filter(variants_due__isnull=False).count()
                raise BenchmarkError(
                    f"{workers} worker(s) made the variants of {len(upload_ids) - left} of {len(upload_ids)} uploads in {timeout} s; log: {pool.log_tail()}"
                )
            time.sleep(0.05)
        seconds, cpu = time.perf_counter() - started, pool.cpu_seconds() - cpu_before
    made = Variant.objects.filter(source__in=sources).count()
    if made != wanted:
        raise BenchmarkError(
            f"the workers recorded {made} of {wanted} variants (a task said 'broken' or 'gone'?)"
        )
    return seconds, cpu


def _check_failures():
    from django_tasks_db.models import DBTaskResult

    failed = DBTaskResult.objects.failed().first()
    if failed is not None:
        raise BenchmarkError(f"a variant task failed: {one_line(failed.traceback)}")


def throughput(env, upload_ids, repetitions, timeout):
    """Figures: uploads per second made with 1 and with 2 workers, and per core (from the
    workers' own CPU time, which leaves out S3's and the database's); and each run's details."""
    rates, cpu_per_upload, runs = {1: [], 2: []}, {1: [], 2: []}, []
    for _ in range(repetitions):
        for workers in (1, 2):
            seconds, cpu = make_variants(env, upload_ids, workers, timeout)
            rates[workers].append(len(upload_ids) / seconds)
            cpu_per_upload[workers].append(cpu / len(upload_ids))
            runs.append(
                {
                    "workers": workers,
                    "seconds": seconds,
                    "cpu_seconds": cpu,
                    "tasks": outcomes(),
                    "load": os.getloadavg(),
                }
            )
    one, two = Stat.of(rates[1], "uploads/s"), Stat.of(rates[2], "uploads/s")
    cpu = Stat.of(cpu_per_upload[1] + cpu_per_upload[2], "CPU s")
    per_core = Stat(1 / cpu.median, 1 / cpu.high, 1 / cpu.low, "uploads/s")
    count = len(upload_ids)
    names = ", ".join(f"{name} {spec.size[0]}" for name, spec in variants.specs("product_image").items())
    loads = [run["load"][0] for run in runs]
    figures = [
        Figure(
            f"variant worker, 2 db_workers: {count} uploads of 12 MP",
            two,
            one,
            "1 db_worker",
            note=f"{names} WebP each; {os.cpu_count()} cores, load average {min(loads):.1f}–{max(loads):.1f}; from enqueueing to the last variants_due cleared",
        ),
        Figure("variant worker: CPU per upload (in the worker)", cpu, note="S3 and the database not counted"),
        Figure(
            "variant worker: uploads per second per core", per_core, note="1 ÷ the worker's CPU per upload"
        ),
    ]
    return figures, runs
