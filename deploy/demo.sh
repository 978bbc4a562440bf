#!/usr/bin/env bash
# Sets up and runs the main job: a lunchtime at the sample school, through the real engine and
# store, printed as it happens. Arguments go to `kiosk demo` (e.g. --lang en, --db PATH).
# Then the librarian's pages (issue 9): a term of the sample school's lunchtimes, synced to the
# server and served; it prints their address and a sign-in, and runs until Ctrl-C.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"
ensure_venv server
"$VENV/bin/kiosk" demo "$@"
lang=()
while [ $# -gt 0 ]; do
  case "$1" in
    --lang) lang=(--lang "${2:-zh_CN}"); shift ;;
    --lang=*) lang=(--lang "${1#--lang=}") ;;
  esac
  shift
done
exec "$VENV/bin/python" "$ROOT/deploy/demo_pages.py" "${lang[@]}"
