#!/usr/bin/env bash
# Sets up and runs the kiosk at the sample school: the touchscreen app in a window (tap the
# on-screen cards and books, or type a code and Enter). With no display it plays a lunchtime
# through the same app under Xvfb and prints where the screenshots are.
# Arguments go to `kiosk run` (e.g. --lang en, --size 1024x600).
set -euo pipefail
# shellcheck source=deploy/_bootstrap.sh
. "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"
# Kivy's wheel brings SDL2; it needs GL (Mesa), libmtdev, and a CJK font to draw Chinese.
apt_need fonts-noto-cjk libmtdev1 libgl1 libgl1-mesa-dri libegl1
ensure_venv ui
AT=2026-11-23T12:10   # a Monday lunchtime in the sample term
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec "$VENV/bin/kiosk" run --demo --at "$AT" "$@"
fi
apt_need xvfb xauth
shots="$ROOT/.artifacts/demo"
rm -rf "$shots"
say "no display: playing kiosk/ui/demo.script under Xvfb"
xvfb-run -a -s "-screen 0 1024x600x24" \
  "$VENV/bin/kiosk" run --demo --script "$ROOT/kiosk/ui/demo.script" --shots "$shots" \
  --at "$AT" --size 800x480 "$@"
say "screenshots of the lunchtime (NNN.png, and NNN.json with the texts on screen): $shots"
