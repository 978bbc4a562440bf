"""The real probes of ``kiosk doctor``: a real HTTPS server on 127.0.0.1 with certificates made
by openssl (trusted, another CA's, another name's, not yet valid, expired), and a real serial
port (a pseudo-terminal) locked the way the serial scanner locks it."""

from __future__ import annotations

import fcntl
import http.server
import os
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.health.machine import Grab
from kiosk.health.probes import TOKEN_CHECK_PATH, ask_server, grab_device
from kiosk.server_client import ServerFailure

Serve = Callable[[str], str]
CA_CONFIG = """[ ca ]
default_ca = here
[ here ]
dir = {dir}
database = {dir}/index.txt
new_certs_dir = {dir}/new
serial = {dir}/serial
default_md = sha256
policy = anything
unique_subject = no
[ anything ]
commonName = supplied
"""


def openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], capture_output=True, check=True)


def make_ca(folder: Path, name: str) -> Path:
    folder.mkdir()
    (folder / "new").mkdir()
    (folder / "index.txt").write_text("")
    (folder / "serial").write_text("01\n")
    (folder / "ca.cnf").write_text(CA_CONFIG.format(dir=folder))
    openssl(
        "req",
        "-x509",
        "-new",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "30",
        "-subj",
        f"/CN={name}",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
        "-keyout",
        folder / "ca.key",
        "-out",
        folder / "ca.crt",
    )
    return folder


def issue(ca: Path, name: str, san: str, start: str, end: str) -> dict[str, Path]:
    key, csr, crt = ca / f"{name}.key", ca / f"{name}.csr", ca / f"{name}.crt"
    (ca / f"{name}.ext").write_text(f"subjectAltName={san}\n")
    openssl(
        "req",
        "-new",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        f"/CN={name}",
        "-keyout",
        key,
        "-out",
        csr,
    )
    openssl(
        "ca",
        "-batch",
        "-config",
        ca / "ca.cnf",
        "-cert",
        ca / "ca.crt",
        "-keyfile",
        ca / "ca.key",
        "-in",
        csr,
        "-out",
        crt,
        "-startdate",
        start,
        "-enddate",
        end,
        "-extfile",
        ca / f"{name}.ext",
    )
    return {name: crt, f"{name}.key": key}


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("pki")
    school, other = make_ca(base / "school", "School CA"), make_ca(base / "other", "Other CA")
    here = "DNS:localhost,IP:127.0.0.1"
    return {
        "ca": school / "ca.crt",
        "other_ca": other / "ca.crt",
        **issue(school, "good", here, "20200101000000Z", "20991231000000Z"),
        **issue(school, "future", here, "20991231000000Z", "21001231000000Z"),
        **issue(school, "expired", here, "20000101000000Z", "20010101000000Z"),
        **issue(
            school, "elsewhere", "DNS:library.other.example", "20200101000000Z", "20991231000000Z"
        ),
    }


class _Kiosks(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        good = self.path == TOKEN_CHECK_PATH and self.headers["Authorization"] == "Bearer good"
        self.send_response(200 if good else (404 if self.path != TOKEN_CHECK_PATH else 401))
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def serve(pki: dict[str, Path]) -> Iterator[Callable[[str], str]]:
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(cert: str) -> str:
        crt, key = pki[cert], pki[f"{cert}.key"]
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Kiosks)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(crt, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"https://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_trusted_server_accepts_the_token(serve: Serve, pki: dict[str, Path]) -> None:
    url = serve("good")
    assert ask_server(url, "good", pki["ca"]).failure is None
    refused = ask_server(url, "stolen", pki["ca"])
    assert (refused.failure, refused.status) == (ServerFailure.TOKEN_REFUSED, 401)
    assert ask_server(url + "/nowhere", "good", pki["ca"]).failure is ServerFailure.REFUSED  # 404


@pytest.mark.parametrize(
    ("cert", "ca", "expected"),
    [
        ("good", "other_ca", ServerFailure.UNTRUSTED),
        ("future", "ca", ServerFailure.NOT_YET_VALID),
        ("expired", "ca", ServerFailure.EXPIRED),
        ("elsewhere", "ca", ServerFailure.WRONG_NAME),
    ],
)
def test_certificate_problems_are_told_apart(
    serve: Serve, pki: dict[str, Path], cert: str, ca: str, expected: ServerFailure
) -> None:
    found = ask_server(serve(cert), "good", pki[ca])
    assert found.failure is expected, found


def test_a_server_that_is_not_there_is_unreachable(pki: dict[str, Path]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    found = ask_server(f"https://127.0.0.1:{port}", "good", pki["ca"])
    assert found.failure is ServerFailure.UNREACHABLE and "refused" in found.detail.lower()


def test_a_serial_port_is_free_or_held_like_the_scanner_holds_it() -> None:
    controller, port = os.openpty()
    try:
        path = Path(os.ttyname(port))
        assert grab_device(path, "serial").outcome is Grab.OK
        held = os.open(path, os.O_RDWR | os.O_NOCTTY)
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # what a running serial scanner holds
        try:
            assert grab_device(path, "serial").outcome is Grab.BUSY
        finally:
            os.close(held)
        assert grab_device(Path("/dev/no-such-port"), "rdm6300").outcome is Grab.FAILED
    finally:
        os.close(controller)
        os.close(port)
