"""How the tests and the benchmark start Debian's Chromium: no sandbox (root), nothing that calls out."""

import os

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


def executable():
    return os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
