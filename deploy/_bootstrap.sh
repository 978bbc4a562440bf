#!/usr/bin/env bash
# Shared by deploy/demo.sh and deploy/test.sh: a virtualenv in .venv with the project installed.
# Installs the Debian packages it needs when run as root or with password-less sudo.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv"

say() { printf '==> %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo "$@"
  else return 1
  fi
}

# apt_need PACKAGE... : install the Debian packages that are not installed yet.
apt_need() {
  command -v dpkg-query >/dev/null 2>&1 || return 0   # not Debian/Ubuntu: trust the machine
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
     ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    say "could not install ${missing[*]} (not root, no sudo?); continuing with what is here"
  fi
}

find_python() {
  for py in python3.13 python3.12 python3.11 python3; do
    if command -v "$py" >/dev/null 2>&1 &&
       "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$py"; return 0
    fi
  done
  say "Python 3.11 or newer is needed (Debian 12 and Ubuntu 24.04 have it as python3)"
  return 1
}

# ensure_venv EXTRAS : create .venv if needed and install the project with these extras.
ensure_venv() {
  local extras=$1 py stamp want
  py=$(find_python)
  if ! "$py" -c 'import venv, ensurepip' 2>/dev/null; then
    apt_need python3-venv
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV"
    "$py" -m venv "$VENV"
  fi
  # Reinstall only when the dependencies or the extras asked for change.
  stamp="$VENV/.installed"
  want="$extras $(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || ! grep -qxF "$want" "$stamp"; then
    say "installing the project${extras:+ with [$extras]} into $VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e "$ROOT${extras:+[$extras]}"
    echo "$want" >>"$stamp"
  fi
}
