#!/usr/bin/env bash
# Turns a fresh Raspberry Pi OS Lite (Bookworm) into a library kiosk, or upgrades one: run it
# again from a newer checkout. Idempotent: a second run changes nothing. See deploy/README.md.
set -Eeuo pipefail

PROG=install-kiosk.sh
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=deploy/_install.sh
. "$SRC/deploy/_install.sh"

APP=library-kiosk
USER_NAME=kiosk
OPT=/opt/$APP
ETC=/etc/$APP
DATA=/var/lib/$APP
UDEV_RULES=/etc/udev/rules.d/70-library-readers.rules
UNITS=(library-kiosk.service library-kiosk-sync.service)
SCREEN=library-kiosk.service SYNC=library-kiosk-sync.service
# fonts-noto-cjk: without a CJK font every Chinese character is a box. Mesa and libmtdev: SDL's
# KMS/DRM display and the touchscreen. libasound2: the sounds (the SDL inside Kivy's wheel opens
# ALSA's library when it starts its audio; without it the kiosk is silent). udev: the scanners'
# rules. espeak-ng: the spoken answers' names and titles, and what a school's voice pack lacks
# ([voice], docs/voice.md). gcc, python3-dev, linux-libc-dev: evdev builds from source.
PACKAGES=(python3-venv fonts-noto-cjk libgl1-mesa-dri libegl1 libgles2 libgbm1 libmtdev1
  libasound2 udev espeak-ng gcc python3-dev linux-libc-dev)
# KIOSK_DISPLAY=x11: SDL's X11 driver opens libX11 and libXext, and draws through GLX (libgl1).
X11_PACKAGES=(libx11-6 libxext6 libgl1)
PENDING=$OPT/state/restart-pending
RELEASE_FILES=(
  deploy/kiosk-session.sh:libexec/kiosk-session
  systemd/library-kiosk.service:share/systemd/library-kiosk.service
  systemd/library-kiosk-sync.service:share/systemd/library-kiosk-sync.service
  systemd/journald.conf.d/library-kiosk.conf:share/systemd/journald.conf.d/library-kiosk.conf
  systemd/logind.conf.d/library-kiosk.conf:share/systemd/logind.conf.d/library-kiosk.conf
  systemd/system.conf.d/library-kiosk.conf:share/systemd/system.conf.d/library-kiosk.conf
  deploy/udev/70-library-readers.rules:share/udev/70-library-readers.rules
  kiosk/kiosk.toml:share/kiosk.example.toml
  deploy/README.md:share/doc/README.md
)
# The kernel command line: no console blanking, no blinking cursor on the kiosk's screen.
CMDLINE_TOKENS=(consoleblank=0 vt.global_cursor_default=0)

usage() {
  cat <<EOF
usage: $PROG [--kiosk-id ID] [--server URL] [--token-file FILE] [--ca-file FILE]
             [--display kms|x11] [--wheelhouse DIR] [--root DIR]
       $PROG --rollback [--root DIR]
       $PROG --uninstall [--root DIR]

Installs (or upgrades to) the kiosk in this checkout: Debian packages, the kiosk user, a release
under $OPT, $ETC/kiosk.toml (made once, never overwritten), data in $DATA, udev rules, the
console set up for a kiosk, and the services enabled. Reboot afterwards to start the kiosk.

  --kiosk-id ID      this kiosk's name (default: the host name); used when kiosk.toml is made
  --server URL       the school's server, e.g. https://library.school.example:8443 (ditto)
  --token-file FILE  the kiosk's token from \`kiosk-server add-kiosk ID\`: copied to $ETC/sync-token
  --ca-file FILE     the CA certificate the server's certificate is signed by: $ETC/server-ca.pem
  --display MODE     kms (the app straight on the console, default) or x11 (on the X display
                     of a Pi running a desktop, or a virtual one such as Xvfb)
  --wheelhouse DIR   install offline, from wheels built with deploy/wheelhouse.sh
  --root DIR         lay everything under DIR and run nothing that needs the booted system
  --rollback         return to the release before the last upgrade
  --uninstall        remove everything but the data in $DATA
EOF
}

