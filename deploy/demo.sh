#!/usr/bin/env bash
# Sets up and runs the main job: a lunchtime at the sample school, through the real engine and
# store, printed as it happens; then the central server with the sample school and a sync worker
# that sends that lunchtime to it. Arguments go to `kiosk demo` (e.g. --lang en).
set -euo pipefail
# shellcheck source=deploy/_bootstrap.sh
. "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"
ensure_venv ""
work=$(mktemp -d -t kiosk-demo-XXXXXX)
trap 'rm -rf "$work"' EXIT
"$VENV/bin/kiosk" demo --db "$work/kiosk.db" "$@"
"$ROOT/deploy/demo-server.sh" "$work/kiosk.db"   # the central server and sync (issue 8)
