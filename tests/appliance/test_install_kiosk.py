"""deploy/install-kiosk.sh for real, under --root: install, again, upgrade, rollback, uninstall.

One scratch root goes through the whole life of a kiosk (module fixture); each test asserts on
what one stage left there. The releases are real virtualenvs whose `kiosk` command runs.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kiosk.config import load as load_config
from kiosk.store import Store
from tests.appliance.conftest import (
    SHADOW_BACKUPS,
    WHEELHOUSE,
    Entry,
    copy_checkout,
    differences,
    fresh_pi,
    ids,
    members,
    need_tools,
    run_script,
    scratch_dir,
    snapshot,
)
from tests.conftest import REPO

# A module's first test pays for its fixture's installer runs, each building a real virtualenv:
# on two cores shared with other work that is more than the suite's 120 s.
pytestmark = pytest.mark.timeout(900)
SERVER = "https://library.school.example:8443"
UNITS = ("library-kiosk.service", "library-kiosk-sync.service")
RULES = "etc/udev/rules.d/70-library-readers.rules"


@dataclass
class Life:
    root: Path
    trees: dict[str, dict[str, Entry]] = field(default_factory=dict)
    runs: dict[str, subprocess.CompletedProcess[str]] = field(default_factory=dict)
    links: dict[str, tuple[str, str]] = field(default_factory=dict)
    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    shipped_rules: str = ""
    checkout: Path = REPO

    def run(self, stage: str, script_args: list[str | Path], src: Path = REPO) -> None:
        done = run_script("install-kiosk.sh", "--root", self.root, *script_args, src=src)
        assert done.returncode == 0, f"{stage}:\n{done.stdout}\n{done.stderr}"
        self.runs[stage] = done
        self.trees[stage] = snapshot(self.root)
        self.texts[stage] = {
            rel: (self.root / rel).read_text()
            for rel in (
                "etc/library-kiosk/kiosk.toml",
                "etc/library-kiosk/display.env",
                "etc/passwd",
                "etc/group",
                "boot/firmware/cmdline.txt",
                RULES,
            )
            if (self.root / rel).is_file()
        }
        opt = self.root / "opt/library-kiosk"
        if opt.is_dir():
            previous = opt / "previous"
            self.links[stage] = (
                str((opt / "current").readlink()),
                str(previous.readlink()) if previous.is_symlink() else "",
            )


@pytest.fixture(scope="module")
def life(pi_root: Path) -> Iterator[Life]:
    work = scratch_dir("kiosk-life-")
    token, ca = work / "token", work / "ca.pem"
    token.write_text("k1-secret-token\n")
    ca.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    pairing = ["--kiosk-id", "door-1", "--server", SERVER, "--token-file", token, "--ca-file", ca]
    offline = ["--wheelhouse", WHEELHOUSE]
    # A copy: others editing the checkout meanwhile would make the second run a new release.
    checkout = copy_checkout(work / "checkout")
    life = Life(pi_root, checkout=checkout)
    life.trees["pristine"] = snapshot(pi_root)
    life.texts["pristine"] = {
        rel: (pi_root / rel).read_text()
        for rel in ("etc/passwd", "etc/group", "boot/firmware/cmdline.txt")
    }
    life.run("first", [*pairing, *offline], src=checkout)
    life.run("second", [*pairing, *offline], src=checkout)
    # The school edits its scanners' USB ids and its config; then a newer checkout arrives.
    (pi_root / RULES).write_text((pi_root / RULES).read_text() + "# our scanner: 1eab:0003\n")
    config = pi_root / "etc/library-kiosk/kiosk.toml"
    config.write_text(config.read_text() + "# edited at the school\n")
    newer = copy_checkout(work / "newer")
    pyproject = newer / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "0.1.0"', 'version = "0.1.1"'))
    rules = newer / "deploy/udev/70-library-readers.rules"
    rules.write_text(rules.read_text() + "# a rule the newer release ships\n")
    life.shipped_rules = rules.read_text()
    life.run("upgrade", offline, src=newer)
    life.run("rollback", ["--rollback"], src=checkout)
    life.run("uninstall", ["--uninstall"], src=checkout)
    life.run("reinstall", offline, src=checkout)
    yield life
    shutil.rmtree(work)


def owner(life: Life, stage: str, rel: str) -> tuple[str, str, str]:
    """(mode, user, group) of a path as that stage left it, by name."""
    mode, uid, gid, _content, _mtime = life.trees[stage][rel]
    users = (
        {0: "root", ids(life.root, "passwd", "kiosk")[0]: "kiosk"}
        if stage != "uninstall"
        else {0: "root"}
    )
    groups = (
        {0: "root", ids(life.root, "group", "kiosk")[0]: "kiosk"}
        if stage != "uninstall"
        else {0: "root"}
    )
    return mode, users.get(uid, str(uid)), groups.get(gid, str(gid))


def test_first_run_lays_down_users_files_links_and_permissions(life: Life) -> None:
    root, tree = life.root, life.trees["first"]
    # The kiosk user: a system account with no login, in the groups the display and scanners need.
    passwd = [line.split(":") for line in life.texts["first"]["etc/passwd"].splitlines()]
    kiosk = next(fields for fields in passwd if fields[0] == "kiosk")
    assert int(kiosk[2]) < 1000 and kiosk[5:] == ["/var/lib/library-kiosk", "/usr/sbin/nologin"]
    for group in ("video", "render", "input", "dialout", "audio"):
        assert "kiosk" in members(root, group), group
    assert ids(root, "group", "kiosk") is not None
    expected = {
        "etc/library-kiosk": ("drwxr-x---", "root", "kiosk"),
        "etc/library-kiosk/kiosk.toml": ("-rw-r-----", "root", "kiosk"),
        "etc/library-kiosk/sync-token": ("-rw-r-----", "root", "kiosk"),
        "etc/library-kiosk/server-ca.pem": ("-rw-r--r--", "root", "root"),
        "etc/library-kiosk/display.env": ("-rw-r--r--", "root", "root"),
        "var/lib/library-kiosk": ("drwxr-x---", "kiosk", "kiosk"),
        "var/lib/library-kiosk/kiosk.db": ("-rw-r-----", "kiosk", "kiosk"),
        "etc/systemd/system/library-kiosk.service": ("-rw-r--r--", "root", "root"),
        "etc/systemd/system/library-kiosk-sync.service": ("-rw-r--r--", "root", "root"),
        "etc/systemd/journald.conf.d/library-kiosk.conf": ("-rw-r--r--", "root", "root"),
        "etc/systemd/logind.conf.d/library-kiosk.conf": ("-rw-r--r--", "root", "root"),
        "etc/systemd/system.conf.d/library-kiosk.conf": ("-rw-r--r--", "root", "root"),
        "etc/sysusers.d/library-kiosk.conf": ("-rw-r--r--", "root", "root"),
        RULES: ("-rw-r--r--", "root", "root"),
    }
    for rel, want in expected.items():
        assert owner(life, "first", rel) == want, rel
    current, previous = life.links["first"]
    assert current.startswith("releases/0.1.0-") and previous == ""
    release = f"opt/library-kiosk/{current}"
    assert tree[f"{release}/libexec/kiosk-session"][0] == "-rwxr-xr-x"
    assert tree[f"{release}/venv/bin/kiosk"][1:3] == (0, 0)  # the kiosk user cannot change its code
    assert not any(
        e[0][5] == "w" or e[0][8] == "w"
        for r, e in tree.items()
        if r.startswith("opt/") and e[0][0] != "l"
    )
    # The units are enabled, Ctrl+Alt+Del is masked, getty@tty1 is left for the kiosk to replace.
    for unit in UNITS:
        assert (
            tree[f"etc/systemd/system/multi-user.target.wants/{unit}"][3]
            == f"-> /etc/systemd/system/{unit}"
        )
    assert tree["etc/systemd/system/ctrl-alt-del.target"][3] == "-> /dev/null"
    assert tree["usr/local/bin/kiosk"][3] == "-> /opt/library-kiosk/current/venv/bin/kiosk"
    assert "etc/systemd/system/getty.target.wants/getty@tty1.service" in tree
    shipped = life.checkout / "deploy/udev/70-library-readers.rules"
    assert shipped.read_text() == life.texts["first"][RULES]
    # The config is the documented example (the shipped defaults) with this kiosk's id, its
    # server and the school's CA file; and the kiosk's own settings module reads it.
    config = tomllib.loads(life.texts["first"]["etc/library-kiosk/kiosk.toml"])
    example = tomllib.loads((life.checkout / "kiosk/kiosk.toml").read_text())
    ca = "/etc/library-kiosk/server-ca.pem"
    assert config == {
        **example,
        "kiosk": {**example["kiosk"], "id": "door-1"},
        "sync": {**example["sync"], "server": SERVER, "ca_file": ca},
    }
    with tempfile.TemporaryDirectory() as folder:
        written = Path(folder) / "kiosk.toml"
        written.write_text(life.texts["first"]["etc/library-kiosk/kiosk.toml"], encoding="utf-8")
        settings = load_config(written)
    assert (settings.kiosk_id, settings.sync.server) == ("door-1", SERVER)
    assert str(settings.sync.ca_file) == ca
    assert "KIOSK_DISPLAY=kms" in life.texts["first"]["etc/library-kiosk/display.env"]
    cmdline = life.texts["first"]["boot/firmware/cmdline.txt"]
    assert cmdline.count("consoleblank=0") == 1 and cmdline.count("vt.global_cursor_default=0") == 1
    assert cmdline.startswith("console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02")
    assert "\n" not in cmdline.rstrip("\n")  # still one line


def test_the_release_is_a_working_virtualenv_with_the_kiosk_database_made(life: Life) -> None:
    release = life.root / "opt/library-kiosk" / life.links["reinstall"][0]
    done = subprocess.run(
        [release / "venv/bin/kiosk", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and done.stdout.startswith("kiosk "), done.stderr
    with Store(life.root / "var/lib/library-kiosk/kiosk.db") as store:
        assert store.kiosk_id == "door-1"


def test_every_step_says_what_it_does(life: Life) -> None:
    out = life.runs["first"].stdout.splitlines()
    steps = [line for line in out if line.startswith("==> ")]
    assert len(steps) >= 8
    assert all(line.startswith(("==> ", "    ")) for line in out), out
    assert any("wrote /etc/library-kiosk/kiosk.toml" in line for line in out)


def test_a_second_run_changes_nothing(life: Life) -> None:
    assert differences(life.trees["first"], life.trees["second"]) == []
    assert "is already built" in life.runs["second"].stdout
    assert "wrote" not in life.runs["second"].stdout


def test_an_upgrade_keeps_the_previous_release_and_the_schools_edits(life: Life) -> None:
    first, _ = life.links["first"]
    current, previous = life.links["upgrade"]
    assert current.startswith("releases/0.1.1-") and previous == first
    tree = life.trees["upgrade"]
    assert any(
        r.startswith(f"opt/library-kiosk/{current}/venv/lib/")
        and "school_library_kiosk-0.1.1.dist-info" in r
        for r in tree
    )
    # Never overwritten: the config, and udev rules someone edited (the new ones are kept aside).
    assert life.texts["upgrade"]["etc/library-kiosk/kiosk.toml"].endswith(
        "# edited at the school\n"
    )
    assert life.texts["upgrade"][RULES].endswith("# our scanner: 1eab:0003\n")
    assert "kept /etc/udev/rules.d/70-library-readers.rules" in life.runs["upgrade"].stdout
    shipped = life.trees["upgrade"][
        f"opt/library-kiosk/{current}/share/udev/70-library-readers.rules"
    ]
    assert shipped[3] == hashlib.sha256(life.shipped_rules.encode()).hexdigest()


def test_rollback_returns_to_the_previous_release(life: Life) -> None:
    upgraded, first = life.links["upgrade"]
    assert life.links["rollback"] == (first, upgraded)
    # Nothing but the links moved: the data and the config are as the upgrade left them.
    changed = differences(life.trees["upgrade"], life.trees["rollback"])
    assert changed and all(
        c.startswith(("opt/library-kiosk/current", "opt/library-kiosk/previous")) for c in changed
    ), changed


def test_uninstall_leaves_only_the_data(life: Life) -> None:
    changed = [
        c
        for c in differences(life.trees["pristine"], life.trees["uninstall"], mtimes=False)
        if c.split(":")[0] not in SHADOW_BACKUPS
    ]
    assert changed and all(c.startswith("var/lib/library-kiosk") for c in changed), changed
    tree = life.trees["uninstall"]
    assert (
        tree["var/lib/library-kiosk/kiosk.db"][3]
        == life.trees["rollback"]["var/lib/library-kiosk/kiosk.db"][3]
    )
    for rel in ("etc/passwd", "etc/group", "boot/firmware/cmdline.txt"):
        assert life.texts["uninstall"][rel] == life.texts["pristine"][rel], rel
    saved = "var/lib/library-kiosk/saved-config"
    assert tree[saved][0] == "drwx------" and tree[saved][1] == 0
    assert f"{saved}/kiosk.toml" in tree and f"{saved}/70-library-readers.rules" in tree


def test_a_new_install_after_uninstall_restores_the_saved_configuration(life: Life) -> None:
    texts = life.texts["reinstall"]
    assert (
        texts["etc/library-kiosk/kiosk.toml"]
        == life.texts["upgrade"]["etc/library-kiosk/kiosk.toml"]
    )
    assert texts[RULES] == life.texts["upgrade"][RULES]
    assert "var/lib/library-kiosk/saved-config" not in life.trees["reinstall"]
    assert owner(life, "reinstall", "etc/library-kiosk/sync-token") == (
        "-rw-r-----",
        "root",
        "kiosk",
    )
    assert owner(life, "reinstall", "var/lib/library-kiosk/kiosk.db")[1:] == ("kiosk", "kiosk")


def test_systemd_analyze_verify_passes_on_the_installed_units(life: Life) -> None:
    for unit in UNITS:
        done = subprocess.run(
            ["systemd-analyze", "verify", "--man=no", f"--root={life.root}", unit],
            capture_output=True,
            text=True,
            check=False,
        )
        assert (done.returncode, done.stderr, done.stdout) == (0, "", ""), unit


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--kiosk-id", "door 1"], "--kiosk-id 'door 1': use letters, digits"),
        (["--server", "http://library.school"], "starts with https://"),
        (["--display", "wayland"], "--display must be kms or x11, not 'wayland'"),
        (["--display", "cage"], "--display cage is gone: it could never show the app"),
        (["--rollback"], "nothing is installed under /opt/library-kiosk"),
        (["--bogus"], "unknown argument: --bogus"),
    ],
)
def test_a_bad_argument_stops_before_anything_changes(args: list[str], reason: str) -> None:
    need_tools()
    root = fresh_pi(scratch_dir("pi-bad-"))
    try:
        before = snapshot(root)
        done = run_script("install-kiosk.sh", "--root", root, "--wheelhouse", WHEELHOUSE, *args)
        assert done.returncode != 0 and reason in done.stderr, done.stderr
        assert differences(before, snapshot(root)) == []
    finally:
        shutil.rmtree(root)


def test_a_persons_account_named_kiosk_is_never_taken_over() -> None:
    need_tools()
    root = fresh_pi(scratch_dir("pi-user-"))
    try:
        with (root / "etc/passwd").open("a") as passwd:
            passwd.write("kiosk:x:1001:1001:Ms Wang:/home/kiosk:/bin/bash\n")
        done = run_script("install-kiosk.sh", "--root", root, "--wheelhouse", WHEELHOUSE)
        assert done.returncode == 1
        assert "a person's account named 'kiosk' exists (uid 1001)" in done.stderr
        assert not (root / "opt/library-kiosk").exists()
    finally:
        shutil.rmtree(root)


def test_a_failing_command_stops_the_install_and_says_where() -> None:
    need_tools()
    root = fresh_pi(scratch_dir("pi-fail-"))
    try:
        (root / "opt").rmdir()
        (root / "opt").write_text("not a directory")  # nothing can be built under /opt
        done = run_script("install-kiosk.sh", "--root", root, "--wheelhouse", WHEELHOUSE)
        assert done.returncode == 1
        assert "failed while building the release in /opt/library-kiosk" in done.stderr
        assert "nothing after it was done" in done.stderr
        assert not (root / "etc/library-kiosk").exists()  # the later steps did not run
    finally:
        shutil.rmtree(root)


def test_the_installed_kiosk_doctor_checks_the_laid_down_appliance(life: Life) -> None:
    kiosk = life.root / "opt/library-kiosk/current/venv/bin/kiosk"
    config = life.root / "etc/library-kiosk/kiosk.toml"
    done = subprocess.run(
        [kiosk, "doctor", "--config", config, "--root", life.root, "--json", "--lang", "en"],
        capture_output=True,
        text=True,
        check=False,
    )
    found = {}
    for line in done.stdout.splitlines():
        result = json.loads(line)
        found[(result["check"], result.get("subject", ""))] = result.get("reason", result["ok"])
    assert done.returncode == 1, done.stderr  # no scanners here, and the CA file is made up
    assert found[("config", "")] == "ok" and found[("database", "")] == "ok"
    assert found[("journal", "")] is True
    assert found[("scanner", "book /dev/library/book-scanner")] == "not_found"
    assert found[("tls", "")] == "untrusted"  # our test CA file is not a certificate
    assert found[("clock", "")] == found[("sd_card", "")] == "not_booted"
    assert found[("unit", "library-kiosk.service")] == "not_booted"
