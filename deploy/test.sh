#!/usr/bin/env bash
# Sets up and runs every check: lint, format, types, package boundaries, the whole test suite.
# Arguments go to pytest (e.g. -k session, -x).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"
# evdev builds from source: it needs a compiler, the Python headers and the kernel's input.h.
# The server's tests start their own PostgreSQL (as the postgres user, in a temporary folder, on
# loopback): Debian's server binaries and that user come with the postgresql package.
apt_need gcc python3-dev linux-libc-dev postgresql
# The librarian's pages are tested in Debian's Chromium (driven by Playwright, which downloads no
# browser), with the CJK font that Chinese needs to render.
apt_need chromium fonts-noto-cjk
ensure_venv dev
cd "$ROOT"
say "ruff";        "$VENV/bin/ruff" check . && "$VENV/bin/ruff" format --check .
say "mypy";        "$VENV/bin/mypy"
say "boundaries";  "$VENV/bin/lint-imports"
say "pytest"
set +e
"$VENV/bin/pytest" "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  say "pytest collected no tests: that is a failure, not a pass"
  exit 1
fi
exit "$status"
