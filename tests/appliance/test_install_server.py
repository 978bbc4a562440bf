"""deploy/install-server.sh for real, under --root: SQLite with a school CA made on the spot, or
PostgreSQL with the school's own certificate; a second run, upgrade, rollback and uninstall."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.appliance.conftest import (
    SHADOW_BACKUPS,
    WHEELHOUSE,
    copy_checkout,
    differences,
    fresh_pi,
    ids,
    need_tools,
    run_script,
    scratch_dir,
    snapshot,
)

# A module's first test pays for its fixture's installer runs, each building a real virtualenv:
# on two cores shared with other work that is more than the suite's 120 s.
pytestmark = pytest.mark.timeout(900)
ENV = "etc/library-server/server.env"


def install(root: Path, *args: str | Path, src: Path | None = None) -> str:
    kwargs = {"src": src} if src else {}
    done = run_script("install-server.sh", "--root", root, *args, **kwargs)  # type: ignore[arg-type]
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def values(root: Path) -> dict[str, str]:
    lines = (root / ENV).read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def stand_in_server(root: Path) -> None:
    """kiosk-server is issue 8's: until it lands, a stand-in makes the unit's ExecStart exist."""
    path = root / "opt/library-server/current/venv/bin/kiosk-server"
    if not path.exists():
        path.write_text("#!/bin/sh\nexit 0\n")
        path.chmod(0o755)


@pytest.fixture(scope="module")
def school_server() -> Iterator[tuple[Path, str]]:
    need_tools()
    root = fresh_pi(scratch_dir("server-root-"), hostname="libsrv")
    out = install(root, "--wheelhouse", WHEELHOUSE, "--librarian", "wang")
    yield root, out
    shutil.rmtree(root)


def test_sqlite_by_default_with_a_school_ca_and_certificate(
    school_server: tuple[Path, str],
) -> None:
    root, out = school_server
    env = values(root)
    assert env["LIBRARY_SERVER_DB"] == "sqlite:////var/lib/library-server/server.db"
    assert (env["LIBRARY_SERVER_HOST"], env["LIBRARY_SERVER_PORT"]) == ("0.0.0.0", "8443")  # noqa: S104
    tls = root / "etc/library-server/tls"
    assert env["LIBRARY_SERVER_TLS"] == (
        "--tls-cert /etc/library-server/tls/server.crt --tls-key /etc/library-server/tls/server.key"
    )
    verified = subprocess.run(
        ["openssl", "verify", "-CAfile", tls / "ca.crt", tls / "server.crt"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr
    names = subprocess.run(
        ["openssl", "x509", "-in", tls / "server.crt", "-noout", "-ext", "subjectAltName"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "DNS:libsrv" in names and "DNS:libsrv.local" in names
    tree = snapshot(root)
    server_gid = ids(root, "group", "library-server")[0]
    server_uid = ids(root, "passwd", "library-server")[0]
    assert server_uid < 1000
    assert tree["etc/library-server/tls/ca.key"][:3] == ("-rw-------", 0, 0)
    assert tree["etc/library-server/tls/server.key"][:3] == ("-rw-r-----", 0, server_gid)
    assert tree[ENV][:3] == ("-rw-r-----", 0, server_gid)
    assert tree["var/lib/library-server"][:3] == ("drwxr-x---", server_uid, server_gid)
    assert tree["etc/systemd/system/multi-user.target.wants/library-server.service"][3] == (
        "-> /etc/systemd/system/library-server.service"
    )
    # What needs the server itself is named, not silently dropped.
    assert "database: not under --root" in out and "kiosk-server migrate --db sqlite:" in out
    assert "librarian wang: not under --root" in out


def test_the_installed_unit_passes_systemd_analyze_verify(school_server: tuple[Path, str]) -> None:
    root, _ = school_server
    stand_in_server(root)
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", f"--root={root}", "library-server.service"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr, done.stdout) == (0, "", "")


def test_postgres_own_certificate_second_run_upgrade_rollback_uninstall() -> None:
    need_tools()
    root = fresh_pi(scratch_dir("server-pg-"), hostname="district")
    work = scratch_dir("server-work-")
    try:
        cert, key = work / "cert.pem", work / "key.pem"
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "30",
                "-subj",
                "/CN=library.district.example",
                "-keyout",
                key,
                "-out",
                cert,
            ],
            capture_output=True,
            check=True,
        )
        pristine = snapshot(root)
        args = ["--postgres", "--port", "9443", "--tls-cert", cert, "--tls-key", key]
        install(root, *args, "--wheelhouse", WHEELHOUSE)
        env = values(root)
        assert env["LIBRARY_SERVER_DB"] == "postgresql:///library?host=/run/postgresql"
        assert env["LIBRARY_SERVER_PORT"] == "9443"
        assert (root / "etc/library-server/tls/server.crt").read_bytes() == cert.read_bytes()
        assert not (root / "etc/library-server/tls/ca.key").exists()  # no CA of our own
        first = snapshot(root)
        again = install(root, *args, "--wheelhouse", WHEELHOUSE)
        assert differences(first, snapshot(root)) == [] and "wrote" not in again

        newer = copy_checkout(work / "newer")
        pyproject = newer / "pyproject.toml"
        pyproject.write_text(
            pyproject.read_text().replace('version = "0.1.0"', 'version = "0.1.1"')
        )
        install(root, "--wheelhouse", WHEELHOUSE, src=newer)
        opt = root / "opt/library-server"
        upgraded, previous = (opt / "current").readlink(), (opt / "previous").readlink()
        assert upgraded.name.startswith("0.1.1-") and previous.name.startswith("0.1.0-")
        assert values(root) == env  # server.env is never overwritten
        install(root, "--rollback")
        assert ((opt / "current").readlink(), (opt / "previous").readlink()) == (previous, upgraded)

        install(root, "--uninstall")
        left = [
            c
            for c in differences(pristine, snapshot(root), mtimes=False)
            if c.split(":")[0] not in SHADOW_BACKUPS
        ]
        assert left and all(c.startswith("var/lib/library-server") for c in left), left
        saved = root / "var/lib/library-server/saved-config"
        assert (saved / "server.env").is_file()
        # Installed again, the server comes back as it was: its settings and its certificate
        # (paired kiosks keep trusting it), not a new default configuration.
        install(root, "--wheelhouse", WHEELHOUSE)
        assert values(root) == env
        assert (root / "etc/library-server/tls/server.crt").read_bytes() == cert.read_bytes()
        assert not saved.exists()
    finally:
        shutil.rmtree(root)
        shutil.rmtree(work)


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--port", "443"], "--port 443: use a port from 1024 to 65535"),
        (["--tls-cert", "/etc/hostname"], "--tls-cert and --tls-key go together"),
        (["--name", "bad name"], "--name 'bad name': not a host name"),
    ],
)
def test_a_bad_argument_stops_before_anything_changes(args: list[str], reason: str) -> None:
    need_tools()
    root = fresh_pi(scratch_dir("server-bad-"))
    try:
        before = snapshot(root)
        done = run_script("install-server.sh", "--root", root, *args)
        assert done.returncode == 1 and reason in done.stderr, done.stderr
        assert differences(before, snapshot(root)) == []
    finally:
        shutil.rmtree(root)
