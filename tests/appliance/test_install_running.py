"""deploy/install-kiosk.sh on a running system (tests/appliance/running_system.py's stand-in):
what it restarts, and when; journald after an interrupted run; --uninstall of a screen in its
restart loop; udev where udevd does not run; the packages it asks apt for. And, under --root,
a machine without the Raspberry Pi's cmdline.txt."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from tests.appliance.conftest import (
    WHEELHOUSE,
    copy_checkout,
    fresh_pi,
    need_tools,
    run_script,
    scratch_dir,
)
from tests.appliance.running_system import WHEELS, RunningPi

# A module's first test pays for its fixture's installer runs, each building a real virtualenv:
# on two cores shared with other work that is more than the suite's 120 s.
pytestmark = pytest.mark.timeout(900)
SCREEN, SYNC = "library-kiosk.service", "library-kiosk-sync.service"
JOURNALD = "systemd-journald.service"
PAIRING = ("--kiosk-id", "door-1", "--wheelhouse", WHEELS)
# What changes a running program: anything else the stand-in systemctl is asked only looks.
ACTIONS = ("daemon-reload", "restart", "start", "stop", "reset-failed")


def actions(calls: list[str]) -> list[str]:
    return [c for c in calls if c.startswith("systemctl ") and c.split()[1] in ACTIONS]


@dataclass
class Runs:
    pi: RunningPi
    done: dict[str, CompletedProcess[str]] = field(default_factory=dict)
    calls: dict[str, list[str]] = field(default_factory=dict)
    display_env: dict[str, list[str]] = field(default_factory=dict)

    def run(self, stage: str, src: Path, *args: str) -> CompletedProcess[str]:
        self.pi.forget_calls()
        done = self.pi.install(src, *args)
        self.done[stage], self.calls[stage] = done, self.pi.calls()
        env = self.pi.root / "etc/library-kiosk/display.env"
        self.display_env[stage] = env.read_text().splitlines() if env.exists() else []
        return done


@pytest.fixture(scope="module")
def checkout() -> Iterator[Path]:
    """One copy of the checkout for the module: others editing the tree meanwhile would make
    a second run a new release."""
    need_tools()
    base = scratch_dir("kiosk-src-")
    yield copy_checkout(base / "src")
    shutil.rmtree(base)


def running_pi(prefix: str) -> tuple[Path, RunningPi]:
    base = scratch_dir(prefix)
    (base / "root").mkdir(mode=0o755)
    pi = RunningPi.prepare(fresh_pi(base / "root"), base / "local")
    pi.set_state(JOURNALD, "active")  # journald always runs
    return base, pi


@pytest.fixture(scope="module")
def life(checkout: Path) -> Iterator[Runs]:
    """Install; the kiosk boots (both services run); the same command again; a display change;
    the screen finds no display and is in its restart loop; uninstall, where udevd does not
    run; install again there."""
    base, pi = running_pi("pi-running-")
    runs = Runs(pi)
    runs.run("first", checkout, *PAIRING)
    pi.set_state(SCREEN, "active")
    pi.set_state(SYNC, "active")
    runs.run("second", checkout, *PAIRING)
    runs.run("x11", checkout, *PAIRING, "--display", "x11")
    # The X server is on :1 here (Xvfb standing in for the panel, say): set in display.env.
    env = pi.root / "etc/library-kiosk/display.env"
    env.write_text(env.read_text().replace("DISPLAY=:0", "DISPLAY=:1"))
    runs.run("x11 again", checkout, *PAIRING, "--display", "x11")
    pi.set_state(SCREEN, "activating")
    pi.udev_fails()
    runs.run("uninstall", checkout, "--uninstall")
    runs.run("reinstall", checkout, "--wheelhouse", WHEELS)
    yield runs
    shutil.rmtree(base)


def test_a_second_run_with_the_same_arguments_restarts_nothing(life: Runs) -> None:
    assert life.done["first"].returncode == 0, life.done["first"].stderr
    assert life.done["second"].returncode == 0, life.done["second"].stderr
    # A child in mid-checkout at the door is not cut off by it.
    assert actions(life.calls["second"]) == []
    assert "restarted" not in life.done["second"].stdout


def test_a_run_restarts_only_what_its_change_concerns(life: Runs) -> None:
    done = life.done["x11"]
    assert done.returncode == 0, done.stderr
    assert actions(life.calls["x11"]) == [f"systemctl restart {SCREEN}"]
    assert f"restarted {SCREEN}: display.env changed" in done.stdout
    assert "KIOSK_DISPLAY=x11" in life.display_env["x11"]
    assert "DISPLAY=:0" in life.display_env["x11"]


def test_the_same_display_again_keeps_the_x_display_set_and_restarts_nothing(life: Runs) -> None:
    done = life.done["x11 again"]
    assert done.returncode == 0, done.stderr
    assert actions(life.calls["x11 again"]) == []
    assert "DISPLAY=:1" in life.display_env["x11 again"]
    assert "KIOSK_DISPLAY=x11" in life.display_env["x11 again"]


def test_the_packages_asked_for_include_sound_and_udev(life: Runs) -> None:
    asked = [c for c in life.calls["first"] if c.startswith("apt-get install")]
    assert len(asked) == 1
    assert {"libasound2", "udev", "espeak-ng"} <= set(asked[0].split()), asked
    # --display x11: SDL's X11 driver's libraries too.
    x11 = [c for c in life.calls["x11"] if c.startswith("apt-get install")]
    assert {"libx11-6", "libxext6", "libgl1"} <= set(x11[0].split()), x11


def test_uninstall_stops_a_screen_waiting_to_be_restarted(life: Runs) -> None:
    done = life.done["uninstall"]
    assert done.returncode == 0, done.stderr
    assert f"systemctl stop {SCREEN}" in life.calls["uninstall"]
    assert f"stopped {SCREEN} (it was activating)" in done.stdout
    assert f"removed /etc/systemd/system/{SCREEN}" in done.stdout


def test_udev_not_running_is_said_and_does_not_stop_the_script(life: Runs) -> None:
    for stage in ("uninstall", "reinstall"):
        done = life.done[stage]
        assert done.returncode == 0, f"{stage}: {done.stderr}"
        assert "udevadm control --reload" in life.calls[stage], stage
        assert (
            "udev is not running here (Failed to send reload request: No such file or "
            "directory): the rules apply from the next boot"
        ) in done.stdout, stage


def test_journald_is_restarted_by_the_run_after_one_that_stopped_half_way(
    checkout: Path,
) -> None:
    base, pi = running_pi("pi-journald-")
    try:
        blocker = pi.root / "etc/library-kiosk"
        blocker.write_text("not a directory")  # the configuration step fails
        runs = Runs(pi)
        stopped = runs.run("stopped", checkout, *PAIRING)
        assert stopped.returncode == 1
        assert "failed while configuration in /etc/library-kiosk" in stopped.stderr
        assert (pi.root / "etc/systemd/journald.conf.d/library-kiosk.conf").is_file()
        assert actions(runs.calls["stopped"]) == []
        blocker.unlink()
        done = runs.run("again", checkout, *PAIRING)
        assert done.returncode == 0, done.stderr
        assert f"systemctl restart {JOURNALD}" in runs.calls["again"]
        assert f"restarted {JOURNALD}: its settings changed" in done.stdout
        # Owed once: the run after that restarts nothing.
        runs.run("third", checkout, *PAIRING)
        assert actions(runs.calls["third"]) == []
        # The failed run said what to do.
        assert "what to do: /etc/library-kiosk must be a directory" in stopped.stderr
    finally:
        shutil.rmtree(base)


# --- under --root ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def no_cmdline(checkout: Path) -> Iterator[tuple[Path, CompletedProcess[str]]]:
    """A machine that is not Raspberry Pi OS: no /boot/firmware/cmdline.txt, nor /boot's."""
    root = fresh_pi(scratch_dir("pi-nocmdline-"))
    (root / "boot/firmware/cmdline.txt").unlink()
    done = run_script("install-kiosk.sh", "--root", root, "--wheelhouse", WHEELHOUSE, src=checkout)
    yield root, done
    shutil.rmtree(root)


