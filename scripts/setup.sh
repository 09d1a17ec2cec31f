# Sourced by scripts/run and scripts/test: make .venv from requirements.txt and node_modules/ from
# package-lock.json (axe-core, for the browser tests), each only when it changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))'; then
  echo "Python 3.11 or newer is needed (found $("$PYTHON" --version 2>&1)); install python3.11." >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv"
  "$PYTHON" -m venv .venv
fi
STAMP=.venv/.requirements.sha256
WANT="$(cat requirements.txt benchmarks/requirements.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  echo "Installing requirements.txt and benchmarks/requirements.txt into .venv"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -r benchmarks/requirements.txt
  echo "$WANT" > "$STAMP"
fi

NODE_STAMP=node_modules/.package-lock.sha256
WANT="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ "$(cat "$NODE_STAMP" 2>/dev/null)" != "$WANT" ]; then
  if ! command -v npm >/dev/null; then
    echo "npm is needed to install package-lock.json (axe-core, for the accessibility tests):" >&2
    echo "install Node.js 20 or newer with npm (Debian: apt-get install nodejs npm), then run scripts/setup.sh again." >&2
    exit 1
  fi
  echo "Installing package-lock.json into node_modules/ (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$WANT" > "$NODE_STAMP"
fi
mkdir -p .data
