"""Measurements over real HTTP: the demo under gunicorn (2 workers), loaded by wrk from a second
process on loopback, each run bounded in time."""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from project.locals3 import free_port
from benchmarks.stats import Stat

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


def wrk_binary():
    found = shutil.which("wrk")
    if not found:
        sys.exit("The HTTP benchmark needs wrk: apt-get install wrk (python -m benchmarks installs it as root).")
    return found


class Gunicorn:
    def __init__(self, env, workers=2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "project.wsgi:application",
                f"--bind=127.0.0.1:{self.port}",
                f"--workers={workers}",
                "--error-logfile=-",
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {Path(self.log.name).read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start within 30 s")

    def cpu_seconds(self):
        """User + system CPU time used so far by the workers (not the master, which only forks)."""
        master = self.process.pid
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        ticks = 0
        for pid in children:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.process.terminate()
        self.process.wait(15)


def load(server, paths, *, session, csrf, body="", content_type="application/json", seconds=5, connections=4, repetitions=3):
    """Requests per second that wrk gets through ``paths``, and the workers' CPU milliseconds per
    request, one sample of each per repetition.

    ``paths`` is a list of paths to cycle through, or a callable giving a fresh list of
    single-use paths for each repetition. Raises if any reply was not 2xx, or if the
    single-use paths ran out (they would have been repeated).
    """
    url = server.url
    samples, cpu_samples = [], []
    for _ in range(repetitions):
        these = paths() if callable(paths) else paths
        lua = LUA.format(
            session=session, csrf=csrf, content_type=content_type, body=body, paths=", ".join(f'"{p}"' for p in these)
        )
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(lua)
        cpu_before = server.cpu_seconds()
        output = subprocess.run(
            [wrk_binary(), "-t1", f"-c{connections}", f"-d{seconds}s", "-s", script.name, url],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 30,
        ).stdout
        if "Non-2xx or 3xx responses" in output:
            raise RuntimeError(f"wrk saw error replies from {url}{these[0]}:\n{output}")
        if "WRAPPED" in output:
            raise RuntimeError(f"wrk used up its {len(these)} single-use paths; give it more")
        cpu = server.cpu_seconds() - cpu_before
        samples.append(float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)))
        cpu_samples.append(cpu * 1000 / int(re.search(r"(\d+) requests in", output).group(1)))
    return Stat.of(samples, "/s"), Stat.of(cpu_samples, "CPU ms")
