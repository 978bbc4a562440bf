"""The appliance booted for real: deploy/boot-test.sh (issue 15, docs/boot-test.md).

A Debian 12 root made with debootstrap is booted with systemd-nspawn, and the runbook is done in
it step for step with this checkout's installers: install, pair, the screen on a virtual display
with its watchdog, scans pushed to the server, crashes and freezes restarted, a second run that
changes nothing, upgrade and rollback, a reboot, uninstall and reinstall. About ten minutes with
the cache warm (/var/cache/library-kiosk-boot-test), a few more cold.

BOOT_TEST_STEPS picks the steps (e.g. "1-3" for a short form; default all). BOOT_TEST_ARM64=1
also runs the arm64 form under qemu-user (steps 1 and 3; about half an hour with a warm cache).
Marked root and slow by tests/conftest.py, like the rest of tests/appliance.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from tests.conftest import REPO

SCRIPT = REPO / "deploy" / "boot-test.sh"
GUEST_SCRIPTS = sorted((REPO / "deploy" / "boot").glob("*.sh"))
STEP_LINE = re.compile(r"^(ok|FAIL) +(\S+) +(.*)$", re.M)


def need_root() -> None:
    if os.geteuid() != 0:
        # A skip would read as a pass: this is the only proof the appliance boots.
        pytest.fail("the boot test needs root (debootstrap, systemd-nspawn): run deploy/test.sh so")


def run_boot_test(*args: str, minutes: int) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["bash", str(SCRIPT), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        errors="replace",  # a guest's journal line may hold anything: the steps' lines decide
        check=False,
        timeout=minutes * 60,
    )
    # Each step's line, as the script printed it, in pytest's report of this test.
    print(done.stdout)
    return done


def test_the_boot_test_scripts_pass_shellcheck() -> None:
    if shutil.which("shellcheck") is None:
        pytest.fail("shellcheck is missing: deploy/test.sh installs it (apt_need)")
    done = subprocess.run(
        ["shellcheck", "--external-sources", str(SCRIPT), *map(str, GUEST_SCRIPTS)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("steps", ["0", "9", "1-9", "two", "3-"])
def test_a_step_list_it_cannot_run_is_refused_before_anything_is_done(steps: str) -> None:
    done = subprocess.run(
        ["bash", str(SCRIPT), "--steps", steps],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert done.returncode == 2
    assert "use step numbers 1 to 8" in done.stderr


@pytest.mark.timeout(60 * 60)
def test_the_appliance_boots_installs_and_survives_on_amd64() -> None:
    need_root()
    steps = os.environ.get("BOOT_TEST_STEPS", "1-8")
    done = run_boot_test("--steps", steps, minutes=55)
    assert done.returncode == 0, done.stdout + done.stderr
    results = STEP_LINE.findall(done.stdout)
    assert results, done.stdout
    assert all(result == "ok" for result, _, _ in results), done.stdout
    assert "boot-test: amd64 passed" in done.stdout


@pytest.mark.timeout(120 * 60)
@pytest.mark.skipif(
    os.environ.get("BOOT_TEST_ARM64") != "1",
    reason="the arm64 boot test (qemu-user, about half an hour) runs with BOOT_TEST_ARM64=1",
)
def test_the_kiosk_installs_scans_and_syncs_on_arm64_under_emulation() -> None:
    need_root()
    done = run_boot_test("--arch", "arm64", minutes=115)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "boot-test: arm64 passed" in done.stdout