ACTION=install KIOSK_ID="" SERVER="" TOKEN_FILE="" CA_FILE="" DISPLAY_MODE=""
while [ $# -gt 0 ]; do
  case $1 in
    --kiosk-id) KIOSK_ID=${2:?--kiosk-id needs a name}; shift ;;
    --server) SERVER=${2:?--server needs a URL}; shift ;;
    --token-file) TOKEN_FILE=${2:?--token-file needs a file}; shift ;;
    --ca-file) CA_FILE=${2:?--ca-file needs a file}; shift ;;
    --display) DISPLAY_MODE=${2:?--display needs kms or x11}; shift ;;
    --wheelhouse) use_wheelhouse "${2:?--wheelhouse needs a directory}"; shift ;;
    --root) set_root "${2:?--root needs a directory}"; shift ;;
    --rollback) ACTION=rollback ;;
    --uninstall) ACTION=uninstall ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; fail "unknown argument: $1" ;;
  esac
  shift
done

check_arguments() {
  case $DISPLAY_MODE in
    ""|kms|x11) ;;
    cage) fail "--display cage is gone: it could never show the app (deploy/README.md, \"The display\"); use kms, or x11 on a Pi running a desktop" ;;
    *) fail "--display must be kms or x11, not '$DISPLAY_MODE'" ;;
  esac
  if [ -n "$KIOSK_ID" ] && ! [[ $KIOSK_ID =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ ]]; then
    fail "--kiosk-id '$KIOSK_ID': use letters, digits, '.', '_' or '-' (at most 64), e.g. door-1"
  fi
  if [ -n "$SERVER" ] && ! [[ $SERVER =~ ^https://[^/[:space:]]+(/[^[:space:]]*)?$ ]]; then
    fail "--server '$SERVER': the server's address starts with https://, e.g. https://library.school.example:8443"
  fi
  if [ -n "$TOKEN_FILE" ]; then
    [ -r "$TOKEN_FILE" ] || fail "--token-file $TOKEN_FILE: cannot read it"
    if [ "$(wc -l <"$TOKEN_FILE")" -gt 1 ] || [ -z "$(tr -d '[:space:]' <"$TOKEN_FILE")" ]; then
      fail "--token-file $TOKEN_FILE: expected the one-line token kiosk-server add-kiosk printed"
    fi
  fi
  if [ -n "$CA_FILE" ]; then
    grep -q -- '-----BEGIN CERTIFICATE-----' "$CA_FILE" 2>/dev/null ||
      fail "--ca-file $CA_FILE: not a PEM certificate (it should contain BEGIN CERTIFICATE)"
  fi
}

# --- the configuration file: the one place that knows kiosk.toml's keys --------------------------
# The example is the kiosk's own shipped defaults (kiosk/kiosk.toml, every key explained), with
# this kiosk's id, its server and the school's CA file set.
make_config() {  # make_config EXAMPLE OUT
  local id=$KIOSK_ID
  if [ -z "$id" ]; then
    id=$(tr -d '[:space:]' <"$(at /etc/hostname)" 2>/dev/null || true)
    [[ $id =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ ]] ||
      fail "no usable host name for the kiosk id: give one with --kiosk-id, e.g. --kiosk-id door-1"
  fi
  sed -e "s|^id = \"[^\"]*\"|id = \"$id\"|" -e "s|^server = \"[^\"]*\"|server = \"$SERVER\"|" \
    -e "s|^ca_file = \"[^\"]*\"|ca_file = \"$ETC/server-ca.pem\"|" "$1" >"$2"
}
config_value() {  # config_value KEY: a string of the installed kiosk.toml's [kiosk] table
  hint "correct $ETC/kiosk.toml (kiosk doctor --config $ETC/kiosk.toml names the line)"
  "$PYTHON" -c '
import sys, tomllib
try:
    with open(sys.argv[1], "rb") as f:
        print(tomllib.load(f)["kiosk"][sys.argv[2]])
except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as e:
    sys.exit(f"{sys.argv[3]}: [kiosk] {sys.argv[2]} cannot be read: {e!r}")
' "$(at "$ETC/kiosk.toml")" "$1" "$ETC/kiosk.toml"
}

# --- steps ---------------------------------------------------------------------------------------
packages() {
  if [ "$DISPLAY_MODE" = x11 ] ||
     { [ -z "$DISPLAY_MODE" ] && grep -qx 'KIOSK_DISPLAY=x11' "$(at "$ETC/display.env")" 2>/dev/null; }; then
    PACKAGES+=("${X11_PACKAGES[@]}")
  fi
  apt_install Pi "${PACKAGES[@]}"
}

release() {
  step "building the release in $OPT from $SRC"
  stage_release "$SRC" "${RELEASE_FILES[@]}"
  build_release "$APP" "$KIOSK_EXTRAS"
  CHANGED=0
  activate_release "$APP" "$RELEASE_ID"
  after_change "release $RELEASE_ID is current" "${UNITS[@]}"
}

# The files the release ships into /etc; --rollback lays down the older release's copies.
system_files() {
  local rel
  rel=$(current_release "$APP")
  step "installing the services and system settings of release $(basename "$rel")"
  for unit in "${UNITS[@]}"; do
    CHANGED=0
    ensure_file 644 root root "$rel/share/systemd/$unit" "/etc/systemd/system/$unit"
    after_change "$unit changed" daemon-reload "$unit"
  done
  CHANGED=0
  ensure_file 644 root root "$rel/share/systemd/journald.conf.d/library-kiosk.conf" \
    /etc/systemd/journald.conf.d/library-kiosk.conf
  after_change "its settings changed" systemd-journald.service
  # logind's (no spare consoles) and the manager's (Ctrl+Alt+Del) take effect at the next boot:
  # restarting logind here could end the sessions of whoever is logged in.
  ensure_file 644 root root "$rel/share/systemd/logind.conf.d/library-kiosk.conf" \
    /etc/systemd/logind.conf.d/library-kiosk.conf
  ensure_file 644 root root "$rel/share/systemd/system.conf.d/library-kiosk.conf" \
    /etc/systemd/system.conf.d/library-kiosk.conf
  CHANGED=0
  udev_rules "$rel/share/udev/70-library-readers.rules"
  after_change "the scanners' rules changed" udev
  # `kiosk doctor --config ...` and `kiosk scanners list` on the Pi's command line.
  mkdir -p "$(at /usr/local/bin)"
  ensure_link "$OPT/current/venv/bin/kiosk" /usr/local/bin/kiosk
}

# The school edits the rules (its scanners' USB ids): like a conffile, a copy someone changed is
# kept; one still as shipped follows the release. $OPT/state remembers what was shipped.
udev_rules() {
  local shipped=$1 installed recorded sum
  installed=$(at "$UDEV_RULES")
  recorded=$(cat "$(at "$OPT/state/udev-rules.sha256")" 2>/dev/null || true)
  sum=$(sha256sum <"$shipped" | cut -d' ' -f1)
  if [ -f "$installed" ] && ! cmp -s "$shipped" "$installed" &&
     [ "$(sha256sum <"$installed" | cut -d' ' -f1)" != "$recorded" ]; then
    did "kept $UDEV_RULES: it was edited here (compare with $OPT/current/share/udev/)"
  else
    ensure_file 644 root root "$shipped" "$UDEV_RULES"
    printf '%s\n' "$sum" >"$WORK/udev.sha256"
    ensure_file 644 root root "$WORK/udev.sha256" "$OPT/state/udev-rules.sha256"
  fi
}

# boot_cmdline: the kernel command line's file, or nothing (not Raspberry Pi OS: no such file).
boot_cmdline() {
  local f
  for f in /boot/firmware/cmdline.txt /boot/cmdline.txt; do
    if [ -f "$(at "$f")" ]; then echo "$f"; break; fi
  done
}

console() {
  local cmdline line token word kept=() added=() replaced=()
  step "setting up the console: no screen blanking, no cursor, no Ctrl+Alt+Del, no spare consoles"
  cmdline=$(boot_cmdline)
  if [ -z "$cmdline" ]; then
    did "no /boot/firmware/cmdline.txt (not Raspberry Pi OS?): add ${CMDLINE_TOKENS[*]} to the kernel command line yourself if this machine has a screen"
  else
    read -r line <"$(at "$cmdline")" || true
    for word in $line; do
      for token in "${CMDLINE_TOKENS[@]}"; do
        if [ "${word%%=*}" = "${token%%=*}" ] && [ "$word" != "$token" ]; then
          replaced+=("$word"); continue 2
        fi
      done
      kept+=("$word")
    done
    for token in "${CMDLINE_TOKENS[@]}"; do
      [[ " ${kept[*]} " == *" $token "* ]] || { kept+=("$token"); added+=("$token"); }
    done
    if [ ${#added[@]} -gt 0 ]; then
      printf '%s\n' "${kept[*]}" >"$WORK/cmdline"
      cat "$(at "$cmdline")" >"$WORK/cmdline.old"
      cat "$WORK/cmdline" >"$(at "$cmdline")"   # in place: keeps the boot partition's owner and mode
      did "added ${added[*]} to $cmdline (from the next boot)"
      mkdir -p "$(at "$OPT/state")"
      printf '%s\n' "${added[@]}" >>"$(at "$OPT/state/cmdline-added")"
      [ ${#replaced[@]} -eq 0 ] || printf '%s\n' "${replaced[@]}" >>"$(at "$OPT/state/cmdline-replaced")"
    fi
  fi
  if [ "$(units is-enabled ctrl-alt-del.target 2>/dev/null)" != masked ]; then
    units mask --quiet ctrl-alt-del.target
    did "masked ctrl-alt-del.target"
  fi
  # getty@tty1 stays enabled: the kiosk replaces it (Conflicts=), and it comes back by itself
  # if the kiosk is uninstalled.
}

configuration() {
  local saved f name mode group
  step "configuration in $ETC"
  hint "$ETC must be a directory (ls -ld $ETC): move away whatever is there in its place"
  ensure_dir 750 root "$USER_NAME" "$ETC"
  CHANGED=0
  saved=$(at "$DATA/saved-config")
  if [ ! -f "$(at "$ETC/kiosk.toml")" ] && [ -d "$saved" ] && [ ! -L "$saved" ] &&
     [ "$(stat -c '%u %a' "$saved")" = "0 700" ]; then
    # What --uninstall kept: only root can have made a root-owned 0700 directory there.
    for f in kiosk.toml:640:$USER_NAME sync-token:640:$USER_NAME display.env:644:root \
      server-ca.pem:644:root; do
      IFS=: read -r name mode group <<<"$f"
      [ ! -f "$saved/$name" ] || ensure_file "$mode" root "$group" "$saved/$name" "$ETC/$name"
    done
    if [ -f "$saved/70-library-readers.rules" ]; then
      ensure_file 644 root root "$saved/70-library-readers.rules" "$UDEV_RULES"
    fi
    rm -rf "$saved"
    did "restored the configuration that --uninstall saved in $DATA/saved-config"
  fi
  after_change "the configuration was restored" "${UNITS[@]}" udev
  if [ ! -f "$(at "$ETC/kiosk.toml")" ]; then
    make_config "$(current_release "$APP")/share/kiosk.example.toml" "$WORK/kiosk.toml"
    ensure_file 640 root "$USER_NAME" "$WORK/kiosk.toml" "$ETC/kiosk.toml"
    after_change "kiosk.toml was made" "${UNITS[@]}"
  elif [ -n "$KIOSK_ID$SERVER" ]; then
    did "kept $ETC/kiosk.toml as it is (it is never overwritten): set [kiosk] id or [sync] server there"
  fi
  display_settings
  after_change "display.env changed" "$SCREEN"
  [ -z "$TOKEN_FILE" ] || ensure_file 640 root "$USER_NAME" "$TOKEN_FILE" "$ETC/sync-token"
  [ -z "$CA_FILE" ] || ensure_file 644 root root "$CA_FILE" "$ETC/server-ca.pem"
  after_change "the token or the CA file changed" "$SYNC"
}

# display.env: written with --display, or when there is none; a file of an older release that
# says cage (removed: it never showed the app) moves to kms. The connector and the X display
# someone set there are kept.
display_settings() {
  local mode=$DISPLAY_MODE file connector="" x_display=""
  file=$(at "$ETC/display.env")
  if [ -f "$file" ]; then
    connector=$(sed -n 's/^KIOSK_DRM_CONNECTOR=//p' "$file" | tail -n 1)
    x_display=$(sed -n 's/^DISPLAY=//p' "$file" | tail -n 1)
    if [ -z "$mode" ] && grep -qx 'KIOSK_DISPLAY=cage' "$file"; then
      mode=kms
      did "$ETC/display.env said KIOSK_DISPLAY=cage, which is gone (it never showed the app): kms now"
    fi
  fi
  [ -n "$mode" ] || [ ! -f "$file" ] || return 0
  mode=${mode:-kms}
  {
    echo "# How the kiosk's screen is drawn (deploy/README.md, \"The display\"), read by $SCREEN:"
    echo "# kms: straight on the console through KMS/DRM (a Pi with no desktop);"
    echo "# x11: on the X display DISPLAY (a Pi running a desktop, or a virtual one such as Xvfb)."
    echo "KIOSK_DISPLAY=$mode"
    echo "# kms, with two screens connected: the one to use."
    if [ -n "$connector" ]; then echo "KIOSK_DRM_CONNECTOR=$connector"; else echo "# KIOSK_DRM_CONNECTOR=HDMI-A-1"; fi
    echo "# x11: the X display."
    if [ -n "$x_display" ]; then echo "DISPLAY=$x_display"
    elif [ "$mode" = x11 ]; then echo "DISPLAY=:0"
    else echo "# DISPLAY=:0"
    fi
  } >"$WORK/display.env"
  ensure_file 644 root root "$WORK/display.env" "$ETC/display.env"
}

data() {
  local db
  step "data in $DATA"
  hint "$DATA must be a directory with room for the database (ls -ld $DATA; df -h /var/lib)"
  ensure_dir 750 "$USER_NAME" "$USER_NAME" "$DATA"
  db=$(config_value database)
  if [ ! -e "$(at "$db")" ] && [ ! -L "$(at "$db")" ]; then
    # As root, then handed over: this works under --root, where the kiosk user exists only in
    # DIR/etc/passwd. A new file in a new directory: nothing the kiosk user planted is followed.
    (umask 027 && "$(current_release "$APP")/venv/bin/kiosk" init --db "$(at "$db")" \
      --kiosk-id "$(config_value id)") | sed 's/^/    /'
  fi
  # After --uninstall and a new install the user's id can differ: the data follows the user.
  if [ -n "$(find "$(at "$DATA")" ! -user "$(uid_of "$USER_NAME")" -print -quit)" ]; then
    chown -R "$(uid_of "$USER_NAME"):$(gid_of "$USER_NAME")" "$(at "$DATA")"
    did "gave the files in $DATA to $USER_NAME"
  fi
}

# Only what this run (or one stopped by a failure) changed restarts: a run that changes nothing
# restarts nothing, so a child in mid-checkout is never cut off by it.
services() {
  step "enabling the services; restarting only what changed"
  hint "journalctl -xe says why systemd refused; the changes still owed are done by the next run"
  for unit in "${UNITS[@]}"; do enable_unit "$unit"; done
  apply_changes
  if booted && [ -f "$ETC/sync-token" ] && ! systemctl is-active --quiet "$SYNC"; then
    systemctl start "$SYNC"
    did "started $SYNC (paired: $ETC/sync-token is there)"
  fi
}

uninstall() {
  local cmdline line word keep saved dir
  step "stopping and removing the services"
  for unit in "${UNITS[@]}"; do disable_unit "$unit"; done
  if [ "$(units is-enabled ctrl-alt-del.target 2>/dev/null)" = masked ]; then
    units unmask --quiet ctrl-alt-del.target
    did "unmasked ctrl-alt-del.target"
  fi
  step "restoring the kernel command line"
  cmdline=$(boot_cmdline)
  if [ -n "$cmdline" ] && [ -f "$(at "$OPT/state/cmdline-added")" ]; then
    read -r line <"$(at "$cmdline")" || true
    keep=()
    for word in $line; do
      grep -qxF -- "$word" "$(at "$OPT/state/cmdline-added")" || keep+=("$word")
    done
    [ ! -f "$(at "$OPT/state/cmdline-replaced")" ] || mapfile -t -O "${#keep[@]}" keep <"$(at "$OPT/state/cmdline-replaced")"
    printf '%s\n' "${keep[*]}" >"$(at "$cmdline")"
    did "removed $(paste -sd' ' "$(at "$OPT/state/cmdline-added")") from $cmdline"
  fi
  step "saving the configuration in $DATA/saved-config (a new install restores it)"
  saved=$(at "$DATA/saved-config")
  if [ -d "$(at "$ETC")" ] && [ -d "$(at "$DATA")" ]; then
    rm -rf "$saved"
    install -d -m 700 -o 0 -g 0 "$saved"
    cp -p "$(at "$ETC")"/* "$saved/" 2>/dev/null || true
    if [ -f "$(at "$UDEV_RULES")" ] &&
       [ "$(sha256sum <"$(at "$UDEV_RULES")" | cut -d' ' -f1)" != "$(cat "$(at "$OPT/state/udev-rules.sha256")" 2>/dev/null)" ]; then
      cp -p "$(at "$UDEV_RULES")" "$saved/"
    fi
    did "saved $(cd "$saved" && echo *)"
  fi
  step "removing the release, the configuration and the system settings"
  remove "$ETC" "$OPT" "$UDEV_RULES" /usr/local/bin/kiosk /etc/systemd/journald.conf.d/library-kiosk.conf \
    /etc/systemd/logind.conf.d/library-kiosk.conf /etc/systemd/system.conf.d/library-kiosk.conf
  step "removing the user $USER_NAME"
  remove_user "$USER_NAME"
  remove /etc/sysusers.d/library-kiosk.conf
  for dir in /etc/systemd/journald.conf.d /etc/systemd/logind.conf.d /etc/systemd/system.conf.d \
    /etc/sysusers.d; do
    [ ! -d "$(at "$dir")" ] || rmdir --ignore-fail-on-non-empty "$(at "$dir")"
  done
  if booted; then
    systemctl daemon-reload
    reload_udev
    systemctl start getty@tty1.service   # the console login comes back on the screen
  fi
  step "done: the data is still in $DATA (delete it yourself to erase the kiosk's records)"
}

need_root
check_arguments
case $ACTION in
  install)
    packages
    step "the kiosk user and its groups"
    hint "systemd-sysusers could not make the user $USER_NAME: check /etc/passwd and /etc/group"
    ensure_users "$USER_NAME" "$SRC/systemd/sysusers.d/library-kiosk.conf"
    release
    system_files
    console
    configuration
    data
    services
    if booted && ! systemctl is-active --quiet library-kiosk.service; then
      step "done: release $RELEASE_ID is current; reboot to start the kiosk (sudo reboot)"
    else
      step "done: release $RELEASE_ID is current"
    fi
    ;;
  rollback)
    step "returning to the previous release"
    CHANGED=0
    rollback_release "$APP"
    after_change "release $(basename "$(current_release "$APP")") is current" "${UNITS[@]}"
    system_files
    services
    step "done: release $(basename "$(current_release "$APP")") is current"
    ;;
  uninstall)
    uninstall
    ;;
esac
