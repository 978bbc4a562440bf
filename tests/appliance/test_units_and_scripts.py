"""The units and scripts on their own: shellcheck, systemd-analyze verify and security, and how
kiosk-session picks the display and starts the app (against a made-up sysfs and stand-ins)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.appliance.conftest import HOST_UNITS, need_tools, scratch_dir
from tests.conftest import REPO

SCRIPTS = sorted([*REPO.glob("deploy/*.sh"), REPO / ".ci/run"])
UNITS = sorted((REPO / "systemd").glob("*.service"))
HARDENED = ("library-kiosk-sync.service", "library-server.service")
# What the units run, made to exist for systemd-analyze (the real ones are installed under
# --root by the install tests, which verify the units there too).
EXEC = (
    "opt/library-kiosk/current/libexec/kiosk-session",
    "opt/library-kiosk/current/venv/bin/kiosk",
    "opt/library-server/current/venv/bin/kiosk-server",
)


def test_shellcheck_passes_on_every_script() -> None:
    need_tools()
    assert len(SCRIPTS) >= 7
    done = subprocess.run(
        ["shellcheck", "--external-sources", *map(str, SCRIPTS)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def unit_root() -> Iterator[Path]:
    """A root with the host's units, ours, and stand-in executables for what ours run."""
    need_tools()
    root = scratch_dir("units-")
    (root / "usr/lib/systemd").mkdir(parents=True)
    shutil.copytree(HOST_UNITS, root / "usr/lib/systemd/system", symlinks=True)
    (root / "lib").symlink_to("usr/lib")
    (root / "etc/systemd/system").mkdir(parents=True)
    for unit in UNITS:
        shutil.copy(unit, root / "etc/systemd/system" / unit.name)
    for rel in EXEC:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("#!/bin/sh\nexit 0\n")
        (root / rel).chmod(0o755)
    yield root
    shutil.rmtree(root)


@pytest.mark.parametrize("unit", [u.name for u in UNITS])
def test_systemd_analyze_verify_passes_with_nothing_on_stderr(unit_root: Path, unit: str) -> None:
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", f"--root={unit_root}", unit],
        capture_output=True,
        text=True,
        check=False,
    )
    # It exits 0 on a misspelled key and only warns: stderr must be empty too.
    assert (done.returncode, done.stderr, done.stdout) == (0, "", ""), unit


def test_verify_would_catch_a_misspelled_key(unit_root: Path) -> None:
    broken = unit_root / "etc/systemd/system/broken.service"
    text = (REPO / "systemd/library-kiosk-sync.service").read_text()
    broken.write_text(text.replace("ProtectSystem=strict", "ProtectSytem=strict"))
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", f"--root={unit_root}", "broken.service"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Unknown key 'ProtectSytem'" in done.stderr
    broken.unlink()


def exposure(root: Path, unit: str) -> str:
    done = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", f"--root={root}", "--no-pager", unit],
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d)", done.stdout)
    assert found, done.stdout[-500:]
    return found[1]


@pytest.mark.parametrize("unit", [u.name for u in UNITS])
def test_the_security_scores_in_the_docs_are_the_ones_systemd_gives(
    unit_root: Path, unit: str
) -> None:
    documented = re.findall(
        rf"^\| `{re.escape(unit)}` \| (\d+\.\d) ", (REPO / "deploy/README.md").read_text(), re.M
    )
    assert documented == [exposure(unit_root, unit)], unit
    if unit in HARDENED:
        assert float(documented[0]) < 2.0  # "OK" in systemd's words, and kept there


# --- kiosk-session ---------------------------------------------------------------------------

STAND_IN = """#!/bin/sh
echo "argv: $0 $*"
env | grep -E '^(SDL_|WLR_|KIVY_WINDOW)' | sort
"""


@pytest.fixture
def session(tmp_path: Path) -> Path:
    release = tmp_path / "release"
    (release / "libexec").mkdir(parents=True)
    (release / "venv/bin").mkdir(parents=True)
    shutil.copy(REPO / "deploy/kiosk-session.sh", release / "libexec/kiosk-session")
    for stand_in in (release / "venv/bin/kiosk", tmp_path / "bin/cage"):
        stand_in.parent.mkdir(parents=True, exist_ok=True)
        stand_in.write_text(STAND_IN)
        stand_in.chmod(0o755)
    return tmp_path


def sysfs(base: Path, cards: dict[str, dict[str, str]]) -> Path:
    """cards: {"card1": {"HDMI-A-1": "disconnected"}, "card0": {}} (a render-only card)."""
    drm = base / "sys/class/drm"
    for card, connectors in cards.items():
        (drm / card).mkdir(parents=True)
        for connector, status in connectors.items():
            (drm / f"{card}-{connector}").mkdir()
            (drm / f"{card}-{connector}" / "status").write_text(status + "\n")
    (drm / "renderD128").mkdir()
    return base / "sys"


def start(base: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [base / "release/libexec/kiosk-session", "/etc/library-kiosk/kiosk.toml"],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": f"{base / 'bin'}:{os.environ['PATH']}", **env},
    )


PI5_DSI = {  # a Pi 5 with the 7" DSI panel and no HDMI monitor
    "card0": {},  # v3d: renders, drives no display
    "card1": {"HDMI-A-1": "disconnected", "HDMI-A-2": "disconnected"},
    "card2": {"DSI-1": "connected"},
}


