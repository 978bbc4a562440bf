#!/usr/bin/env bash
# The appliance booted for real (issue 15): a Debian 12 root made with debootstrap (cached), booted
# with systemd-nspawn --boot, and inside it the runbook (deploy/README.md) done step for step with
# the installers of this checkout, from a wheelhouse built for the guest's architecture:
#   1 install the server, then the kiosk; pair them (token, CA); both services active and the
#     worker's first sync in the journal; `kiosk doctor`
#   2 the screen unit on a virtual display (Xvfb, KIOSK_DISPLAY=x11): READY=1, watchdog pings
#   3 `kiosk scan` as the kiosk user; the events reach the server (the worker's push)
#   4 SIGKILL the app: systemd brings it back; SIGSTOP it: the watchdog restarts it
#   5 both installers again: nothing restarted, nothing changed
#   6 upgrade to a new commit (git pull), roll back, roll forward
#   7 reboot: the services come back, the journal was kept
#   8 uninstall both and install again: the configuration comes back
# Each step prints its result and time; the first failure stops the test (exit 1) with the
# guest's journal lines that explain it.
#
#   sudo deploy/boot-test.sh                        # amd64, every step
#   sudo deploy/boot-test.sh --steps 1-3            # a short form
#   sudo deploy/boot-test.sh --arch arm64           # the Pi's arm64 under qemu-user: steps 1 and 3
#   sudo deploy/boot-test.sh --keep                 # keep the guest's root afterwards
#
# Environment: BOOT_TEST_CACHE (default /var/cache/library-kiosk-boot-test: the Debian roots,
# the wheelhouses and the downloaded Debian packages, kept between runs), BOOT_TEST_WORK (where
# each run's copy goes, default /var/tmp). See docs/boot-test.md.
# shellcheck disable=SC2317  # the block below: shellcheck takes its functions for unreachable
set -Euo pipefail
# The whole script is one block, read before it runs: editing the file meanwhile cannot change a
# run under way.
{

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BOOT=$SRC/deploy/boot
CACHE=${BOOT_TEST_CACHE:-/var/cache/library-kiosk-boot-test}
export BOOT_TEST_CACHE=$CACHE
ARCH=amd64 STEPS="" KEEP=0
KIOSK_ID=door-1
SERVER_NAME=libsrv.test   # the server's name in its certificate; the guest's /etc/hosts has it
# Codes of the sample school data (kiosk/sample) that the server hands the kiosk: a teacher's
# card (teachers borrow outside the classes' windows) and a book.
CARD=T0001 BOOK=0001001

usage() {
  sed -n '2,/^# shellcheck/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
  case $1 in
    --arch) ARCH=${2:?--arch needs amd64 or arm64}; shift ;;
    --steps) STEPS=${2:?--steps needs a list such as 1-3 or 1,3}; shift ;;
    --keep) KEEP=1 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; echo "boot-test: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
case $ARCH in amd64|arm64) ;; *) echo "boot-test: --arch must be amd64 or arm64" >&2; exit 2 ;; esac
if [ -z "$STEPS" ]; then
  if [ "$ARCH" = amd64 ]; then STEPS=1-8; else STEPS=1,3; fi
fi
# "1-3,5" -> " 1 2 3 5 "
WANT=" "
IFS=, read -r -a parts <<<"$STEPS"
for part in "${parts[@]}"; do
  if [[ $part =~ ^([1-8])-([1-8])$ ]]; then
    for ((i = BASH_REMATCH[1]; i <= BASH_REMATCH[2]; i++)); do WANT+="$i "; done
  elif [[ $part =~ ^[1-8]$ ]]; then
    WANT+="$part "
  else
    echo "boot-test: --steps $STEPS: use step numbers 1 to 8, e.g. 1-3 or 1,3,5" >&2; exit 2
  fi
done
# Each step needs the ones before it that set up what it checks.
wants() { [[ $WANT == *" $1 "* ]]; }
for need in "2:1" "3:1" "4:2" "5:1" "6:1" "7:1" "8:1"; do
  if wants "${need%%:*}" && ! wants "${need#*:}"; then WANT+="${need#*:} "; fi
done
WANT=" $(tr ' ' '\n' <<<"$WANT" | sed '/^$/d' | sort -n | uniq | paste -sd' ') "
# Without step 2 the screen unit is never started: the later steps leave it out.
SERVICES=(library-server.service library-kiosk-sync.service)
if [[ $WANT == *" 2 "* ]]; then SERVICES+=(library-kiosk.service); fi

[ "$(id -u)" -eq 0 ] || { echo "boot-test: run me as root: debootstrap and systemd-nspawn need it" >&2; exit 2; }

