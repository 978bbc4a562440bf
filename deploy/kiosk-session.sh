#!/usr/bin/env bash
# Starts the kiosk's screen, run by library-kiosk.service as libexec/kiosk-session CONFIG.
# Picks the DRM card with a connected display, then runs `kiosk run --config CONFIG` straight on
# the console through SDL's KMS/DRM driver (KIOSK_DISPLAY=kms, the default) or inside the cage
# kiosk compositor (KIOSK_DISPLAY=cage). Card numbers are not stable: a Pi 5 has separate cards
# for the 3D core, HDMI and a DSI panel, numbered in the order the drivers happen to load.
#
# Environment (from /etc/library-kiosk/display.env):
#   KIOSK_DISPLAY         kms | cage
#   KIOSK_DRM_CONNECTOR   use the card with this connector, e.g. HDMI-A-1 or DSI-1, when several
#                         displays are connected (default: a DSI or DPI panel first, then HDMI)
#   KIOSK_SYSFS           where sysfs is (tests point it at a made-up tree; default /sys)
set -euo pipefail

say() { printf 'kiosk-session: %s\n' "$*" >&2; }

if [ $# -ne 1 ]; then
  say "usage: kiosk-session CONFIG"
  exit 2
fi
config=$1
release=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
kiosk="$release/venv/bin/kiosk"
sysfs=${KIOSK_SYSFS:-/sys}
display=${KIOSK_DISPLAY:-kms}

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

best=$(connected_displays | head -n 1)
if [ -z "$best" ]; then
  # systemd starts us again in a few seconds: a monitor switched on later is found then.
  say "no connected display in $sysfs/class/drm (is the screen plugged in and switched on?)"
  exit 1
fi
read -r _ card connector <<<"$best"
index=${card#card}

case $display in
  kms)
    say "drawing on $card ($connector) through KMS/DRM"
    export SDL_VIDEODRIVER=kmsdrm SDL_KMSDRM_DEVICE_INDEX="$index" KIVY_WINDOW=sdl2
    exec "$kiosk" run --config "$config"
    ;;
  cage)
    # wlroots takes the first card as the primary one and still needs the others (the 3D
    # core renders for a display-only card).
    devices="/dev/dri/$card"
    for other in "$sysfs"/class/drm/card[0-9]*; do
      other=$(basename "$other")
      case $other in *-*|"$card") continue ;; esac
      devices="$devices:/dev/dri/$other"
    done
    say "drawing on $card ($connector) inside cage"
    export WLR_DRM_DEVICES="$devices" SDL_VIDEODRIVER=wayland KIVY_WINDOW=sdl2
    exec cage -- "$kiosk" run --config "$config"
    ;;
  *)
    say "KIOSK_DISPLAY must be kms or cage, not '$display' (see /etc/library-kiosk/display.env)"
    exit 2
    ;;
esac