def test_the_app_runs_on_the_card_with_a_connected_display(session: Path) -> None:
    done = start(session, KIOSK_SYSFS=str(sysfs(session, PI5_DSI)))
    assert done.returncode == 0, done.stderr
    assert (
        f"argv: {session}/release/venv/bin/kiosk run --config /etc/library-kiosk/kiosk.toml"
        in done.stdout
    )
    assert "SDL_KMSDRM_DEVICE_INDEX=2" in done.stdout and "SDL_VIDEODRIVER=kmsdrm" in done.stdout
    assert "drawing on card2 (DSI-1) through KMS/DRM" in done.stderr


def test_the_card_is_found_again_when_its_number_changes(session: Path) -> None:
    renumbered = {
        "card0": {"DSI-1": "connected"},
        "card1": {},
        "card2": {"HDMI-A-1": "disconnected"},
    }
    done = start(session, KIOSK_SYSFS=str(sysfs(session, renumbered)))
    assert "SDL_KMSDRM_DEVICE_INDEX=0" in done.stdout


def test_a_panel_wins_over_hdmi_unless_a_connector_is_named(session: Path) -> None:
    both = {"card1": {"HDMI-A-1": "connected"}, "card2": {"DSI-1": "connected"}}
    root = str(sysfs(session, both))
    assert "SDL_KMSDRM_DEVICE_INDEX=2" in start(session, KIOSK_SYSFS=root).stdout
    named = start(session, KIOSK_SYSFS=root, KIOSK_DRM_CONNECTOR="HDMI-A-1")
    assert "SDL_KMSDRM_DEVICE_INDEX=1" in named.stdout


def test_no_connected_display_fails_so_systemd_tries_again(session: Path) -> None:
    dark = {"card1": {"HDMI-A-1": "disconnected"}}
    done = start(session, KIOSK_SYSFS=str(sysfs(session, dark)))
    assert done.returncode == 1 and "no connected display" in done.stderr
    assert "argv:" not in done.stdout


def test_under_cage_the_chosen_card_comes_first(session: Path) -> None:
    done = start(session, KIOSK_SYSFS=str(sysfs(session, PI5_DSI)), KIOSK_DISPLAY="cage")
    assert done.returncode == 0, done.stderr
    assert (
        f"bin/cage -- {session}/release/venv/bin/kiosk run --config /etc/library-kiosk/kiosk.toml"
        in done.stdout
    )
    assert "WLR_DRM_DEVICES=/dev/dri/card2:/dev/dri/card0:/dev/dri/card1" in done.stdout
    assert "SDL_VIDEODRIVER=wayland" in done.stdout


def test_an_unknown_display_mode_is_refused(session: Path) -> None:
    done = start(session, KIOSK_SYSFS=str(sysfs(session, PI5_DSI)), KIOSK_DISPLAY="x11")
    assert done.returncode == 2 and "KIOSK_DISPLAY must be kms or cage" in done.stderr


def settings(unit: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in (REPO / "systemd" / unit).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


def test_the_screen_owns_tty1_as_a_console_session_and_heals_itself() -> None:
    unit = settings("library-kiosk.service")
    assert unit["PAMName"] == ["login"] and unit["TTYPath"] == ["/dev/tty1"]
    assert unit["Conflicts"] == ["getty@tty1.service"]
    assert "getty@tty1.service" in unit["After"][0].split()
    assert unit["User"] == ["kiosk"] and unit["SupplementaryGroups"] == [
        "video render input dialout"
    ]
    assert unit["Type"] == ["notify"] and unit["WatchdogSec"] == ["30"]
    assert unit["Restart"] == ["always"] and unit["StartLimitIntervalSec"] == ["0"]
    assert unit["ExecStart"] == [
        "/opt/library-kiosk/current/libexec/kiosk-session /etc/library-kiosk/kiosk.toml"
    ]


def test_the_sync_worker_waits_for_the_network_and_writes_only_the_data() -> None:
    unit = settings("library-kiosk-sync.service")
    assert unit["After"] == ["network-online.target"] and unit["Wants"] == ["network-online.target"]
    assert unit["ExecStart"] == [
        "/opt/library-kiosk/current/venv/bin/kiosk sync run --config /etc/library-kiosk/kiosk.toml"
    ]
    assert unit["ReadWritePaths"] == ["/var/lib/library-kiosk"]
    for key in ("NoNewPrivileges", "PrivateTmp", "PrivateDevices", "PrivateUsers"):
        assert unit[key] == ["yes"], key
    assert unit["ProtectSystem"] == ["strict"] and unit["CapabilityBoundingSet"] == [""]


def test_the_server_runs_the_documented_command_line() -> None:
    unit = settings("library-server.service")
    assert unit["ExecStart"] == [
        "/opt/library-server/current/venv/bin/kiosk-server serve --db ${LIBRARY_SERVER_DB} "
        "--host ${LIBRARY_SERVER_HOST} --port ${LIBRARY_SERVER_PORT} $LIBRARY_SERVER_TLS"
    ]
    assert unit["ReadWritePaths"] == ["/var/lib/library-server"]
    assert unit["ProtectSystem"] == ["strict"] and unit["NoNewPrivileges"] == ["yes"]
