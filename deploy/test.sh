#!/usr/bin/env bash
# Sets up and runs every check: lint, format, types, package boundaries, the whole test suite.
# Arguments go to pytest (e.g. -k session, -x).
set -euo pipefail
# shellcheck source=deploy/_bootstrap.sh
. "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"
# evdev builds from source: it needs a compiler, the Python headers and the kernel's input.h.
apt_need gcc python3-dev linux-libc-dev
# strace shows that every committed scan is synced to disk (tests/store/test_durability.py);
# util-linux gives unshare and setpriv for the read-only media tests.
apt_need strace util-linux
# The appliance tests: shellcheck and systemd-analyze, Debian's venv for the releases the install
# scripts build, openssl for their certificates.
apt_need shellcheck systemd python3-venv openssl
# The boot test (tests/appliance/test_boot.py, deploy/boot-test.sh): a Debian 12 root made with
# debootstrap and booted with systemd-nspawn, kept in /var/cache/library-kiosk-boot-test.
apt_need debootstrap systemd-container
# The server's tests start their own PostgreSQL (as the postgres user, in a temporary folder, on
# loopback): Debian's server binaries and that user come with the postgresql package.
apt_need postgresql
# The touchscreen app runs for real under Xvfb: Kivy's wheel needs GL (Mesa's llvmpipe), EGL and
# libmtdev; Noto Sans CJK draws the Chinese (Kivy's own font shows boxes); xauth for xvfb-run.
apt_need xvfb xauth xdotool fonts-noto-cjk libmtdev1 libgl1 libgl1-mesa-dri libegl1
# The librarian's pages are tested in Debian's Chromium (driven by Playwright, which downloads no
# browser), with the CJK font that Chinese needs to render.
apt_need chromium
# Printed cards and labels are checked as PDF pages (pdftoppm) whose barcodes read back (zbarimg);
# spoken answers are made by espeak-ng and measured with sox.
apt_need poppler-utils zbar-tools espeak-ng sox
ensure_venv dev
# The install scripts' tests lay releases down offline from these wheels: no test needs the
# network. Rebuilt when the dependencies or the extras each machine installs change.
wheelhouse_stamp="$VENV/wheelhouse/.built-for"
wheelhouse_want=$(cat "$ROOT/pyproject.toml" "$ROOT/deploy/_install.sh" | sha256sum | cut -d' ' -f1)
if ! grep -qxF "$wheelhouse_want" "$wheelhouse_stamp" 2>/dev/null; then
  say "wheelhouse for the install tests"
  if ! PIP="$VENV/bin/pip" bash "$ROOT/deploy/wheelhouse.sh" "$VENV/wheelhouse" >"$VENV/wheelhouse.log" 2>&1; then
    cat "$VENV/wheelhouse.log" >&2
    exit 1
  fi
  echo "$wheelhouse_want" >"$wheelhouse_stamp"
fi
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