def test_install_finishes_on_a_machine_without_cmdline_txt(
    no_cmdline: tuple[Path, CompletedProcess[str]],
) -> None:
    root, done = no_cmdline
    assert done.returncode == 0, done.stderr
    assert (
        "no /boot/firmware/cmdline.txt (not Raspberry Pi OS?): add consoleblank=0 "
        "vt.global_cursor_default=0 to the kernel command line yourself"
    ) in done.stdout
    # The steps after the console's ran: configuration, data, services.
    assert (root / "etc/library-kiosk/kiosk.toml").is_file()
    assert (root / "var/lib/library-kiosk/kiosk.db").is_file()
    assert (root / "etc/systemd/system/multi-user.target.wants" / SCREEN).is_symlink()
    assert not (root / "boot/firmware/cmdline.txt").exists()  # nothing made up


def test_the_packages_named_under_root_include_sound_and_udev(
    no_cmdline: tuple[Path, CompletedProcess[str]],
) -> None:
    _root, done = no_cmdline
    line = next(x for x in done.stdout.splitlines() if x.startswith("==> Debian packages"))
    assert " libasound2 " in line and " udev " in line, line


def test_a_broken_kiosk_toml_is_named_once_with_what_to_do(checkout: Path) -> None:
    root = fresh_pi(scratch_dir("pi-badtoml-"))
    try:
        (root / "etc/library-kiosk").mkdir()
        (root / "etc/library-kiosk/kiosk.toml").write_text('[kiosk\nid = "door-1"\n')
        done = run_script(
            "install-kiosk.sh", "--root", root, "--wheelhouse", WHEELHOUSE, src=checkout
        )
        assert done.returncode == 1
        assert "Traceback" not in done.stderr
        assert done.stderr.count("failed while") == 1, done.stderr  # not once per subshell
        assert "failed while data in /var/lib/library-kiosk" in done.stderr
        assert "/etc/library-kiosk/kiosk.toml: [kiosk] database cannot be read" in done.stderr
        assert "what to do: correct /etc/library-kiosk/kiosk.toml" in done.stderr
        assert (root / "etc/library-kiosk/kiosk.toml").read_text().startswith("[kiosk\n")
    finally:
        shutil.rmtree(root)
