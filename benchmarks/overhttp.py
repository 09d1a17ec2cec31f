"""Measurements over real HTTP: the demo under gunicorn (2 workers), loaded by wrk from a second
process on loopback, each run bounded in time."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

from benchmarks.errors import BenchmarkError, one_line
from benchmarks.stats import Stat
from project.locals3 import free_port

ROOT = Path(__file__).resolve().parent.parent

LUA = """
wrk.method = "POST"
wrk.headers["Cookie"] = "sessionid={session}; csrftoken={csrf}"
wrk.headers["X-CSRFToken"] = "{csrf}"
wrk.headers["Content-Type"] = "{content_type}"
wrk.body = [[{body}]]
local paths = {{ {paths} }}
local next_path = 0
request = function()
  next_path = next_path + 1
  if next_path > #paths then
    next_path = 1
    if #paths > 1 then io.write("WRAPPED\\n") end
  end
  return wrk.format(nil, paths[next_path])
end
"""
# The page every worker answers without a login; asked for until both workers have.
READY_PATH = "/accounts/login/"


def wrk_binary():
    found = shutil.which("wrk")
    if not found:
        sys.exit(
            "The HTTP benchmark needs wrk: apt-get install wrk (python -m benchmarks installs it as root)."
        )
    return found


@dataclass(frozen=True)
class WrkReport:
    requests: int
    per_second: float
    error_replies: int
    wrapped: bool


def parse_wrk(output, url):
    """The figures of wrk's report; ``BenchmarkError`` naming ``url`` and quoting wrk when it got
    no replies at all (an overloaded machine, a dead server) or printed no report."""
    done = re.search(r"^\s*(\d+) requests in ", output, re.MULTILINE)
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    if not done or not rate or int(done.group(1)) == 0 or float(rate.group(1)) == 0:
        raise BenchmarkError(f"wrk got no replies from {url}; wrk printed: {one_line(output)}")
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return WrkReport(
        int(done.group(1)), float(rate.group(1)), int(errors.group(1)) if errors else 0, "WRAPPED" in output
    )


class Gunicorn:
    def __init__(self, env, workers=2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.log = tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log", delete=False)  # noqa: SIM115  gunicorn writes it while we run
        self.ready_file = Path(self.log.name).with_suffix(".ready")
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "project.wsgi:application",
                "--config=python:benchmarks.gunicorn_hooks",
                f"--bind=127.0.0.1:{self.port}",
                f"--workers={workers}",
                "--error-logfile=-",
            ],
            env={**env, "BENCHMARK_READY_FILE": str(self.ready_file)},
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_until_ready(timeout=60)
        except BaseException:
            self.stop()
            raise

    def _wait_until_ready(self, timeout):
        # The port opens before the workers have loaded Django, and a worker imports the URLconf
        # at its first request: wait for both, or a short wrk run can end with no replies.
        deadline = time.monotonic() + timeout
        while self._booted() < self.workers:
            self.check_alive()
            if time.monotonic() > deadline:
                raise BenchmarkError(
                    f"gunicorn's {self.workers} workers did not start within {timeout} s; log: {self.log_tail()}"
                )
            time.sleep(0.1)
        with ThreadPoolExecutor(self.workers * 2) as pool:
            for _ in range(3):
                replies = list(pool.map(self._ask, range(self.workers * 2)))
                if not all(replies):
                    raise BenchmarkError(
                        f"gunicorn at {self.url} does not answer {READY_PATH}: {replies}; log: {self.log_tail()}"
                    )

    def _booted(self):
        try:
            return len(self.ready_file.read_text().split())
        except FileNotFoundError:
            return 0

    def _ask(self, _):
        try:
            return requests.get(self.url + READY_PATH, timeout=30).status_code == 200
        except requests.RequestException as error:
            return str(error)

    def check_alive(self):
        if self.process.poll() is not None:
            raise BenchmarkError(
                f"gunicorn exited with code {self.process.returncode}; log: {self.log_tail()}"
            )

    def log_tail(self, lines=8):
        return one_line("\n".join(Path(self.log.name).read_text(errors="replace").splitlines()[-lines:]))

    def cpu_seconds(self):
        """User + system CPU time used so far by the workers (not the master, which only forks)."""
        self.check_alive()
        master = self.process.pid
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        ticks = 0
        for pid in children:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:  # a worker that died meanwhile; the master starts another
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.ready_file.unlink(missing_ok=True)


def load(
    server,
    paths,
    *,
    session,
    csrf,
    body="",
    content_type="application/json",
    seconds=5,
    connections=4,
    repetitions=3,
):
    """Requests per second that wrk gets through ``paths``, and the workers' CPU milliseconds per
    request, one sample of each per repetition.

    ``paths`` is a list of paths to cycle through, or a callable giving a fresh list of
    single-use paths for each repetition. Raises ``BenchmarkError`` if wrk got no replies, if
    any reply was not 2xx, or if the single-use paths ran out (they would have been repeated).
    """
    samples, cpu_samples = [], []
    for _ in range(repetitions):
        these = paths() if callable(paths) else paths
        url = server.url + these[0]
        lua = LUA.format(
            session=session,
            csrf=csrf,
            content_type=content_type,
            body=body,
            paths=", ".join(f'"{p}"' for p in these),
        )
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(lua)
        cpu_before = server.cpu_seconds()
        try:
            done = subprocess.run(
                [wrk_binary(), "-t1", f"-c{connections}", f"-d{seconds}s", "-s", script.name, server.url],
                capture_output=True,
                text=True,
                timeout=seconds + 30,
            )
        except subprocess.TimeoutExpired as error:
            raise BenchmarkError(
                f"wrk did not finish its {seconds} s run against {url} within {seconds + 30} s; wrk printed: {one_line(error.stdout or '')}"
            ) from None
        finally:
            os.unlink(script.name)
        output = done.stdout + done.stderr
        if done.returncode:
            raise BenchmarkError(
                f"wrk failed (exit code {done.returncode}) against {url}; wrk printed: {one_line(output)}"
            )
        report = parse_wrk(output, url)
        if report.error_replies:
            raise BenchmarkError(
                f"wrk saw {report.error_replies} error replies from {url}; wrk printed: {one_line(output)}"
            )
        if report.wrapped:
            raise BenchmarkError(f"wrk used up its {len(these)} single-use paths at {url}; give it more")
        cpu = server.cpu_seconds() - cpu_before
        samples.append(report.per_second)
        cpu_samples.append(cpu * 1000 / report.requests)
    return Stat.of(samples, "/s"), Stat.of(cpu_samples, "CPU ms")
