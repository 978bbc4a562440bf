"""A made-up Pi for the appliance checks: real files under a scratch root (config, database,
device nodes, /etc/passwd), and explicit doubles for what a test machine cannot have: grabbing
a scanner, the kiosk's server, systemd, the kernel log, a nearly full SD card."""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk.commands.doctor import doctor as file_doctor
from kiosk.health.command import run_doctor
from kiosk.health.machine import (
    Completed,
    DiskUsage,
    Grab,
    GrabResult,
    Machine,
    ServerAnswer,
)
from kiosk.store import Store
from tests.conftest import COPIES, EXAMPLES, READERS, REPO

KIOSK_UID, KIOSK_GID = 999, 999
ACTIVE = (
    "LoadState=loaded\nActiveState=active\nSubState=running\nNRestarts=0\nConditionResult=yes\n"
)
CLEAN_LOG = "Booting Linux on physical CPU 0x0\nmmc0: new ultra high speed SDR104 SDXC card\n"


@dataclass
class Pi:
    """One kiosk, healthy until a test breaks one thing."""

    root: Path
    grabs: dict[str, GrabResult] = field(default_factory=dict)
    answer: ServerAnswer = field(default_factory=lambda: ServerAnswer(None, "", 200, 12))
    units: dict[str, str] = field(default_factory=dict)
    kernel_log: Completed = field(default_factory=lambda: Completed(0, CLEAN_LOG))
    disk: DiskUsage = field(default_factory=lambda: DiskUsage(32 * 2**30, 20 * 2**30))
    asked: list[tuple[str, str, Path]] = field(default_factory=list)
    capsys: pytest.CaptureFixture[str] | None = None
    commands: list[list[str]] = field(default_factory=list)

    @property
    def config(self) -> Path:
        return self.root / "etc/library-kiosk/kiosk.toml"

    def file(self, system_path: str) -> Path:
        return self.root / system_path.lstrip("/")

    def set_config(self, old: str, new: str) -> None:
        text = self.config.read_text()
        assert old in text, old
        self.config.write_text(text.replace(old, new))

    def _run(self, argv: Sequence[str]) -> Completed:
        self.commands.append(list(argv))
        if argv[0] == "systemctl":
            return Completed(0, self.units.get(argv[-1], ACTIVE))
        if argv[0] in ("journalctl", "dmesg"):
            return self.kernel_log
        return Completed(127, "", f"{argv[0]}: not found")

    def _ask(self, url: str, token: str, ca: Path) -> ServerAnswer:
        self.asked.append((url, token, ca))
        return self.answer

    def machine(self) -> Machine:
        def grab(device: Path, _scheme: str) -> GrabResult:
            return self.grabs.get(device.name, GrabResult(Grab.OK))

        def as_owner(_path: Path) -> AbstractContextManager[None]:
            return nullcontext()

        return Machine(
            root=self.root,
            run=self._run,
            now=lambda: datetime(2026, 11, 23, 4, 15, tzinfo=UTC),
            grab=grab,
            ask_server=self._ask,
            disk_usage=lambda _path: self.disk,
            as_owner=as_owner,
        )

    def doctor(self, lang: str = "en") -> tuple[int, list[dict[str, object]]]:
        status, out = self.doctor_text(lang, as_json=True)
        return status, [json.loads(line) for line in out.splitlines()]

    def doctor_text(self, lang: str = "zh_CN", *, as_json: bool = False) -> tuple[int, str]:
        args = argparse.Namespace(json=as_json, lang=lang, rebuild_loans=False)
        assert self.capsys is not None
        self.capsys.readouterr()
        status = run_doctor(self.machine(), self.config, args, file_doctor)
        return status, self.capsys.readouterr().out


BOOT = "6f1b0a3e-boot-of-this-pi"
SCANNERS_TOML = """[[scanners]]
name = "book-scanner"
url = "evdev:///dev/library/book-scanner"
role = "book"

[[scanners]]
name = "card-scanner"
url = "evdev:///dev/library/card-scanner"
role = "card"

"""


def installed_config() -> str:
    """kiosk.toml as deploy/install-kiosk.sh makes it from the shipped defaults (its
    make_config), for a Pi whose two scanners are USB keyboards, paired with a server."""
    text = (REPO / "kiosk/kiosk.toml").read_text(encoding="utf-8")
    text = text.replace('id = ""', 'id = "door-1"', 1)
    text = text.replace('server = ""', 'server = "https://library.school.example:8443"', 1)
    text = text.replace('ca_file = ""', 'ca_file = "/etc/library-kiosk/server-ca.pem"', 1)
    start, end = text.index("\n[[scanners]]") + 1, text.index("\n[sounds]") + 1
    return text[:start] + SCANNERS_TOML + text[end:]


def make_pi(root: Path) -> Pi:
    etc = root / "etc"
    (etc / "library-kiosk").mkdir(parents=True)
    (etc / "passwd").write_text(
        f"root:x:0:0:root:/root:/bin/bash\nkiosk:x:{KIOSK_UID}:{KIOSK_GID}::/var/lib/library-kiosk:/usr/sbin/nologin\n"
    )
    (etc / "group").write_text(
        f"root:x:0:\ndialout:x:20:kiosk\ninput:x:101:kiosk\nkiosk:x:{KIOSK_GID}:\n"
    )
    (etc / "library-kiosk/kiosk.toml").write_text(installed_config())
    (etc / "library-kiosk/sync-token").write_text("k1-token\n")
    (etc / "library-kiosk/server-ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    data = root / "var/lib/library-kiosk"
    data.mkdir(parents=True)
    with Store.create(data / "kiosk.db", "door-1") as store:
        store.save_policy((EXAMPLES / "policy.toml").read_text(encoding="utf-8"))
        store.import_readers(READERS)
        store.import_copies(COPIES)
        # The sync worker's last attempt went well.
        store.sync.record_attempt(datetime(2026, 11, 23, 4, 10, tzinfo=UTC), succeeded=True)
    (root / "proc/sys/kernel/random").mkdir(parents=True)
    (root / "proc/sys/kernel/random/boot_id").write_text(f"{BOOT}\n")
    # The scanners' stable names, as udev makes them: links to nodes of the kiosk group.
    (root / "dev/input").mkdir(parents=True)
    (root / "dev/library").mkdir()
    for node, link in (("event3", "book-scanner"), ("event5", "card-scanner")):
        (root / "dev/input" / node).write_text("")
        (root / "dev/input" / node).chmod(0o660)
        shutil.chown(root / "dev/input" / node, group=KIOSK_GID)
        (root / "dev/library" / link).symlink_to(f"../input/{node}")
    (root / "run/systemd/timesync").mkdir(parents=True)
    (root / "run/systemd/timesync/synchronized").write_text("")
    return Pi(root)


@pytest.fixture
def pi(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Pi:
    made = make_pi(tmp_path / "pi")
    made.capsys = capsys
    return made


Breakage = Callable[[Pi], None]
