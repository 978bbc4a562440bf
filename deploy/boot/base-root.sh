#!/usr/bin/env bash
# Makes (once) and prints the cached Debian 12 root the boot test copies for each run:
#   deploy/boot/base-root.sh [amd64|arm64]
# debootstrap from the same mirror this machine's apt uses, then the host's apt sources and
# settings, its extra CA certificates and its pip configuration copied in, so the guest reaches the
# package registries the way the host does. A second call prints the cached root at once; a
# change to this recipe (or BOOT_TEST_REBUILD=1) builds it again.
set -Eeuo pipefail

ARCH=${1:-amd64}
CACHE=${BOOT_TEST_CACHE:-/var/cache/library-kiosk-boot-test}
SUITE=bookworm
# What a booted, minimal Debian needs to be a host for the installers: systemd as PID 1, D-Bus
# and logind (the screen unit's PAM session), ps/kill and ip for the checks.
INCLUDE=systemd,systemd-sysv,dbus,libpam-systemd,procps,iproute2,ca-certificates
BASE="$CACHE/$SUITE-$ARCH"
RECIPE="debootstrap --variant=minbase --arch=$ARCH --include=$INCLUDE $SUITE; host apt, CA, pip config; v1"

say() { printf 'base-root: %s\n' "$*" >&2; }

# The mirror of the host's apt sources that serves the Debian suite (deb822 .sources or one-line
# .list files): the guest is built from what this machine's apt already reaches.
host_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v suite="$SUITE" '
      function found() { if (deb && hit && uri) { print uri; done = 1; exit } }
      /^[[:space:]]*$/ { found(); deb = hit = 0; uri = ""; next }
      tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
      tolower($1) == "uris:" { uri = $2 }
      tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == suite) hit = 1 }
      END { if (!done) found() }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v suite="$SUITE" '$1 == "deb" { sub(/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?/, "");
      if ($2 == suite) print $1 }' "$f"
  done
}

# The host's ways to the registries, copied into ROOT.
copy_host_settings() {
  local root=$1 f key
  rm -f "$root/etc/apt/sources.list"
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    install -D -m 644 "$f" "$root$f"
    # A source signed by a keyring the guest lacks would stop apt-get update.
    sed -n 's/^Signed-By:[[:space:]]*//p; s/.*signed-by=\([^] ]*\).*/\1/p' "$f" | while read -r key; do
      [ ! -f "$key" ] || [ -f "$root$key" ] || install -D -m 644 "$key" "$root$key"
    done
  done
  for f in /etc/apt/apt.conf.d/*; do
    [ -f "$f" ] && install -m 644 "$f" "$root/etc/apt/apt.conf.d/"
  done
  if compgen -G '/usr/local/share/ca-certificates/*' >/dev/null; then
    cp -a /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
    chroot "$root" update-ca-certificates >/dev/null
  fi
  for f in /etc/pip.conf /etc/xdg/pip /root/.config/pip /root/.pip; do
    if [ -e "$f" ]; then mkdir -p "$root$(dirname "$f")" && cp -a "$f" "$root$f"; fi
  done
}

if [ -f "$BASE/.boot-test-base" ] && [ "$(cat "$BASE/.boot-test-base")" = "$RECIPE" ] &&
   [ "${BOOT_TEST_REBUILD:-0}" != 1 ]; then
  echo "$BASE"
  exit 0
fi

mirror=$(host_mirror | sed -n 1p)
[ -n "$mirror" ] || { say "no Debian $SUITE source in /etc/apt/sources.list*: cannot pick a mirror"; exit 1; }
if [ "$ARCH" != "$(dpkg --print-architecture)" ] && [ ! -e "/proc/sys/fs/binfmt_misc/qemu-${ARCH/arm64/aarch64}" ]; then
  say "no binfmt handler for $ARCH: apt-get install qemu-user-static binfmt-support;"
  say "mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc; update-binfmts --enable qemu-aarch64"
  exit 1
fi
mkdir -p "$CACHE"
tmp=$(mktemp -d "$CACHE/.building-$ARCH.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
say "debootstrap $SUITE $ARCH from $mirror (once; cached in $BASE)"
start=$SECONDS
if ! debootstrap --variant=minbase --arch="$ARCH" --include="$INCLUDE" "$SUITE" "$tmp/root" "$mirror" \
  >"$tmp/debootstrap.log" 2>&1; then
  tail -n 30 "$tmp/debootstrap.log" >&2
  [ ! -f "$tmp/root/debootstrap/debootstrap.log" ] || tail -n 30 "$tmp/root/debootstrap/debootstrap.log" >&2
  say "debootstrap failed"
  exit 1
fi
copy_host_settings "$tmp/root"
# The guest's own apt lists, so its first apt-get install needs no update of its own.
chroot "$tmp/root" apt-get update -qq >/dev/null
chroot "$tmp/root" apt-get clean
printf '%s\n' "$RECIPE" >"$tmp/root/.boot-test-base"
rm -rf "$BASE"
mv "$tmp/root" "$BASE"
say "built in $((SECONDS - start)) s"
echo "$BASE"
