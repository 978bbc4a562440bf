#!/usr/bin/env bash
# Sets up and runs every check: lint, format, types, package boundaries, the whole test suite.
# Arguments go to pytest (e.g. -k session, -x).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"
# evdev builds from source: it needs a compiler, the Python headers and the kernel's input.h.
apt_need gcc python3-dev linux-libc-dev
# The touchscreen app runs for real under Xvfb: Kivy's wheel needs GL (Mesa's llvmpipe), EGL and
# libmtdev; Noto Sans CJK draws the Chinese (Kivy's own font shows boxes); xauth for xvfb-run.
apt_need xvfb xauth fonts-noto-cjk libmtdev1 libgl1 libgl1-mesa-dri libegl1
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
