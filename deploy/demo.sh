#!/usr/bin/env bash
# Sets up and runs the whole system at the sample school (阳光小学), on the embedded default
# (SQLite everywhere), on this one machine:
#   1. the central server with the sample school, a term of lunchtimes already scanned at door-1
#      and synced; it serves the librarian's pages and prints their address and a sign-in;
#   2. door-2, a new kiosk paired with that server: its first sync brings the school down;
#   3. door-2's touchscreen app in a window (tap the on-screen cards and books, or type a code
#      and Enter), with its sync worker running beside it. With no display, a lunchtime plays
#      through the same app under Xvfb, screenshots are saved, and one sync sends it up.
# Arguments go to `kiosk run` (e.g. --lang en, --size 1024x600). Ctrl-C stops everything.
set -euo pipefail
# shellcheck source=deploy/_bootstrap.sh
. "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"
# Kivy's wheel brings SDL2; it needs GL (Mesa), libmtdev, and a CJK font to draw Chinese.
apt_need fonts-noto-cjk libmtdev1 libgl1 libgl1-mesa-dri libegl1
ensure_venv "server,ui"
lang=zh_CN
for arg in "$@"; do case "$arg" in en|--lang=en) lang=en ;; esac; done
work="$ROOT/var/demo"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -f "$work/ready"
"$VENV/bin/python" "$ROOT/deploy/demo_pages.py" --lang "$lang" --folder "$work" \
  --ready "$work/ready" &
pids+=($!)
until [ -s "$work/ready" ]; do   # the server demo writes its address once it serves
  kill -0 "${pids[0]}" 2>/dev/null || { say "the server demo stopped"; exit 1; }
  sleep 0.2
done
url=$(cat "$work/ready")
AT=$(cat "$work/door-2.at")   # door-2's clock: the last Monday lunchtime (classes 3-1, 3-2)
kiosk=("$VENV/bin/kiosk")
sync=("${kiosk[@]}" sync --db "$work/door-2.db" --server "$url" --token-file "$work/door-2.token")
"${kiosk[@]}" init --db "$work/door-2.db" --kiosk-id door-2 >/dev/null
"${sync[@]}" once >/dev/null   # door-2 gets the roster, catalogue and rules from the server
say "door-2 is paired with $url and has the sample school"

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  "${sync[@]}" run 2>"$work/door-2-sync.log" &
  pids+=($!)
  "${kiosk[@]}" run --db "$work/door-2.db" --demo --at "$AT" "$@"
  "${sync[@]}" once >/dev/null || true
  exit 0
fi

apt_need xvfb xauth
shots="$ROOT/.artifacts/demo"
rm -rf "$shots"
say "no display: playing kiosk/ui/demo.script at door-2 under Xvfb"
xvfb-run -a -s "-screen 0 1024x600x24" \
  "${kiosk[@]}" run --db "$work/door-2.db" --demo --script "$ROOT/kiosk/ui/demo.script" \
  --shots "$shots" --at "$AT" --size 800x480 "$@"
say "screenshots of door-2's lunchtime (NNN.png, and NNN.json with the texts on screen): $shots"
"${sync[@]}" once
say "door-2's lunchtime is on the server: see its events at ${url}events?kiosk=door-2"
if [ -t 0 ]; then
  say "the pages stay up until Ctrl-C"
  wait "${pids[0]}"
fi
