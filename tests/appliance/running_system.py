"""A stand-in for a booted Pi: the install script run as root in a chroot of a scratch root.

What only a running system shows (which services a run restarts, whether journald is restarted,
what --uninstall stops, what apt would install) needs the script out of --root mode: it then
talks to systemd. Here it runs in a private mount namespace, chrooted into a root made by
``fresh_pi``, with the host's /usr mounted read-only (the same Python, systemd-sysusers, pip),
``/run/systemd/system`` present (systemd's own sign that it is running) and, first on PATH, four
stand-ins chosen explicitly, each logging what it was asked:

- ``systemctl``: unit files (enable, is-enabled, mask, ...) go to the real systemctl, which works
  on files in a chroot; what needs the manager (daemon-reload, start, stop, restart, is-active,
  show) is logged and answered from ``run/standin/state/UNIT`` ("active", "activating", ...).
- ``udevadm``: logged; fails as it does where udevd does not run when ``run/standin/udev-fails``
  exists.
- ``dpkg-query`` (nothing is installed) and ``apt-get`` (logged, installs nothing).

The boot test (deploy/boot-test.sh) proves the same things under a real systemd.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.appliance.conftest import WHEELHOUSE

SYSTEMCTL = """#!/bin/sh
# A stand-in for systemctl on a running system (tests/appliance/running_system.py).
case $1 in
  enable|disable|reenable|is-enabled|mask|unmask|preset) exec /usr/bin/systemctl --root=/ "$@" ;;
esac
echo "systemctl $*" >>/run/standin/calls
unit=""
for word in "$@"; do case $word in -*) ;; *) unit=$word ;; esac; done
state=$(cat "/run/standin/state/$unit" 2>/dev/null || echo inactive)
case $1 in
  is-active) [ "$state" = active ] ;;
  show) echo "$state" ;;
  stop) echo inactive >"/run/standin/state/$unit" ;;
  start|restart) echo active >"/run/standin/state/$unit" ;;
  reset-failed) echo inactive >"/run/standin/state/$unit" ;;
  *) exit 0 ;;
esac
"""
UDEVADM = """#!/bin/sh
echo "udevadm $*" >>/run/standin/calls
if [ -e /run/standin/udev-fails ]; then
  echo "Failed to send reload request: No such file or directory" >&2
  exit 1
fi
"""
DPKG_QUERY = """#!/bin/sh
exit 1
"""
APT_GET = """#!/bin/sh
echo "apt-get $*" >>/run/standin/calls
"""
STAND_INS = {
    "systemctl": SYSTEMCTL,
    "udevadm": UDEVADM,
    "dpkg-query": DPKG_QUERY,
    "apt-get": APT_GET,
}
# Where the checkout and the wheels are seen from inside.
SRC = "/src"
WHEELS = "/wheelhouse"


@dataclass
class RunningPi:
    """``root`` (made by fresh_pi) run as a booted system; ``local`` is its /usr/local."""

    root: Path
    local: Path

    @classmethod
    def prepare(cls, root: Path, local: Path) -> RunningPi:
        for link, target in (("bin", "usr/bin"), ("sbin", "usr/sbin"), ("lib64", "usr/lib64")):
            if not (root / link).exists():
                (root / link).symlink_to(target)
        for sub in ("dev", "proc", "tmp", "var/tmp", "src", "wheelhouse", "run/systemd/system"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        (root / "tmp").chmod(0o1777)
        (root / "run/standin/state").mkdir(parents=True, exist_ok=True)
        # What the host's /usr needs of /etc: the loader's cache, awk and friends by their
        # Debian alternatives, shadow's defaults, PAM's settings (runuser), openssl's settings
        # (the packages' own files in /etc, which the stand-in apt-get does not lay down).
        for name in ("ld.so.cache", "login.defs"):
            if Path("/etc", name).is_file() and not (root / "etc" / name).exists():
                shutil.copy(Path("/etc", name), root / "etc" / name)
        for name in ("alternatives", "pam.d", "security", "ssl"):
            if Path("/etc", name).is_dir() and not (root / "etc" / name).exists():
                shutil.copytree(Path("/etc", name), root / "etc" / name, symlinks=True)
        (local / "sbin").mkdir(parents=True, exist_ok=True)
        (local / "bin").mkdir(parents=True, exist_ok=True)
        for name, text in STAND_INS.items():
            (local / "sbin" / name).write_text(text)
            (local / "sbin" / name).chmod(0o755)
        return cls(root, local)

    def set_state(self, unit: str, state: str) -> None:
        (self.root / "run/standin/state" / unit).write_text(state + "\n")

    def udev_fails(self) -> None:
        (self.root / "run/standin/udev-fails").touch()

    def calls(self) -> list[str]:
        log = self.root / "run/standin/calls"
        return log.read_text().splitlines() if log.exists() else []

    def forget_calls(self) -> None:
        (self.root / "run/standin/calls").unlink(missing_ok=True)

    def install(
        self, src: Path, *args: str, script: str = "install-kiosk.sh"
    ) -> subprocess.CompletedProcess[str]:
        """``deploy/SCRIPT ARGS`` from the checkout ``src``, as root on this machine."""
        root = self.root
        mounts = " && ".join(
            (
                f"mount --bind /usr {root}/usr",
                f"mount -o remount,bind,ro {root}/usr",
                f"mount --bind {self.local} {root}/usr/local",
                f"mount --bind /dev {root}/dev",
                f"mount -t proc proc {root}/proc",
                f"mount --bind {src} {root}{SRC}",
                f"mount -o remount,bind,ro {root}{SRC}",
                f"mount --bind {WHEELHOUSE} {root}{WHEELS}",
            )
        )
        chrooted = f'{mounts} && exec chroot {root} /usr/bin/env -i "$@"'
        path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        return subprocess.run(
            [
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                chrooted,
                "sh",
                path,
                "LANG=C.UTF-8",
                "bash",
                f"{SRC}/deploy/{script}",
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
