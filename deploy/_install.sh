# Shared by deploy/install-kiosk.sh and deploy/install-server.sh (sourced, not run): saying what
# each step does, stopping with the reason on a failure, laying files under --root, and the
# versioned releases under /opt/APP (releases/ID, `current` and `previous` links).
# shellcheck shell=bash disable=SC2034  # CHANGED is read by the scripts that source this file

ROOT=""          # --root DIR: everything lands under DIR and nothing needing a booted system runs
PYTHON=/usr/bin/python3   # Debian's own Python: the one every release's virtualenv is made from
# The project's extras each machine installs (deploy/wheelhouse.sh builds wheels for both): the
# Pi runs the scanners, the touchscreen (Kivy) and the sync worker; the server its own stack.
KIOSK_EXTRAS=scanners,ui,sync
SERVER_EXTRAS=server
PIP_SOURCE=()    # --wheelhouse DIR: install offline from the wheels there
STEP="starting"
HINT=""          # what to do when the current step fails (set by `hint`, reset by `step`)
CHANGED=0        # set to 1 by every helper below that changes something
PENDING=""       # the file of restarts still owed (set by each script: see after_change)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
trap 'on_error $? $LINENO "$BASH_COMMAND"' ERR

# Every step says what it does; every change it makes is one indented line under it.
step() { STEP=$*; HINT=""; printf '==> %s\n' "$*"; }
hint() { HINT=$*; }
did() { printf '    %s\n' "$*"; }
fail() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 1; }
# A failed command: which step, what failed, and what to do. What was done before it stays done,
# and every step checks before it changes anything, so the same command, run again once the
# cause is fixed, picks up where this run stopped and ends as a clean run would.
# Said once: a command failing inside $(...) fails the line that runs it too, and the first
# failure is the one that says what went wrong.
on_error() {
  if [ ! -e "$WORK/failed" ]; then
    : >"$WORK/failed"
    printf '%s: failed while %s: "%s" exited with status %s (line %s); nothing after it was done\n' \
      "$PROG" "$STEP" "$3" "$1" "$2" >&2
    printf '%s: what to do: %s; then run the same command again (what was done is kept, the rest is done then)\n' \
      "$PROG" "${HINT:-the lines above say what went wrong: fix that}" >&2
  fi
  exit 1
}

at() { printf '%s%s' "$ROOT" "$1"; }        # a system path, under --root when given
booted() { [ -z "$ROOT" ] && [ -d /run/systemd/system ]; }

need_root() {
  [ "$(id -u)" -eq 0 ] || fail "run me as root (sudo $PROG ...): I write /etc, /opt and /var/lib"
}

set_root() {
  [ -d "$1" ] || fail "--root $1: no such directory"
  ROOT=$(cd "$1" && pwd)
  [ "$ROOT" = / ] && ROOT=""
  return 0
}

use_wheelhouse() {
  [ -d "$1" ] || fail "--wheelhouse $1: no such directory"
  PIP_SOURCE=(--no-index --find-links "$(cd "$1" && pwd)")
}

# apt_install WHO PACKAGE...: the Debian packages that are not installed yet (none under --root).
apt_install() {
  local who=$1 missing=() p
  shift
  if [ -n "$ROOT" ]; then
    step "Debian packages: none under --root (on the $who: $*)"
    return 0
  fi
  step "installing the Debian packages the $who needs"
  hint "check the network and apt's sources (sudo apt-get update says which one fails), or install $* yourself"
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    did "installed ${missing[*]}"
  fi
}

# --- users, owners, files --------------------------------------------------------------------

# The ids come from the files under the root, so --root works for users the machine lacks.
uid_of() { awk -F: -v n="$1" '$1 == n { print $3; exit }' "$(at /etc/passwd)"; }
gid_of() { awk -F: -v n="$1" '$1 == n { print $3; exit }' "$(at /etc/group)"; }