T0=$SECONDS
clock() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(clock)" 'BEGIN { printf "%.1f", b - a }'; }
note() { printf '      %s\n' "$*"; }

# --- the host's tools ------------------------------------------------------------------------
need_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "boot-test: installing on this machine: ${missing[*]}"
  if ! DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
     ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    echo "boot-test: could not install ${missing[*]}" >&2; exit 1
  fi
}
need_packages debootstrap systemd-container util-linux git python3 procps
if [ "$ARCH" != "$(dpkg --print-architecture)" ]; then
  need_packages qemu-user-static binfmt-support
  handler=/proc/sys/fs/binfmt_misc/qemu-${ARCH/arm64/aarch64}
  if [ ! -e "$handler" ]; then
    [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc ||
      { echo "boot-test: cannot mount binfmt_misc: $ARCH binaries cannot run here" >&2; exit 1; }
    update-binfmts --enable "qemu-${ARCH/arm64/aarch64}" ||
      { echo "boot-test: update-binfmts --enable qemu-${ARCH/arm64/aarch64} failed" >&2; exit 1; }
  fi
  # The kernel must open the interpreter when the guest runs a binary ('F'): the guest's root has
  # no qemu of its own.
  grep -q '^flags:.*F' "$handler" ||
    { echo "boot-test: $handler lacks the F flag (qemu-user-static's binfmt sets it): cannot run $ARCH in a container" >&2; exit 1; }
fi

mkdir -p "$CACHE"
# One boot test per architecture at a time: the cached roots and packages are shared.
exec 9>"$CACHE/.lock-$ARCH"
flock -n 9 || { echo "boot-test: waiting for another boot test on $ARCH to finish"; flock 9; }

RUN=$(mktemp -d "${BOOT_TEST_WORK:-/var/tmp}/boot-test-$ARCH.XXXXXX")
chmod 755 "$RUN"
mkdir -p "$RUN/logs"
# shellcheck source=deploy/boot/guest.sh
. "$BOOT/guest.sh"

cleanup() {
  local status=$?
  guest_stop
  if [ "$KEEP" = 1 ] || { [ "$status" -ne 0 ] && [ "${BOOT_TEST_KEEP_FAILED:-0}" = 1 ]; }; then
    echo "boot-test: kept $RUN (the guest's root is $RUN/root; its logs in $RUN/logs)"
  else
    rm -rf "$RUN"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- what a failure prints -------------------------------------------------------------------
LAST_LOG=""        # the installer's (or command's) output the step ran last
STEP_UNITS=()      # the guest units whose journal explains this step's failure
STEP_NO="" STEP_TITLE="" STEP_T=""

die() {
  printf 'FAIL  %s  %s  (%s s)\n' "$STEP_NO" "$STEP_TITLE" "$(since "$STEP_T")"
  printf '      %s\n' "$@"
  if [ -n "$LAST_LOG" ] && [ -s "$LAST_LOG" ]; then
    echo "      --- the last 25 lines of $(basename "$LAST_LOG" .log):"
    tail -n 25 "$LAST_LOG" | sed 's/^/      | /'
  fi
  if [ -n "$GUEST_PID" ] && kill -0 "$GUEST_PID" 2>/dev/null; then
    local unit
    for unit in "${STEP_UNITS[@]}"; do
      echo "      --- the guest's journal, $unit (this boot, last 30 lines):"
      journal_lines 30 "$unit" | sed 's/^/      | /'
    done
    echo "      --- the guest's failed units: $(g systemctl --failed --no-legend --plain 2>/dev/null | awk '{print $1}' | paste -sd' ')"
  fi
  exit 1
}

# check WHY CMD...: CMD must succeed, or the step fails saying WHY.
check() {
  local why=$1
  shift
  "$@" || die "$why"
}
# within SECONDS WHY CMD...: CMD must succeed within SECONDS (polled every half second).
within() {
  local seconds=$1 why=$2
  shift 2
  wait_until "$seconds" "$@" || die "$why (waited ${seconds} s)"
}

# in_guest NAME CMD...: CMD inside the guest, its output in $RUN/logs/NAME.log; the step fails
# with that output if CMD does.
in_guest() {
  local name=$1
  shift
  LAST_LOG="$RUN/logs/$name.log"
  g "$@" >"$LAST_LOG" 2>&1 || die "\"$*\" failed in the guest (exit $?)"
}
# installer NAME SCRIPT ARGS...: one of the checkout's installers, run from the guest's clone as
# the runbook says (sudo is root here).
installer() {
  local name=$1
  shift
  in_guest "$name" bash -c 'cd /root/library-kiosk && exec "$@"' installer "$@"
}

step() {
  STEP_NO=$1 STEP_TITLE=$2 STEP_T=$(clock) LAST_LOG="" STEP_UNITS=("${@:3}")
}
passed() {
  printf 'ok    %s  %s  (%s s)\n' "$STEP_NO" "$STEP_TITLE" "$(since "$STEP_T")"
  TIMES+=("$STEP_NO $(since "$STEP_T")")
}
TIMES=()

# --- guest facts -----------------------------------------------------------------------------
active() { [ "$(unit_prop "$1" ActiveState)" = active ]; }
invocation() { unit_prop "$1" InvocationID; }
server_db() { g sed -n 's/^LIBRARY_SERVER_DB=//p' /etc/library-server/server.env | tail -n 1; }
kiosk_server() {  # kiosk_server ARGS...: the server's command as its user (sudo -u in the runbook)
  g runuser -u library-server -- /opt/library-server/current/venv/bin/kiosk-server "$@"
}
release_of() { g readlink "/opt/$1/$2"; }   # release_of APP current|previous
# The sync worker's lines "sync done" in the guest's journal after CURSOR.
synced_since() { journal_since "$1" library-kiosk-sync.service | grep 'sync done' >/dev/null; }
pushed_since() { journal_since "$1" library-kiosk-sync.service | grep -E 'sync done: [1-9]' >/dev/null; }
# The events of KIOSK_ID on the server that carry CODE.
server_has() {
  kiosk_server export events --db "$(server_db)" --format jsonl 2>/dev/null |
    python3 -c '
import json, sys
kiosk, code = sys.argv[1], sys.argv[2]
hits = [e for e in map(json.loads, filter(None, sys.stdin)) if kiosk in json.dumps(e) and code in json.dumps(e)]
sys.exit(0 if hits else 1)' "$KIOSK_ID" "$1"
}
# A listing of what the installers lay down: every path, its type, mode, owner and content hash
# (link targets for links). Data directories change by themselves and are left out.
installed_state() {
  # shellcheck disable=SC2016  # expanded in the guest
  g bash -c '
    for p in /etc/library-kiosk /etc/library-server /opt/library-kiosk /opt/library-server \
      /etc/systemd/system /etc/sysusers.d /etc/systemd/journald.conf.d /etc/systemd/logind.conf.d \
      /etc/systemd/system.conf.d /etc/udev/rules.d /usr/local/bin /boot; do
      [ -e "$p" ] || continue
      find "$p" -path "/opt/library-*/releases/*/venv" -prune -o -printf "%p %y %m %u:%g %l\n"
      find "$p" -path "*/venv" -prune -o -type f -print0 | sort -z | xargs -0 -r sha256sum
    done
    getent passwd kiosk library-server; getent group kiosk library-server
  ' | LC_ALL=C sort
}
config_state() {  # the configuration files' contents, owners and modes
  g bash -c 'cd / && find etc/library-kiosk etc/library-server -type f -printf "%p %m %u:%g " -exec sha256sum {} \; 2>/dev/null' |
    LC_ALL=C sort
}
screen_drawing() {
  active library-kiosk.service &&
    ! unit_prop library-kiosk.service StatusText | grep '^no screen' >/dev/null &&
    journal_lines 200 library-kiosk.service | grep "drawing on the X display :$XDISPLAY" >/dev/null
}
watchdog_stamp() { unit_prop library-kiosk.service WatchdogTimestampMonotonic; }
# Two watchdog pings heard: the timestamp of the last one moved on twice.
two_pings() {
  local first second deadline=$((SECONDS + $1))
  first=$(watchdog_stamp)
  while [ "$SECONDS" -lt "$deadline" ]; do
    second=$(watchdog_stamp)
    if [ "$second" != "$first" ] && [ "$second" != 0 ]; then
      [ -n "${pinged:-}" ] && return 0
      pinged=1 first=$second
    fi
    sleep 0.5
  done
  return 1
}

# --- setting up: the Debian root, the wheelhouse, the checkout's copy, the boot ---------------
setup_t=$(clock)
echo "boot-test: $ARCH, steps$WANT(run in $RUN)"
BASE=$("$BOOT/base-root.sh" "$ARCH") || { echo "boot-test: no Debian root for $ARCH" >&2; exit 1; }

# The checkout as it is now (with what is not committed yet), as a git repository: the guest
# clones it, as the runbook's `git clone`, and pulls a new commit from it at step 6. Files that
# change in the checkout while the test runs do not reach the guest.
snapshot_checkout() {
  local f
  git init -q -b main "$RUN/origin"
  (cd "$SRC" && git ls-files -co --exclude-standard -z | while IFS= read -r -d '' f; do
    [ -e "$f" ] && printf '%s\0' "$f"
  done | tar --null -T - -cf -) | tar -C "$RUN/origin" -xf -
  git -C "$RUN/origin" add -A
  git -C "$RUN/origin" -c user.name=boot-test -c user.email=boot-test@localhost \
    commit -q -m "the checkout's working tree, $(git -C "$SRC" rev-parse --short HEAD) and its changes"
}
snapshot_checkout

# The wheelhouse for the guest's architecture, made by deploy/wheelhouse.sh and kept while the
# dependencies and the extras stay the same. amd64: built here (the same kind of machine as the
# guest). Other architectures: built inside the guest, below, once it runs.
wheels_key=$(cat "$RUN/origin/pyproject.toml" <(grep -E '^(KIOSK|SERVER)_EXTRAS=' "$RUN/origin/deploy/_install.sh") |
  sha256sum | cut -c1-16)
WHEELS="$CACHE/wheelhouse-$ARCH-$wheels_key"
if [ "$ARCH" = "$(dpkg --print-architecture)" ] && [ ! -f "$WHEELS/.complete" ]; then
  echo "boot-test: building the wheelhouse (deploy/wheelhouse.sh $WHEELS)"
  rm -rf "$CACHE/wheelhouse-$ARCH-"*   # older ones: other dependencies
  if ! bash "$RUN/origin/deploy/wheelhouse.sh" "$WHEELS" >"$RUN/logs/wheelhouse.log" 2>&1; then
    tail -n 30 "$RUN/logs/wheelhouse.log" >&2
    echo "boot-test: deploy/wheelhouse.sh failed" >&2; exit 1
  fi
  touch "$WHEELS/.complete"
fi
mkdir -p "$WHEELS" "$CACHE/apt-$ARCH/partial"

echo "boot-test: copying the Debian root"
cp -a --reflink=auto "$BASE" "$RUN/root"
# What stands in for the Pi's and the school's surroundings: the server's name resolves here.
echo "127.0.0.1 $SERVER_NAME" >>"$RUN/root/etc/hosts"
install -m 644 "$BOOT/xvfb@.service" "$BOOT/tty1.service" "$RUN/root/etc/systemd/system/"
ln -s ../tty1.service "$RUN/root/etc/systemd/system/sysinit.target.wants/tty1.service" 2>/dev/null ||
  { mkdir -p "$RUN/root/etc/systemd/system/sysinit.target.wants" &&
    ln -sf ../tty1.service "$RUN/root/etc/systemd/system/sysinit.target.wants/tty1.service"; }

# Under qemu-user (another architecture than this machine's) the services' sandboxing cannot be
# set up: deploy/boot/qemu-user.conf says why, and turns it off in that guest only.
if [ "$ARCH" != "$(dpkg --print-architecture)" ]; then
  for unit in library-server.service library-kiosk-sync.service library-kiosk.service; do
    install -D -m 644 "$BOOT/qemu-user.conf" "$RUN/root/etc/systemd/system/$unit.d/boot-test-qemu-user.conf"
  done
fi

# The guest shares this machine's network (it reaches the package mirror as the host does): the
# server's port and the X display are picked free here.
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
XDISPLAY=0
while grep -q "@/tmp/.X11-unix/X$XDISPLAY\$" /proc/net/unix || [ -e "/tmp/.X11-unix/X$XDISPLAY" ]; do
  XDISPLAY=$((XDISPLAY + 1))
done

BINDS=(--bind-ro="$RUN/origin:/srv/origin" --bind="$WHEELS:/srv/wheelhouse"
  --bind="$CACHE/apt-$ARCH:/var/cache/apt/archives")
echo "boot-test: booting the guest (systemd-nspawn --boot)"
guest_boot "$RUN/root" "boot-test-$ARCH" "${BINDS[@]}" ||
  { tail -n 30 "$RUN/console.log" >&2; echo "boot-test: the guest did not boot" >&2; exit 1; }
printf 'ok    0  setup: Debian root, wheelhouse, boot  (%s s)\n' "$(since "$setup_t")"
TIMES+=("0 $(since "$setup_t")")

# The wheelhouse of another architecture: deploy/wheelhouse.sh in the guest, "on a machine of
# the same kind" (evdev is compiled there).
if [ ! -f "$WHEELS/.complete" ]; then
  find "$CACHE" -maxdepth 1 -name "wheelhouse-$ARCH-*" ! -path "$WHEELS" -exec rm -rf {} +
  step W "wheelhouse for $ARCH, built in the guest (deploy/wheelhouse.sh; cached)"
  in_guest apt-wheelhouse env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    python3-venv gcc python3-dev linux-libc-dev git
  in_guest git-clone git clone -q /srv/origin /root/library-kiosk
  rm -rf "${WHEELS:?}"/*
  in_guest wheelhouse bash /root/library-kiosk/deploy/wheelhouse.sh /srv/wheelhouse
  touch "$WHEELS/.complete"
  passed
fi

# --- 1 -----------------------------------------------------------------------------------------
step1() {
  local db token cursor
  step 1 "install the server, then the kiosk; pair them; first sync" \
    library-server.service library-kiosk-sync.service
  # The runbook: git, then a clone of the project's repository.
  in_guest apt-git env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends git
  g test -d /root/library-kiosk || in_guest git-clone git clone -q /srv/origin /root/library-kiosk
  installer install-server deploy/install-server.sh --name "$SERVER_NAME" --host 127.0.0.1 \
    --port "$PORT" --wheelhouse /srv/wheelhouse
  within 30 "library-server.service is not active after install-server.sh" active library-server.service
  db=$(server_db)
  # The school's data, imported on the server, reaches the kiosk with its first sync.
  g install -d -m 755 /srv/school-data
  g cp /root/library-kiosk/kiosk/sample/roster.csv /root/library-kiosk/kiosk/sample/catalog.csv \
    /root/library-kiosk/kiosk/sample/policy.toml /srv/school-data/
  g chmod 644 /srv/school-data/roster.csv /srv/school-data/catalog.csv /srv/school-data/policy.toml
  LAST_LOG=$RUN/logs/import.log
  for kind in roster:roster.csv catalog:catalog.csv policy:policy.toml; do
    kiosk_server import "${kind%%:*}" "/srv/school-data/${kind#*:}" --db "$db" >>"$LAST_LOG" 2>&1 ||
      die "kiosk-server import ${kind%%:*} failed on the server"
  done

  installer install-kiosk deploy/install-kiosk.sh --kiosk-id "$KIOSK_ID" --wheelhouse /srv/wheelhouse
  # Pairing (runbook, section 3): the token and the CA certificate, copied to the kiosk.
  LAST_LOG=$RUN/logs/add-kiosk.log
  token=$(kiosk_server add-kiosk "$KIOSK_ID" --db "$db" 2>"$LAST_LOG") || die "kiosk-server add-kiosk failed"
  printf '%s\n' "$token" | g bash -c 'umask 077 && cat >/root/token.txt'
  g cp /etc/library-server/tls/ca.crt /root/ca.crt
  installer install-kiosk-pair deploy/install-kiosk.sh --token-file /root/token.txt --ca-file /root/ca.crt
  # sudoedit kiosk.toml: [sync] server (and, for the test, a sync every 10 s instead of 60).
  g sed -i -e "s|^server = \"[^\"]*\"|server = \"https://$SERVER_NAME:$PORT\"|" \
    -e 's|^interval = [0-9]*|interval = 10|' /etc/library-kiosk/kiosk.toml
  g grep -q "^server = \"https://$SERVER_NAME:$PORT\"" /etc/library-kiosk/kiosk.toml ||
    die "kiosk.toml has no 'server = \"...\"' line to set (its [sync] table changed?)"
  cursor=$(journal_cursor)
  in_guest restart-sync systemctl restart library-kiosk-sync
  within 10 "library-kiosk-sync.service is not active" active library-kiosk-sync.service
  check "library-server.service is not active" active library-server.service
  within 60 "the sync worker logged no 'sync done' after pairing" synced_since "$cursor"
  note "$(journal_since "$cursor" library-kiosk-sync.service | grep -m1 'sync done' | sed 's/^.*: sync done/sync done/')"
  # `kiosk doctor` (runbook, section 6): what a paired kiosk with no scanners plugged in shows.
  LAST_LOG=$RUN/logs/doctor.log
  g kiosk doctor --config /etc/library-kiosk/kiosk.toml --json --lang en >"$LAST_LOG" 2>&1
  g kiosk doctor --config /etc/library-kiosk/kiosk.toml --lang en >"$RUN/logs/doctor-text.log" 2>&1
  python3 - "$LAST_LOG" <<'EOF' || die "kiosk doctor: a check that must pass here did not (the lines above)"
import json, sys
need = {"config", "database", "server", "tls", "token", "sync"}
seen, bad = set(), []
for line in open(sys.argv[1]):
    try:
        c = json.loads(line)
    except ValueError:
        continue
    if c.get("check") in need and "status" in c:  # not the database file's own sub-checks
        seen.add(c["check"])
        if c.get("status") != "ok":
            bad.append(f"{c['check']}: {c.get('status')} {c.get('reason') or ''} {c.get('message') or ''}")
bad += [f"{n}: not reported" for n in sorted(need - seen)]
for b in bad:
    print("      kiosk doctor " + b)
sys.exit(1 if bad else 0)
EOF
  note "kiosk doctor: $(python3 - "$LAST_LOG" <<'EOF'
import json, sys
checks = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
print(", ".join(f"{c['check']} {c['status']}" for c in checks if "status" in c))
EOF
)"
  passed
}

# --- 2 -----------------------------------------------------------------------------------------
step2() {
  step 2 "the screen on a virtual display (Xvfb, KIOSK_DISPLAY=x11): READY=1, watchdog" \
    library-kiosk.service "xvfb@$XDISPLAY.service"
  in_guest apt-xvfb env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends xvfb
  in_guest xvfb systemctl enable --now "xvfb@$XDISPLAY.service"
  installer install-kiosk-x11 deploy/install-kiosk.sh --display x11
  g grep -qx 'KIOSK_DISPLAY=x11' /etc/library-kiosk/display.env || die "display.env does not say KIOSK_DISPLAY=x11"
  if [ "$XDISPLAY" != 0 ]; then
    # :0 is taken on this machine (the guest shares its network, so its abstract X sockets).
    g sed -i "s|^DISPLAY=.*|DISPLAY=:$XDISPLAY|" /etc/library-kiosk/display.env
    note "display.env: DISPLAY=:$XDISPLAY (:0 is taken on this machine)"
  fi
  # The runbook: reboot, or start it now.
  in_guest start-screen systemctl start library-kiosk.service
  within 120 "the screen unit is not active (READY=1 not heard)" active library-kiosk.service
  within 30 "the app does not say it draws on the X display :$XDISPLAY (or it is in its no-screen mode)" screen_drawing
  note "status: $(unit_prop library-kiosk.service StatusText)"
  pinged=""
  check "no two watchdog pings within 35 s (WatchdogTimestamp did not move)" two_pings 35
  check "the screen unit restarted while it was watched (NRestarts=$(unit_prop library-kiosk.service NRestarts))" \
    test "$(unit_prop library-kiosk.service NRestarts)" = 0
  passed
}

# --- 3 -----------------------------------------------------------------------------------------
step3() {
  local cursor running=0
  step 3 "kiosk scan as the kiosk user; the worker pushes the events to the server" \
    library-kiosk.service library-kiosk-sync.service library-server.service
  # The door has one operator at a time: `kiosk scan` refuses while the touchscreen app runs.
  if active library-kiosk.service; then
    running=1
    in_guest stop-screen systemctl stop library-kiosk.service
  fi
  cursor=$(journal_cursor)
  in_guest scan runuser -u kiosk -- kiosk scan --db /var/lib/library-kiosk/kiosk.db --lang en "$CARD" "$BOOK" @done
  # cut counts bytes: iconv -c drops a Chinese character it cut in half.
  note "kiosk scan: $(tr '\n' ' ' <"$RUN/logs/scan.log" | tr -s ' ' | cut -c1-160 | iconv -f UTF-8 -t UTF-8 -c)"
  within 60 "the server has no event of $KIOSK_ID with the book $BOOK" server_has "$BOOK"
  within 10 "the worker logged no 'sync done' with the events it sent" pushed_since "$cursor"
  note "$(journal_since "$cursor" library-kiosk-sync.service | grep -E 'sync done: [1-9]' | head -n 1 | sed 's/^.*: sync done/sync done/')"
  if [ "$running" = 1 ]; then
    in_guest start-screen systemctl start library-kiosk.service
    within 60 "the screen did not come back after the scans" screen_drawing
  fi
  passed
}

# --- 4 -----------------------------------------------------------------------------------------
new_main_pid() {  # new_main_pid OLD: the screen unit runs again, under another process
  local pid
  pid=$(unit_prop library-kiosk.service MainPID)
  [ "$pid" != 0 ] && [ "$pid" != "$1" ] && active library-kiosk.service
}
step4() {
  local pid cursor
  step 4 "SIGKILL: systemd restarts the app; SIGSTOP: the watchdog restarts it" library-kiosk.service
  pid=$(unit_prop library-kiosk.service MainPID)
  check "the screen unit has no main process" test "$pid" != 0
  g kill -KILL "$pid"
  within 60 "the app killed with SIGKILL did not come back" new_main_pid "$pid"
  pid=$(unit_prop library-kiosk.service MainPID)
  cursor=$(journal_cursor)
  g kill -STOP "$pid"
  within 90 "the app stopped with SIGSTOP was not restarted by the watchdog" new_main_pid "$pid"
  journal_since "$cursor" library-kiosk.service | grep -i 'watchdog timeout' >/dev/null ||
    die "the app was restarted, but not for a watchdog timeout"
  note "restarts: $(unit_prop library-kiosk.service NRestarts); $(journal_since "$cursor" library-kiosk.service | grep -i -m1 'watchdog timeout' | sed 's/^[^ ]* [^ ]* //')"
  passed
}

# --- 5 -----------------------------------------------------------------------------------------
step5() {
  local before after units=("${SERVICES[@]}") u ids_before ids_after
  step 5 "both installers again: nothing restarted, nothing changed" "${units[@]}"
  before=$(installed_state)
  ids_before=$(for u in "${units[@]}"; do echo "$u $(invocation "$u")"; done)
  installer again-server deploy/install-server.sh --name "$SERVER_NAME" --host 127.0.0.1 \
    --port "$PORT" --wheelhouse /srv/wheelhouse
  installer again-kiosk deploy/install-kiosk.sh --kiosk-id "$KIOSK_ID" --token-file /root/token.txt \
    --ca-file /root/ca.crt --wheelhouse /srv/wheelhouse
  after=$(installed_state)
  ids_after=$(for u in "${units[@]}"; do echo "$u $(invocation "$u")"; done)
  LAST_LOG=$RUN/logs/again-changes.log
  {
    echo "what the runs said they did:"
    grep -h '^    ' "$RUN/logs/again-server.log" "$RUN/logs/again-kiosk.log"
  } >"$LAST_LOG"
  if [ "$ids_before" != "$ids_after" ]; then
    die "restarted by the second run: $(diff <(echo "$ids_before") <(echo "$ids_after") | sed -n 's/^> \([^ ]*\) .*/\1/p' | paste -sd' ')"
  fi
  if [ "$before" != "$after" ]; then
    diff <(echo "$before") <(echo "$after") | sed -n 's/^[<>] /  /p' | head -n 20 >>"$LAST_LOG"
    die "the second run changed files (the log below: the runs' own lines, then the paths)"
  fi
  passed
}

# --- 6 -----------------------------------------------------------------------------------------
restarted_on() {  # restarted_on UNIT OLD-INVOCATION: it runs again, started anew
  active "$1" && [ "$(invocation "$1")" != "$2" ]
}
both_current() {  # both_current KIOSK-RELEASE SERVER-RELEASE WHY
  [ "$(release_of library-kiosk current)" = "$1" ] || die "$3: the kiosk's current is $(release_of library-kiosk current), not $1"
  [ "$(release_of library-server current)" = "$2" ] || die "$3: the server's current is $(release_of library-server current), not $2"
}
all_restarted() {  # all_restarted WHY: each service was restarted (since the ids in $IDS) and runs
  local u old
  for u in "${SERVICES[@]}"; do
    old=$(sed -n "s/^$u //p" <<<"$IDS")
    within 60 "$1: $u was not restarted on the new release" restarted_on "$u" "$old"
  done
}
remember_ids() {
  IDS=$(for u in "${SERVICES[@]}"; do echo "$u $(invocation "$u")"; done)
}
step6() {
  local k1 s1 k2 s2 cursor
  step 6 "upgrade to a new commit (git pull), roll back, roll forward" \
    library-server.service library-kiosk.service library-kiosk-sync.service
  k1=$(release_of library-kiosk current) s1=$(release_of library-server current)
  # A new commit upstream: a throw-away change in the snapshot's repository.
  printf '\nBoot test upgrade, %s.\n' "$(date -u +%FT%TZ)" >>"$RUN/origin/README.md"
  git -C "$RUN/origin" -c user.name=boot-test -c user.email=boot-test@localhost \
    commit -q -am "boot test: a new release"
  in_guest git-pull git -C /root/library-kiosk pull -q --ff-only
  remember_ids
  installer upgrade-server deploy/install-server.sh --wheelhouse /srv/wheelhouse
  installer upgrade-kiosk deploy/install-kiosk.sh --wheelhouse /srv/wheelhouse
  k2=$(release_of library-kiosk current) s2=$(release_of library-server current)
  [ "$k2" != "$k1" ] || die "the kiosk's release did not change with the new commit ($k1)"
  [ "$s2" != "$s1" ] || die "the server's release did not change with the new commit ($s1)"
  [ "$(release_of library-kiosk previous)" = "$k1" ] || die "the kiosk's previous is not the old release $k1"
  [ "$(release_of library-server previous)" = "$s1" ] || die "the server's previous is not the old release $s1"
  all_restarted "upgrade"
  cursor=$(journal_cursor)
  within 60 "no sync after the upgrade" synced_since "$cursor"
  note "upgraded: kiosk ${k1#releases/} -> ${k2#releases/}, server ${s1#releases/} -> ${s2#releases/}"

  remember_ids
  installer rollback-server deploy/install-server.sh --rollback
  installer rollback-kiosk deploy/install-kiosk.sh --rollback
  both_current "$k1" "$s1" "after --rollback"
  all_restarted "rollback"
  if wants 2; then within 60 "the screen does not draw after the rollback" screen_drawing; fi
  cursor=$(journal_cursor)
  within 60 "no sync after the rollback" synced_since "$cursor"

  remember_ids
  installer forward-server deploy/install-server.sh --rollback
  installer forward-kiosk deploy/install-kiosk.sh --rollback
  both_current "$k2" "$s2" "after a second --rollback"
  all_restarted "roll forward"
  cursor=$(journal_cursor)
  within 60 "no sync after rolling forward" synced_since "$cursor"
  passed
}

# --- 7 -----------------------------------------------------------------------------------------
step7() {
  local boot_before cursor u
  step 7 "reboot: the services come back, the journal is kept" \
    library-server.service library-kiosk.service library-kiosk-sync.service
  boot_before=$(g cat /proc/sys/kernel/random/boot_id)
  check "the guest did not come back from its reboot" guest_reboot
  [ "$(g cat /proc/sys/kernel/random/boot_id)" != "$boot_before" ] || die "the boot id did not change: no reboot"
  for u in "${SERVICES[@]}"; do
    within 120 "$u is not active after the reboot" active "$u"
  done
  if wants 2; then within 60 "the screen does not draw after the reboot" screen_drawing; fi
  cursor=$(journal_cursor)
  within 60 "no sync after the reboot" synced_since "$cursor"
  g journalctl -b -1 -u library-kiosk-sync.service --no-pager -q 2>/dev/null | grep 'sync done' >/dev/null ||
    die "the journal of the boot before has no 'sync done' of the worker: it was not kept ($(g journalctl --list-boots --no-pager 2>&1 | wc -l) boot(s) listed)"
  note "boots in the journal: $(g journalctl --list-boots --no-pager -q | grep -c "^ *-\{0,1\}[0-9]")"
  passed
}

# --- 8 -----------------------------------------------------------------------------------------
step8() {
  local before after cursor u
  step 8 "uninstall both, install again: the configuration comes back" \
    library-server.service library-kiosk.service library-kiosk-sync.service
  before=$(config_state)
  installer uninstall-kiosk deploy/install-kiosk.sh --uninstall
  installer uninstall-server deploy/install-server.sh --uninstall
  for u in library-server.service library-kiosk.service library-kiosk-sync.service; do
    [ "$(unit_prop "$u" LoadState)" = not-found ] || die "$u is still there after --uninstall ($(unit_prop "$u" LoadState), $(unit_prop "$u" ActiveState))"
  done
  if g test -e /etc/library-kiosk || g test -e /etc/library-server; then
    die "a configuration directory is left after --uninstall"
  fi
  if g getent passwd kiosk >/dev/null || g getent passwd library-server >/dev/null; then
    die "a user is left after --uninstall"
  fi
  g test -f /var/lib/library-kiosk/kiosk.db || die "the kiosk's data went with --uninstall"
  installer reinstall-server deploy/install-server.sh --wheelhouse /srv/wheelhouse
  installer reinstall-kiosk deploy/install-kiosk.sh --wheelhouse /srv/wheelhouse
  after=$(config_state)
  if [ "$before" != "$after" ]; then
    LAST_LOG=$RUN/logs/config-diff.log
    diff <(echo "$before") <(echo "$after") >"$LAST_LOG"
    die "the configuration after the new install differs from before --uninstall"
  fi
  within 30 "library-server.service is not active after the new install" active library-server.service
  cursor=$(journal_cursor)
  # The runbook: reboot to start the kiosk; here the units are started as the boot would.
  in_guest start-again systemctl start "${SERVICES[@]}"
  if wants 2; then within 120 "the screen is not back after the new install" screen_drawing; fi
  within 60 "no sync after the new install (the token or the CA did not come back?)" synced_since "$cursor"
  passed
}

for n in 1 2 3 4 5 6 7 8; do
  if wants "$n"; then "step$n"; fi
done
printf 'boot-test: %s passed, steps%s in %s s (%s)\n' "$ARCH" "$WANT" "$((SECONDS - T0))" \
  "$(printf '%s s; ' "${TIMES[@]}" | sed 's/; $//')"
exit 0
}
