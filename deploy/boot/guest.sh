# The boot test's guest: a copy of the cached Debian root, booted with systemd-nspawn, and the
# commands that run inside it (through its PID 1's namespaces). Sourced by deploy/boot-test.sh.
# shellcheck shell=bash

GUEST_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
NSPAWN_PID=""    # the systemd-nspawn process this script started
GUEST_PID=""     # the guest's PID 1 (systemd), as the host sees it

# The directories the host's pip configuration names (find-links, file:// indexes): bound into
# the guest read-only at the same place, so its pip finds what the host's finds.
pip_local_dirs() {
  local f value
  for f in /etc/pip.conf /etc/xdg/pip/pip.conf /root/.config/pip/pip.conf /root/.pip/pip.conf; do
    [ -f "$f" ] || continue
    sed -n 's/^[[:space:]]*\(find-links\|index-url\|extra-index-url\)[[:space:]]*=//p' "$f" |
      tr -s ' \t' '\n'
  done | while read -r value; do
    value=${value#file://}
    case $value in /*) ;; *) continue ;; esac
    value=${value%/}
    [ "$(basename "$value")" = simple ] && value=$(dirname "$value")
    [ -d "$value" ] && echo "$value"
  done | sort -u
}

# guest_boot ROOT NAME [BIND...]: boot ROOT and wait until its systemd has finished starting up.
# BIND is an nspawn --bind/--bind-ro argument. The guest shares the host's network: it reaches
# the package registries exactly as the host does.
guest_boot() {
  local root=$1 name=$2 flags=() started dir
  shift 2
  GUEST_ROOT=$root GUEST_NAME=$name GUEST_BINDS=("$@")
  # Where the host runs no systemd, nspawn can neither register the machine nor make a scope
  # for it: it stays in this process's cgroup.
  [ -d /run/systemd/system ] || flags=(--register=no --keep-unit)
  for dir in $(pip_local_dirs); do flags+=("--bind-ro=$dir"); done
  started=$SECONDS
  setsid systemd-nspawn --boot --quiet -D "$root" -M "$name" --console=passive \
    "${flags[@]}" "$@" >>"$RUN/console.log" 2>&1 </dev/null &
  NSPAWN_PID=$!
  GUEST_PID=""
  while [ -z "$GUEST_PID" ]; do
    if ! kill -0 "$NSPAWN_PID" 2>/dev/null; then
      tail -n 20 "$RUN/console.log" >&2
      return 1
    fi
    [ $((SECONDS - started)) -lt 60 ] || return 1
    GUEST_PID=$(guest_pid1 "$NSPAWN_PID")
    [ -n "$GUEST_PID" ] || sleep 0.2
  done
  # `is-system-running --wait` needs the guest's D-Bus; retry until it is there.
  local state=""
  while [ $((SECONDS - started)) -lt 300 ]; do
    state=$(g systemctl is-system-running --wait 2>/dev/null) || true
    case $state in running|degraded) break ;; esac
    sleep 0.5
  done
  case $state in
    running) ;;
    degraded) note "booted degraded; failed units: $(g systemctl --failed --no-legend --plain | awk '{print $1}' | paste -sd' ')" ;;
    *) echo "the guest did not finish booting (state: ${state:-none})" >&2; return 1 ;;
  esac
}

# The child of nspawn whose pid in its own namespace is 1.
guest_pid1() {
  local child
  for child in $(pgrep -P "$1"); do
    [ "$(awk '/^NSpid:/ { print $NF }' "/proc/$child/status" 2>/dev/null)" = 1 ] && { echo "$child"; return; }
  done
}

# g CMD...: run CMD inside the guest as root, with a clean environment (nothing of the host's,
# such as its pip variables, leaks in: what the guest does comes from its own files).
g() {
  nsenter -t "$GUEST_PID" -a env -i PATH="$GUEST_PATH" HOME=/root LANG=C.UTF-8 TERM=dumb "$@"
}
gsh() { g bash -c "$1"; }

# guest_wait_exit SECONDS: wait for nspawn to end (after a poweroff or a reboot inside).
guest_wait_exit() {
  local deadline=$((SECONDS + $1))
  while kill -0 "$NSPAWN_PID" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
  wait "$NSPAWN_PID" 2>/dev/null || true
}

# guest_reboot: `systemctl reboot` inside ends nspawn; boot the same root again.
guest_reboot() {
  g systemctl reboot || true
  guest_wait_exit 120 || return 1
  guest_boot "$GUEST_ROOT" "$GUEST_NAME" "${GUEST_BINDS[@]}"
}

# guest_stop: power the guest off; the nspawn process this script started is killed if it will
# not end by itself.
guest_stop() {
  [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null || return 0
  g systemctl poweroff >/dev/null 2>&1 || true
  if ! guest_wait_exit 60; then
    kill -TERM "$NSPAWN_PID" 2>/dev/null || true
    guest_wait_exit 10 || kill -KILL "$NSPAWN_PID" 2>/dev/null || true
  fi
  NSPAWN_PID=""
}

# unit_prop UNIT PROPERTY: one property of a guest unit, e.g. MainPID.
unit_prop() { g systemctl show -P "$2" "$1"; }

# wait_until SECONDS CMD...: poll CMD (every half second) until it succeeds; 1 on time-out.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.5
  done
}

# The guest's journal: the lines of UNITs in this boot (a cursor limits them to after a mark).
journal_lines() {  # journal_lines N UNIT...
  local n=$1 args=() u
  shift
  for u in "$@"; do args+=(-u "$u"); done
  g journalctl -b --no-pager -o short-precise -n "$n" "${args[@]}" 2>/dev/null || true
}
# A mark in the guest's journal: its clock now (seconds, to the microsecond). journalctl's
# --after-cursor with a unit filter missed entries after the journal's files changed (journald
# restarted with new settings by the installer): times do not.
journal_cursor() { g date +%s.%6N; }
journal_since() {  # journal_since MARK UNIT...: the lines of UNITs from MARK on
  local mark=$1 args=() u
  shift
  for u in "$@"; do args+=(-u "$u"); done
  g journalctl --no-pager -o short-precise --since="@$mark" "${args[@]}" 2>/dev/null || true
}
