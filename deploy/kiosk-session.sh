#!/usr/bin/env bash
# Starts the kiosk's screen, run by library-kiosk.service as libexec/kiosk-session CONFIG: finds
# the display, then becomes `kiosk run --config CONFIG` (exec: the app is the unit's main
# process, so systemd hears its READY=1 and its watchdog pings):
#   KIOSK_DISPLAY=kms (the default): straight on the console through SDL's KMS/DRM driver, on the
#     DRM card with a connected display. Card numbers are not stable: a Pi 5 has separate cards
#     for the 3D core, HDMI and a DSI panel, numbered in the order the drivers happen to load.
#   KIOSK_DISPLAY=x11: on the X display $DISPLAY through SDL's X11 driver: a Pi running a
#     desktop, or a virtual display (Xvfb) standing in for the panel.
# With no display the app starts all the same, in its no-screen mode (KIOSK_NO_SCREEN says why):
# up for systemd, said once in the journal, recorded for `kiosk doctor` and the heartbeat, and
# `kiosk-session --probe` asked again every minute (kiosk/ui/no_screen.py).
#
# Environment (from /etc/library-kiosk/display.env):
#   KIOSK_DISPLAY         kms | x11
#   KIOSK_DRM_CONNECTOR   kms: the card with this connector, e.g. HDMI-A-1 or DSI-1, when several
#                         displays are connected (default: a DSI or DPI panel first, then HDMI)
#   DISPLAY               x11: the X display (default :0)
#   KIOSK_SYSFS           where sysfs is (tests point it at a made-up tree; default /sys)
#   KIOSK_PROCFS          where procfs is (ditto; default /proc)
#
# kiosk-session --probe: prints where the app would draw and exits 0, or prints why it cannot
# and exits 1.
set -euo pipefail

say() { printf 'kiosk-session: %s\n' "$*" >&2; }

probe=0
if [ "${1:-}" = --probe ] && [ $# -eq 1 ]; then
  probe=1
elif [ $# -ne 1 ]; then
  say "usage: kiosk-session CONFIG, or kiosk-session --probe"
  exit 2
fi
config=$1
self=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
release=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
kiosk="$release/venv/bin/kiosk"
sysfs=${KIOSK_SYSFS:-/sys}
procfs=${KIOSK_PROCFS:-/proc}
mode=${KIOSK_DISPLAY:-kms}

# connected_displays: "RANK CARD CONNECTOR" for every connected connector, best first.
connected_displays() {
  local status name card connector rank
  for status in "$sysfs"/class/drm/card[0-9]*-*/status; do
    [ -r "$status" ] || continue
    [ "$(cat "$status")" = connected ] || continue
    name=$(basename "$(dirname "$status")")   # card1-DSI-1
    card=${name%%-*}                          # card1
    connector=${name#*-}                      # DSI-1
    case $connector in
      "${KIOSK_DRM_CONNECTOR:-}") rank=0 ;;
      DSI-*|DPI-*) rank=1 ;;                  # a panel built into the kiosk
      *) rank=2 ;;
    esac
    printf '%s %s %s\n' "$rank" "$card" "$connector"
  done | sort -k1,1n -k2,2V
}

# x_server_listening DISPLAY: a local X server of that display listens. Its socket is
# /tmp/.X11-unix/XN, and on Linux the abstract socket of the same name too: the one the unit
# reaches (it has a /tmp of its own). A remote display (host:N) cannot be seen from here.
x_server_listening() {
  local host=${1%%:*} number=${1#*:}
  number=${number%%.*}
  case $host in ""|unix) ;; *) return 0 ;; esac
  grep -Eq "(^| )@?/tmp/\.X11-unix/X$number\$" "$procfs/net/unix" 2>/dev/null
}

missing=""
case $mode in
  kms)
    best=$(connected_displays | head -n 1)
    if [ -z "$best" ]; then
      missing="no connected display in $sysfs/class/drm (is the screen plugged in and switched on?)"
    else
      read -r _ card connector <<<"$best"
      where="$card ($connector) through KMS/DRM"
      export SDL_VIDEODRIVER=kmsdrm SDL_KMSDRM_DEVICE_INDEX="${card#card}" KIVY_WINDOW=sdl2
    fi
    ;;
  x11)
    export DISPLAY=${DISPLAY:-:0}
    if ! x_server_listening "$DISPLAY"; then
      missing="no X server answers on DISPLAY=$DISPLAY (is the desktop, or Xvfb, running?)"
    else
      where="the X display $DISPLAY"
      export SDL_VIDEODRIVER=x11 KIVY_WINDOW=sdl2
    fi
    ;;
  *)
    say "KIOSK_DISPLAY must be kms or x11, not '$mode' (see /etc/library-kiosk/display.env)"
    exit 2
    ;;
esac

if [ $probe = 1 ]; then
  if [ -n "$missing" ]; then echo "$missing"; exit 1; fi
  echo "$where"
  exit 0
fi
# The app asks this script (--probe) when it waits for a display: none found here, or one on
# which no window opens.
export KIOSK_SESSION="$self"
if [ -n "$missing" ]; then
  # The app says it, once; systemd keeps it, instead of starting this script every 3 s.
  export KIOSK_NO_SCREEN="$missing"
  exec "$kiosk" run --config "$config"
fi
say "drawing on $where"
exec "$kiosk" run --config "$config"