# ensure_users NAME CONF: the system user and groups in CONF (a sysusers.d file), kept in
# /etc/sysusers.d so systemd re-creates them if /etc/passwd loses them.
ensure_users() {
  local name=$1 conf=$2 uid
  uid=$(uid_of "$name")
  if [ -n "$uid" ] && [ "$uid" -ge 1000 ]; then
    fail "a person's account named '$name' exists (uid $uid); I need that name for a system user: rename the account first"
  fi
  ensure_file 644 root root "$conf" "/etc/sysusers.d/$(basename "$conf")"
  if [ -z "$uid" ]; then
    systemd-sysusers ${ROOT:+--root="$ROOT"} "$(at "/etc/sysusers.d/$(basename "$conf")")" 2>&1 |
      sed 's/^/    /'
  else
    systemd-sysusers ${ROOT:+--root="$ROOT"} "$(at "/etc/sysusers.d/$(basename "$conf")")" >/dev/null
  fi
  [ -n "$(uid_of "$name")" ] || fail "systemd-sysusers did not create the user $name"
}

remove_user() {
  local name=$1
  if [ -n "$(uid_of "$name")" ]; then
    if booted; then
      loginctl terminate-user "$name" 2>/dev/null || true
      userdel "$name"
    else
      userdel --prefix "$ROOT" "$name"
    fi
    did "removed the user $name"
  fi
  if [ -n "$(gid_of "$name")" ]; then
    if booted; then groupdel "$name"; else groupdel --prefix "$ROOT" "$name"; fi
    did "removed the group $name"
  fi
}

_meta() { stat -c '%a %u %g' "$1"; }

# ensure_dir MODE USER GROUP PATH: a directory with this owner and mode (MODE as stat prints it:
# 750, not 0750).
ensure_dir() {
  local mode=$1 uid gid path
  uid=$(uid_of "$2"); gid=$(gid_of "$3"); path=$(at "$4")
  if [ -z "$uid" ] || [ -z "$gid" ]; then fail "no user $2 or group $3 under ${ROOT:-/}"; fi
  if [ ! -d "$path" ]; then
    install -d -m "$mode" -o "$uid" -g "$gid" "$path"
    did "created $4"; CHANGED=1
  elif [ "$(_meta "$path")" != "$mode $uid $gid" ]; then
    chmod "$mode" "$path"; chown "$uid:$gid" "$path"
    did "set owner $2:$3 and mode $mode on $4"; CHANGED=1
  fi
}

# ensure_file MODE USER GROUP SOURCE PATH: PATH holds SOURCE's bytes, with this owner and mode.
# An unchanged file is not rewritten, so a second run leaves every file as it was.
ensure_file() {
  local mode=$1 uid gid src=$4 path
  uid=$(uid_of "$2"); gid=$(gid_of "$3"); path=$(at "$5")
  if [ -z "$uid" ] || [ -z "$gid" ]; then fail "no user $2 or group $3 under ${ROOT:-/}"; fi
  if [ ! -f "$path" ] || ! cmp -s "$src" "$path"; then
    install -D -m "$mode" -o "$uid" -g "$gid" "$src" "$path"
    did "wrote $5"; CHANGED=1
  elif [ "$(_meta "$path")" != "$mode $uid $gid" ]; then
    chmod "$mode" "$path"; chown "$uid:$gid" "$path"
    did "set owner $2:$3 and mode $mode on $5"; CHANGED=1
  fi
}

# ensure_link TARGET PATH: PATH is a symbolic link to TARGET (relative targets stay relative).
ensure_link() {
  local path
  path=$(at "$2")
  if [ "$(readlink "$path" 2>/dev/null)" != "$1" ]; then
    ln -sfn "$1" "$path.new" && mv -T "$path.new" "$path"
    did "linked $2 -> $1"; CHANGED=1
  fi
}

remove() {
  local p
  for p in "$@"; do
    if [ -e "$(at "$p")" ] || [ -L "$(at "$p")" ]; then
      rm -rf "$(at "$p")"
      did "removed $p"; CHANGED=1
    fi
  done
}

# --- systemd ---------------------------------------------------------------------------------

units() { systemctl ${ROOT:+--root="$ROOT"} "$@"; }

# enable_unit UNIT: enabled, so it starts at every boot.
enable_unit() {
  if [ "$(units is-enabled "$1" 2>/dev/null)" != enabled ]; then
    units enable --quiet "$1"
    did "enabled $1"
  fi
}

