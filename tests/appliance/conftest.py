"""A made-up fresh Raspberry Pi OS root to install into, and snapshots of trees to compare.

The install scripts run for real with --root: they lay the appliance under the scratch root,
build a real release (a virtualenv from Debian's /usr/bin/python3, the project's wheel built
from the checkout) and install its dependencies offline from .venv/wheelhouse, which
deploy/test.sh builds once (so no test needs the network, and no test downloads anything).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

WHEELHOUSE = REPO / ".venv" / "wheelhouse"
HOST_UNITS = Path("/lib/systemd/system")

PASSWD = "root:x:0:0:root:/root:/bin/bash\npi:x:1000:1000:,,,:/home/pi:/bin/bash\n"
# Debian's base-passwd makes dialout, audio and video; udev makes input and render.
GROUP = (
    "root:x:0:\ndialout:x:20:pi\naudio:x:29:pi\nvideo:x:44:pi\ninput:x:101:pi\n"
    "render:x:105:pi\npi:x:1000:\n"
)
SHADOW = "root:*:19000:0:99999:7:::\npi:*:19000:0:99999:7:::\n"
GSHADOW = "root:*::\ndialout:*::pi\naudio:*::pi\nvideo:*::pi\ninput:*::pi\nrender:*::pi\npi:!::\n"
CMDLINE = (
    "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 "
    "fsck.repair=yes rootwait\n"
)
# Written by shadow's tools beside the files they change; not part of what was installed.
SHADOW_BACKUPS = {"etc/passwd-", "etc/group-", "etc/shadow-", "etc/gshadow-", "etc/.pwd.lock"}


def need_tools() -> None:
    if os.geteuid() != 0:
        # A skip would read as a pass: these tests are the only proof the installers work.
        pytest.fail("the installers' tests run as root: run deploy/test.sh as root, as CI does")
    for tool in ("shellcheck", "systemd-analyze", "systemd-sysusers", "systemctl"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: deploy/test.sh installs it (apt_need)")
    if not (WHEELHOUSE / "").is_dir() or not any(WHEELHOUSE.glob("*.whl")):
        pytest.fail(f"{WHEELHOUSE} is missing: deploy/test.sh builds it (deploy/wheelhouse.sh)")


def scratch_dir(prefix: str) -> Path:
    # Under /var/tmp, mode 755: pytest's own tmp folders are 700 and the scripts check owners.
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/var/tmp"))
    path.chmod(0o755)
    return path


def fresh_pi(root: Path, hostname: str = "door-1") -> Path:
    """What matters of a fresh Raspberry Pi OS Lite (Bookworm) for the installer."""
    (root / "etc/systemd/system/getty.target.wants").mkdir(parents=True)
    for sub in (
        "etc/udev/rules.d",
        "opt",
        "var/lib",
        "boot/firmware",
        "usr/lib/systemd",
        "usr/local/bin",
    ):
        (root / sub).mkdir(parents=True, exist_ok=True)
    shutil.copytree(HOST_UNITS, root / "usr/lib/systemd/system", symlinks=True)
    (root / "lib").symlink_to("usr/lib")
    for name, text, mode in (
        ("passwd", PASSWD, 0o644),
        ("group", GROUP, 0o644),
        ("shadow", SHADOW, 0o640),
        ("gshadow", GSHADOW, 0o640),
        ("hostname", hostname + "\n", 0o644),
    ):
        (root / "etc" / name).write_text(text)
        (root / "etc" / name).chmod(mode)
    (root / "boot/firmware/cmdline.txt").write_text(CMDLINE)
    (root / "etc/systemd/system/getty.target.wants/getty@tty1.service").symlink_to(
        "/lib/systemd/system/getty@.service"
    )
    return root


@pytest.fixture(scope="module")
def pi_root() -> Iterator[Path]:
    need_tools()
    root = scratch_dir("pi-root-")
    yield fresh_pi(root)
    shutil.rmtree(root)


Entry = tuple[str, int, int, str, int]


def snapshot(root: Path, *, skip: tuple[str, ...] = ("usr/lib/systemd",)) -> dict[str, Entry]:
    """Every path under root: type and mode, owner, group, content digest or link, file mtime."""
    tree: dict[str, Entry] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(skip):
            continue
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            content, mtime = f"-> {path.readlink()}", 0
        elif stat.S_ISDIR(info.st_mode):
            content, mtime = "dir", 0
        else:
            content, mtime = hashlib.sha256(path.read_bytes()).hexdigest(), info.st_mtime_ns
        tree[rel] = (stat.filemode(info.st_mode), info.st_uid, info.st_gid, content, mtime)
    return tree


def differences(
    before: dict[str, Entry], after: dict[str, Entry], *, mtimes: bool = True
) -> list[str]:
    """Paths whose type, mode, owner, content (or, with ``mtimes``, time of change) differ."""

    def seen(tree: dict[str, Entry], path: str) -> tuple[object, ...] | None:
        entry = tree.get(path)
        return None if entry is None else (entry if mtimes else entry[:4])

    return [
        f"{path}: {before.get(path)} -> {after.get(path)}"
        for path in sorted(before.keys() | after.keys())
        if seen(before, path) != seen(after, path)
    ]


def run_script(
    script: str, *args: str | Path, src: Path = REPO
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(src / "deploy" / script), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def copy_checkout(dest: Path) -> Path:
    """A second checkout of this tree (a newer version is made by editing it)."""
    shutil.copytree(
        REPO,
        dest,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "__pycache__", "*.egg-info", "build", ".*_cache"
        ),
    )
    return dest


def ids(root: Path, table: str, name: str) -> tuple[int, ...] | None:
    for line in (root / "etc" / table).read_text().splitlines():
        fields = line.split(":")
        if fields[0] == name:
            return tuple(int(f) for f in fields[2:4] if f.isdigit())
    return None


def members(root: Path, group: str) -> set[str]:
    for line in (root / "etc/group").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == group:
            return set(filter(None, fields[3].split(",")))
    return set()
