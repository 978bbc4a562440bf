#!/usr/bin/env bash
# Builds into DIR every wheel an offline install needs: the project's dependencies (with the
# kiosk's and the server's extras) and the build backend. Then, on a machine with no internet:
#   sudo deploy/install-kiosk.sh --wheelhouse DIR
# Build it on the same kind of machine as the target (on a Pi for a Pi: evdev is compiled).
# PIP=path/to/pip picks the pip to use (default: a throw-away virtualenv of /usr/bin/python3).
set -Eeuo pipefail

PROG=wheelhouse.sh
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=deploy/_install.sh
. "$SRC/deploy/_install.sh"

[ $# -eq 1 ] || fail "usage: deploy/wheelhouse.sh DIR"
mkdir -p "$1"
pip=${PIP:-}
if [ -z "$pip" ]; then
  step "making a virtualenv for pip"
  "$PYTHON" -m venv "$WORK/pip"
  pip="$WORK/pip/bin/pip"
fi
step "building the wheels into $1"
# setuptools: the build backend pyproject.toml names, for building the project's own wheel.
"$pip" wheel -q -w "$1" "setuptools>=68" "${SRC}[${KIOSK_EXTRAS},${SERVER_EXTRAS}]"
# The project's own wheel is built from the checkout at install time, not taken from here.
rm -f "$1"/school_library_kiosk-*.whl
did "$(find "$1" -name '*.whl' | wc -l) wheels in $1"