# disable_unit UNIT: stopped, whatever it is doing (running, or waiting to be restarted after a
# failure: is-active says "activating" then, and the restarts go on unless it is stopped), then
# disabled and its file removed.
disable_unit() {
  local state
  if booted; then
    state=$(systemctl show --property=ActiveState --value "$1" 2>/dev/null || true)
    case $state in
      ""|inactive) ;;
      failed) systemctl reset-failed "$1" ;;
      *) systemctl stop "$1"; did "stopped $1 (it was $state)" ;;
    esac
  fi
  if [ -e "$(at "/etc/systemd/system/$1")" ]; then
    units disable --quiet "$1" 2>/dev/null || true
    remove "/etc/systemd/system/$1"
  fi
}

# --- what a change needs: kept until it is done ----------------------------------------------
# A run that changes nothing restarts nothing. A step that changes what a running program reads
# records, in $PENDING, what must follow: `daemon-reload` (a unit file changed), `udev` (the
# rules changed), or a unit to restart if it runs. A run stopped by a failure after the change
# leaves the record, and the next run does what it owes. (Under --root it is only said.)

# after_change WHY WHAT...: if the ensure_* calls since CHANGED was last cleared changed
# something, WHAT is owed, because WHY.
after_change() {
  local why=$1 what
  shift
  if [ "$CHANGED" = 1 ]; then
    mkdir -p "$(dirname "$(at "$PENDING")")"
    for what in "$@"; do printf '%s\t%s\n' "$what" "$why" >>"$(at "$PENDING")"; done
  fi
  CHANGED=0
}

# owed WHAT: is WHAT recorded? owed_why WHAT: the reasons, joined.
owed() { [ -f "$(at "$PENDING")" ] && cut -f1 "$(at "$PENDING")" | grep -qxF -- "$1"; }
owed_why() { awk -F'\t' -v w="$1" '$1 == w && !seen[$2]++ { printf "%s%s", (n++ ? "; " : ""), $2 }' "$(at "$PENDING")"; }

# apply_changes: daemon-reload, udev, then each owed unit that runs is restarted; then the
# record goes.
apply_changes() {
  local file unit owed_units=()
  file=$(at "$PENDING")
  [ -f "$file" ] || return 0
  mapfile -t owed_units < <(cut -f1 "$file" | grep -v -x -e daemon-reload -e udev | awk '!seen[$0]++')
  if [ -n "$ROOT" ]; then
    did "nothing is restarted under --root (on the booted system: $(cut -f1 "$file" | awk '!seen[$0]++' | paste -sd' '))"
    rm -f "$file"
    return 0
  fi
  if owed daemon-reload; then systemctl daemon-reload; did "systemd re-read the units ($(owed_why daemon-reload))"; fi
  if owed udev; then reload_udev; fi
  for unit in "${owed_units[@]}"; do
    if systemctl is-active --quiet "$unit"; then
      systemctl restart "$unit"
      did "restarted $unit: $(owed_why "$unit")"
    fi
  done
  rm -f "$file"
}

# reload_udev: the changed rules applied to the devices plugged in now. Where udev does not run
# (a container has no writable /sys and no udevd) that is said, and the rules apply at the next
# boot of a real machine: nothing else depends on it.
reload_udev() {
  if udevadm control --reload 2>"$WORK/udev.err" &&
     udevadm trigger --action=change --subsystem-match=input --subsystem-match=tty 2>>"$WORK/udev.err"; then
    did "udev re-read its rules and applied them to the devices plugged in"
  else
    did "udev is not running here ($(head -n 1 "$WORK/udev.err")): the rules apply from the next boot"
  fi
}

# --- releases --------------------------------------------------------------------------------
# /opt/APP/releases/ID holds one version: venv/ (the virtualenv), libexec/, share/ and RELEASE
# (written last: a release without it is half-built and is built again). ID is the project's
# version and a digest of everything in it, so the same checkout always gives the same ID and a
# second run builds nothing. `current` is what the units run; `previous` is what --rollback
# returns to. Only those two are kept.

