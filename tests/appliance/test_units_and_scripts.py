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
echo "pid: $$"
env | grep -E '^(SDL_|KIVY_WINDOW|DISPLAY=|KIOSK_NO_SCREEN|KIOSK_SESSION)' | sort
"""


@pytest.fixture
def session(tmp_path: Path) -> Path:
    release = tmp_path / "release"
    (release / "libexec").mkdir(parents=True)
    (release / "venv/bin").mkdir(parents=True)
    shutil.copy(REPO / "deploy/kiosk-session.sh", release / "libexec/kiosk-session")
    stand_in = release / "venv/bin/kiosk"
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


def procfs(base: Path, *sockets: str) -> Path:
    """A /proc whose net/unix lists these socket paths (an X server's, "@/tmp/.X11-unix/X0")."""
    net = base / "proc/net"
    net.mkdir(parents=True)
    lines = ["Num       RefCount Protocol Flags    Type St Inode Path"]
    for n, path in enumerate(sockets):
        lines.append(f"000000000000000{n}: 00000002 00000000 00010000 0001 01 {1000 + n} {path}")
    (net / "unix").write_text("\n".join(lines) + "\n")
    return base / "proc"


def start(base: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [base / "release/libexec/kiosk-session", *(args or ["/etc/library-kiosk/kiosk.toml"])],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": os.environ["PATH"], **env},
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
    assert "KIOSK_NO_SCREEN" not in done.stdout
    # Asked again by the app if no window opens on that display.
    assert f"KIOSK_SESSION={session}/release/libexec/kiosk-session" in done.stdout


@pytest.mark.parametrize("dsi", ["connected", "disconnected"])
def test_the_app_is_the_units_main_process(session: Path, dsi: str) -> None:
    # systemd takes READY=1 and the watchdog's pings from the main process only (NotifyAccess=main).
    root = sysfs(session, {"card2": {"DSI-1": dsi}})
    with subprocess.Popen(
        [session / "release/libexec/kiosk-session", "/etc/library-kiosk/kiosk.toml"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={"PATH": os.environ["PATH"], "KIOSK_SYSFS": str(root)},
    ) as started:
        out, _ = started.communicate(timeout=30)
    assert f"pid: {started.pid}" in out.splitlines(), out


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


def test_with_no_connected_display_the_app_starts_in_its_no_screen_mode(session: Path) -> None:
    # Not an exit for systemd to start it again 3 s later, for ever: the app, told why.
    dark = {"card1": {"HDMI-A-1": "disconnected"}}
    done = start(session, KIOSK_SYSFS=str(sysfs(session, dark)))
    assert done.returncode == 0, done.stderr
    assert (
        f"argv: {session}/release/venv/bin/kiosk run --config /etc/library-kiosk/kiosk.toml"
        in done.stdout
    )
    assert (
        f"KIOSK_NO_SCREEN=no connected display in {session}/sys/class/drm "
        "(is the screen plugged in and switched on?)"
    ) in done.stdout
    assert f"KIOSK_SESSION={session}/release/libexec/kiosk-session" in done.stdout
    assert "SDL_VIDEODRIVER" not in done.stdout


def test_probe_says_where_the_app_would_draw_or_why_it_cannot(session: Path) -> None:
    dark = str(sysfs(session / "dark", {"card1": {"HDMI-A-1": "disconnected"}}))
    lit = str(sysfs(session / "lit", PI5_DSI))
    missing = start(session, "--probe", KIOSK_SYSFS=dark)
    assert missing.returncode == 1 and "no connected display" in missing.stdout
    found = start(session, "--probe", KIOSK_SYSFS=lit)
    assert (found.returncode, found.stdout) == (0, "card2 (DSI-1) through KMS/DRM\n")
    assert "argv:" not in missing.stdout + found.stdout  # it only looks


def test_x11_draws_on_the_x_display_that_is_listening(session: Path) -> None:
    # Xvfb or a desktop's X server: its abstract socket is what a unit with PrivateTmp reaches.
    listening = str(procfs(session / "x", "@/tmp/.X11-unix/X1", "/tmp/.X11-unix/X1"))
    done = start(session, KIOSK_DISPLAY="x11", DISPLAY=":1", KIOSK_PROCFS=listening)
    assert done.returncode == 0, done.stderr
    assert "SDL_VIDEODRIVER=x11" in done.stdout and "DISPLAY=:1" in done.stdout.splitlines()
    assert "drawing on the X display :1" in done.stderr
    probe = start(session, "--probe", KIOSK_DISPLAY="x11", DISPLAY=":1", KIOSK_PROCFS=listening)
    assert (probe.returncode, probe.stdout) == (0, "the X display :1\n")


def test_x11_with_no_x_server_starts_the_no_screen_mode(session: Path) -> None:
    other = str(procfs(session / "x", "@/tmp/.X11-unix/X0", "/run/dbus/system_bus_socket"))
    done = start(session, KIOSK_DISPLAY="x11", DISPLAY=":1", KIOSK_PROCFS=other)
    assert done.returncode == 0, done.stderr
    assert (
        "KIOSK_NO_SCREEN=no X server answers on DISPLAY=:1 (is the desktop, or Xvfb, running?)"
    ) in done.stdout
    # DISPLAY defaults to :0, the first desktop's.
    default = start(session, "--probe", KIOSK_DISPLAY="x11", KIOSK_PROCFS=other)
    assert (default.returncode, default.stdout) == (0, "the X display :0\n")


@pytest.mark.parametrize("mode", ["cage", "wayland"])
def test_an_unknown_display_mode_is_refused(session: Path, mode: str) -> None:
    # cage is gone: it could never show the app (no Xwayland, no Wayland driver in Kivy's SDL).
    done = start(session, KIOSK_SYSFS=str(sysfs(session, PI5_DSI)), KIOSK_DISPLAY=mode)
    assert done.returncode == 2
    assert f"KIOSK_DISPLAY must be kms or x11, not '{mode}'" in done.stderr
    assert "argv:" not in done.stdout


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
        "video render input dialout audio"
    ]
    # kiosk-session execs the app: its READY=1 and watchdog pings come from the main process.
    assert unit["Type"] == ["notify"] and unit["WatchdogSec"] == ["30"]
    assert unit["NotifyAccess"] == ["main"]
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
