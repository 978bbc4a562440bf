#!/usr/bin/env bash
# Sets up and runs the main job: a lunchtime at the sample school, through the real engine and
# store, printed as it happens. Arguments go to `kiosk demo` (e.g. --lang en, --db PATH).
set -euo pipefail
# shellcheck source=deploy/_bootstrap.sh
. "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"
ensure_venv ""
exec "$VENV/bin/kiosk" demo "$@"