# stage_release SRC [FROM:TO ...]: copy the project's source and the release's own files into
# $WORK/stage and set RELEASE_ID.
stage_release() {
  local src=$1 pair version digest
  shift
  mkdir -p "$WORK/stage/src"
  # Only what the wheel is built from: a stale build/ or a cache cannot leak into a release.
  # shellcheck disable=SC2046
  tar -C "$src" --exclude=__pycache__ --exclude='*.pyc' -cf - pyproject.toml README.md \
    $(cd "$src" && "$PYTHON" -c '
import pathlib, tomllib
find = tomllib.loads(pathlib.Path("pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
print(" ".join(sorted({p.rstrip("*") for p in find["include"]} & {d.name for d in pathlib.Path().iterdir() if d.is_dir()})))
') | tar -C "$WORK/stage/src" -xf -
  for pair in "$@"; do
    install -D -m "$([ -x "$src/${pair%%:*}" ] && echo 755 || echo 644)" \
      "$src/${pair%%:*}" "$WORK/stage/${pair#*:}"
  done
  version=$("$PYTHON" -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' \
    "$src/pyproject.toml")
  digest=$(cd "$WORK/stage" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum |
    sha256sum | cut -c1-12)
  RELEASE_ID="$version-$digest"
}

# build_release APP EXTRAS: /opt/APP/releases/$RELEASE_ID, unless it is there already.
build_release() {
  local app=$1 extras=$2 rel wheel wheels
  rel="/opt/$app/releases/$RELEASE_ID"
  if [ -f "$(at "$rel/RELEASE")" ]; then
    did "release $RELEASE_ID is already built"
    return 0
  fi
  hint "pip fetches the dependencies from PyPI: check the network, or build wheels with deploy/wheelhouse.sh on a machine of this kind that has it and give --wheelhouse DIR; check that /opt has room (df -h /opt)"
  rm -rf "$(at "$rel")"
  mkdir -p "$(at "$rel")"
  # pip lives in a throw-away build environment, not in the release.
  "$PYTHON" -m venv "$WORK/build"
  "$WORK/build/bin/pip" wheel -q --no-deps "${PIP_SOURCE[@]}" -w "$WORK/dist" "$WORK/stage/src"
  wheels=("$WORK"/dist/*.whl)
  wheel=${wheels[0]}
  "$PYTHON" -m venv --without-pip "$(at "$rel/venv")"
  "$WORK/build/bin/pip" --python "$(at "$rel/venv/bin/python")" install -q "${PIP_SOURCE[@]}" \
    "$wheel${extras:+[$extras]}"
  (cd "$WORK/stage" && find . -mindepth 1 -maxdepth 1 ! -name src -exec cp -a {} "$(at "$rel")/" \;)
  printf 'release %s\nbuilt from %s\n' "$RELEASE_ID" "$(basename "$wheel")" >"$(at "$rel/RELEASE")"
  chmod -R go-w "$(at "$rel")"
  did "built release $RELEASE_ID in $rel"
}

# activate_release APP ID: `current` -> ID; the release it pointed at becomes `previous`; any
# older release is deleted.
activate_release() {
  local app=$1 id=$2 old keep dir
  old=$(readlink "$(at "/opt/$app/current")" 2>/dev/null || true)
  if [ "$old" != "releases/$id" ]; then
    [ -n "$old" ] && ensure_link "$old" "/opt/$app/previous"
    ensure_link "releases/$id" "/opt/$app/current"
  fi
  keep=" $(readlink "$(at "/opt/$app/current")") $(readlink "$(at "/opt/$app/previous")" 2>/dev/null || true) "
  for dir in "$(at "/opt/$app/releases")"/*; do
    [ -d "$dir" ] || continue
    case $keep in
      *" releases/$(basename "$dir") "*) ;;
      *) rm -rf "$dir"; did "deleted the old release $(basename "$dir")" ;;
    esac
  done
}

# rollback_release APP: swap `current` and `previous` (a second --rollback goes forward again).
rollback_release() {
  local app=$1 cur prev
  cur=$(readlink "$(at "/opt/$app/current")" 2>/dev/null || true)
  prev=$(readlink "$(at "/opt/$app/previous")" 2>/dev/null || true)
  [ -n "$cur" ] || fail "nothing is installed under /opt/$app"
  if [ -z "$prev" ] || [ ! -f "$(at "/opt/$app/$prev/RELEASE")" ]; then
    fail "no previous release to return to under /opt/$app (one is kept only after an upgrade)"
  fi
  ensure_link "$prev" "/opt/$app/current"
  ensure_link "$cur" "/opt/$app/previous"
}

current_release() { at "/opt/$1/$(readlink "$(at "/opt/$1/current")")"; }

# run_as USER CMD...: CMD as the system user (on the booted system, where the user exists).
run_as() {
  local user=$1
  shift
  (umask 027 && runuser -u "$user" -- "$@")
}
