"""The run's guards: wrk's report read, or one line saying why there is no number.

Outside tests/ (pytest.ini's testpaths), so run them by path: ``python -m pytest benchmarks``.
"""

import shutil
import socket

import pytest

from benchmarks.errors import BenchmarkError, one_line
from benchmarks.overhttp import WrkReport, load, parse_wrk
from benchmarks.stats import Stat

URL = "http://127.0.0.1:8000/uploads/api/uploads/"

REPLIES = """Running 1s test @ http://127.0.0.1:8000
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.08ms    1.17ms  13.38ms   86.13%
    Req/Sec   787.00     54.00   841.00    100.00%
  787 requests in 1.00s, 232.80KB read
Requests/sec:    785.73
Transfer/sec:    232.35KB
"""

NO_REPLIES = """Running 1s test @ http://127.0.0.1:8000
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     0.00us    0.00us   0.00us    -nan%
    Req/Sec     0.00      0.00     0.00      -nan%
  0 requests in 1.00s, 0.00B read
  Socket errors: connect 0, read 0, write 0, timeout 4
Requests/sec:      0.00
Transfer/sec:       0.00B
"""


def test_wrk_report_gives_requests_and_rate():
    assert parse_wrk(REPLIES, URL) == WrkReport(
        requests=787, per_second=785.73, error_replies=0, wrapped=False
    )


def test_wrk_report_counts_error_replies_and_wrapped_paths():
    output = "WRAPPED\n" + REPLIES.replace("Requests/sec", "  Non-2xx or 3xx responses: 12\nRequests/sec")
    assert parse_wrk(output, URL) == WrkReport(
        requests=787, per_second=785.73, error_replies=12, wrapped=True
    )


def test_wrk_with_no_replies_raises_one_line_naming_the_url_and_quoting_wrk():
    with pytest.raises(BenchmarkError) as raised:
        parse_wrk(NO_REPLIES, URL)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(
        f"wrk got no replies from {URL}; wrk printed: Running 1s test @ http://127.0.0.1:8000 | "
    )
    assert "0 requests in 1.00s, 0.00B read | Socket errors: connect 0, read 0, write 0, timeout 4" in message


def test_wrk_without_a_report_raises_quoting_wrk():
    with pytest.raises(
        BenchmarkError,
        match=r"no replies from .*; wrk printed: unable to connect to 127.0.0.1:8000 Connection refused$",
    ):
        parse_wrk("unable to connect to 127.0.0.1:8000 Connection refused\n", URL)


def test_wrk_printing_nothing_says_so():
    with pytest.raises(BenchmarkError, match=r"wrk printed: \(nothing\)$"):
        parse_wrk("", URL)


def test_stat_of_no_samples_raises_benchmark_error():
    with pytest.raises(BenchmarkError, match="no samples"):
        Stat.of([], "/s")


def test_one_line_cuts_long_output():
    assert one_line("a\n\n  b  \n", limit=10) == "a | b"
    assert one_line("x" * 20, limit=10) == "x" * 9 + "…"


class BlackHole:
    """A server that accepts connections and never answers, as a server stuck at full load."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"

    def cpu_seconds(self):
        return 0.0


@pytest.mark.skipif(not shutil.which("wrk"), reason="needs wrk")
def test_load_from_a_server_that_never_answers_raises_one_line_naming_the_url():
    server = BlackHole()
    with pytest.raises(BenchmarkError) as raised:
        load(server, ["/uploads/api/uploads/"], session="s", csrf="c", seconds=1, repetitions=1)
    server.socket.close()
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(
        f"wrk got no replies from {server.url}/uploads/api/uploads/; wrk printed: Running 1s test @ {server.url}"
    )
    assert "0 requests in" in message


def test_main_exits_with_the_step_and_the_reason_on_one_line(monkeypatch, capsys):
    from benchmarks import __main__ as cli

    def run(args, plan, step):
        step("over HTTP: gunicorn, 2 workers, loaded by wrk")
        parse_wrk(NO_REPLIES, URL)

    monkeypatch.setattr(cli, "ensure_wrk", lambda: None)
    monkeypatch.setattr(cli, "ensure_chromium", lambda: None)
    monkeypatch.setattr(cli, "run", run)
    monkeypatch.setattr(cli.signal, "signal", lambda *args: None)
    with pytest.raises(SystemExit) as exited:
        cli.main(["--quick"])
    assert exited.value.code.startswith(
        f"python -m benchmarks stopped at “over HTTP: gunicorn, 2 workers, loaded by wrk”: wrk got no replies from {URL}; wrk printed: Running 1s test"
    )
    assert "\n" not in exited.value.code
