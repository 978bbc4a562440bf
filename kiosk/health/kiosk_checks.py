"""The checks of what makes this Pi a kiosk: its config, its database, its scanners, its server.

Pure functions over a ``Machine``: each returns results and never raises for what it finds.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from hardware.errors import DeviceUnavailable
from hardware.events import Reason as ScannerReason
from hardware.host import Host
from hardware.sources.evdev_device import EvdevSource, list_input_devices
from hardware.spec import ScannerSpec, parse_scanner_url
from kiosk.config import OLD_NAMES
from kiosk.health.config import ConfigProblem, DoctorConfig, ScannerEntry, load_config
from kiosk.health.machine import Grab, Machine
from kiosk.health.results import Result, fail, ok, skipped
from kiosk.server_client import ServerFailure
from kiosk.store import Store, StoreError, SyncHealth, SyncProblem

KIOSK_USER = "kiosk"  # the user deploy/install-kiosk.sh makes; the scanners' udev group too
PHYSICAL_SCHEMES = ("evdev", "serial", "rdm6300")


def check_config(path: Path) -> tuple[Result, DoctorConfig | None]:
    try:
        config = load_config(path)
    except ConfigProblem as problem:
        return problem.result, None
    where = {"path": path, "kiosk_id": config.kiosk_id, "scanners": len(config.scanners)}
    if config.old_names:
        # It works as it is (read under the new name); the rename keeps the file as documented.
        old = config.old_names[0]
        return ok("config", "old_name", old=old, new=OLD_NAMES[old], **where), config
    return ok("config", **where), config


def check_database(machine: Machine, config: DoctorConfig) -> Result:
    path = machine.path(config.database)
    where: dict[str, object] = {"path": config.database, "kiosk_id": config.kiosk_id}
    if not path.exists():
        return fail("database", "missing", **where)
    try:
        # Read-only, like the file checks after it: it works beside a running kiosk.
        with Store(path, read_only=True) as store:
            found = store.kiosk_id
    except (StoreError, OSError) as exc:
        return fail("database", "unusable", error=exc, **where)
    if found != config.kiosk_id:
        return fail("database", "wrong_kiosk", found=found, **where)
    return ok("database", **where)


def check_scanners(machine: Machine, config: DoctorConfig, kiosk_running: bool) -> list[Result]:
    return [check_scanner(machine, entry, kiosk_running) for entry in config.scanners]


def check_scanner(machine: Machine, entry: ScannerEntry, kiosk_running: bool) -> Result:
    spec = parse_scanner_url(entry.url)  # load_config refused URLs that do not parse
    subject = f"{entry.role} {spec.target or spec.scheme}"
    if spec.scheme not in PHYSICAL_SCHEMES:
        return fail("scanner", "not_physical", subject, url=entry.url)
    found = _device(machine, spec, subject)
    if isinstance(found, Result):
        return found
    shown = "/" + str(found.relative_to(machine.root))
    try:
        node = found.resolve(strict=True)
        info = node.stat()
    except OSError:
        return fail("scanner", "not_found", subject, device=shown)
    if not _kiosk_can_open(machine, info, write=spec.scheme != "evdev"):
        return fail(
            "scanner",
            "no_access",
            subject,
            device=shown,
            owner=_name(machine, "passwd", info.st_uid),
            group=_name(machine, "group", info.st_gid),
            mode=stat.filemode(info.st_mode),
        )
    grab = machine.grab(node, spec.scheme)
    if grab.outcome is Grab.OK:
        return ok("scanner", "ok", subject, device=shown)
    if grab.outcome is Grab.BUSY:
        if kiosk_running:
            return ok("scanner", "in_use", subject, device=shown)
        return fail("scanner", "busy", subject, device=shown)
    return fail("scanner", "open_failed", subject, device=shown, error=grab.detail)


def _device(machine: Machine, spec: ScannerSpec, subject: str) -> Path | Result:
    if spec.target.startswith("/"):
        path = machine.path(spec.target)
        if not path.exists() and not path.is_symlink():
            return fail("scanner", "not_found", subject, device=spec.target)
        return path
    # A USB id or a device name: looked up the way the scanner does, in this machine's sysfs.
    host = Host(
        open_input_device=lambda _path: None,  # type: ignore[arg-type, return-value]  # never opened
        find_input_devices=lambda: list_input_devices(
            machine.path("/sys/class/input"), machine.path("/dev/input")
        ),
    )
    try:
        return Path(EvdevSource(spec, host).resolve())
    except DeviceUnavailable as exc:
        reason = "ambiguous" if exc.reason is ScannerReason.AMBIGUOUS else "not_found"
        return fail("scanner", reason, subject, device=spec.target, error=exc)


def _accounts(machine: Machine, table: str) -> list[list[str]]:
    try:
        text = machine.path(f"/etc/{table}").read_text(encoding="utf-8")
    except OSError:
        return []
    return [line.split(":") for line in text.splitlines() if line.count(":") >= 3]


def _name(machine: Machine, table: str, number: int) -> str:
    names = [row[0] for row in _accounts(machine, table) if row[2] == str(number)]
    return names[0] if names else str(number)


def _kiosk_can_open(machine: Machine, info: os.stat_result, *, write: bool) -> bool:
    """Would the kiosk user, with the groups /etc/group gives it, be let in by the mode bits?"""
    st_mode, st_uid, st_gid = info.st_mode, info.st_uid, info.st_gid
    user = [row for row in _accounts(machine, "passwd") if row[0] == KIOSK_USER]
    if not user:
        return False
    uid, gid = int(user[0][2]), int(user[0][3])
    groups = {gid} | {
        int(row[2]) for row in _accounts(machine, "group") if KIOSK_USER in row[3].split(",")
    }
    need = (stat.S_IRUSR | stat.S_IWUSR) if write else stat.S_IRUSR
    if st_uid == uid:
        bits = st_mode & 0o700
    elif st_gid in groups:
        bits = (st_mode & 0o070) << 3
    else:
        bits = (st_mode & 0o007) << 6
    return bits & need == need


def check_server(machine: Machine, config: DoctorConfig) -> list[Result]:
    """The server's reachability, its certificate and this kiosk's token, from one request."""
    sync = config.sync
    if sync is None or not sync.server:
        return [fail("server", "not_paired"), skipped("tls", "waits"), skipped("token", "waits")]
    token_path = machine.path(sync.token_file)
    # No ca_file: the server's certificate is checked against the system's trusted CAs.
    ca_path = machine.path(sync.ca_file) if sync.ca_file is not None else None
    token, missing = "", []
    try:
        token = token_path.read_text(encoding="utf-8").strip()
    except PermissionError:
        missing.append(fail("token", "unreadable", path=sync.token_file))
    except OSError:
        pass  # reported as missing below
    if not token and not missing:
        missing.append(fail("token", "missing", path=sync.token_file))
    if ca_path is not None and not ca_path.is_file():
        missing.append(fail("tls", "no_ca_file", path=sync.ca_file))
    if missing:
        return [skipped("server", "waits", server=sync.server), *missing]
    answer = machine.ask_server(sync.server, token, ca_path)
    where: dict[str, object] = {"server": sync.server, "ca_file": sync.ca_file or "—"}
    reached = ok("server", server=sync.server, ms=answer.milliseconds)
    failure = answer.failure
    if failure is None:
        return [reached, ok("tls", **where), ok("token", path=sync.token_file)]
    if failure is ServerFailure.UNREACHABLE:
        return [
            fail("server", "unreachable", server=sync.server, error=answer.detail),
            skipped("tls", "waits"),
            skipped("token", "waits"),
        ]
    if failure is ServerFailure.TOKEN_REFUSED:
        refused = fail("token", "refused", path=sync.token_file, kiosk_id=config.kiosk_id)
        return [reached, ok("tls", **where), refused]
    if failure in (ServerFailure.REFUSED, ServerFailure.BUSY, ServerFailure.BAD_ANSWER):
        # The server answered, but not as a server of this protocol would to a kiosk's token.
        bad = fail("server", "bad_answer", server=sync.server, status=answer.status)
        return [bad, ok("tls", **where), skipped("token", "waits")]
    tls = fail("tls", failure.value, error=answer.detail, now=machine.now(), **where)
    return [ok("server", "reachable", server=sync.server), tls, skipped("token", "waits")]


def sync_health(machine: Machine, config: DoctorConfig) -> SyncHealth | None:
    """What the sync worker last wrote about itself, or None if the file cannot say."""
    try:
        with Store(machine.path(config.database), read_only=True) as store:
            return store.sync.health()
    except (StoreError, OSError):
        return None


def check_sync(config: DoctorConfig, health: SyncHealth | None) -> Result:
    """How the sync worker's last attempt went, as it recorded it (kiosk.store._sync_health)."""
    if config.sync is None:
        return skipped("sync", "not_configured")
    if health is None:
        return skipped("sync", "waits")
    if health.last_attempt_at is None:
        return fail("sync", "never")
    last = (
        health.last_success_at.astimezone().strftime("%Y-%m-%d %H:%M")
        if (health.last_success_at)
        else "—"
    )
    if health.problem_kind is None:
        return ok("sync", last=last)
    reason = {
        SyncProblem.CLOCK_BEHIND_CERTIFICATE: "clock_behind_certificate",
        SyncProblem.UNREACHABLE: "unreachable",
        SyncProblem.REFUSED: "refused",
        SyncProblem.UNTRUSTED: "untrusted",
        SyncProblem.OVERLAPPED: "overlapped",
    }[health.problem_kind]
    return fail("sync", reason, last=last, problem=health.problem or "")
