"""The real `kiosk-server serve` and `kiosk sync` processes, as a school runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


class ServerProcess:
    """`kiosk-server serve` on 127.0.0.1; its address is the line it prints when it listens."""

    def __init__(
        self,
        db: str,
        *,
        port: int = 0,
        tls: tuple[Path, Path] | None = None,
        rate_limit: int = 10_000,
    ) -> None:
        argv = [
            str(BIN / "kiosk-server"),
            "serve",
            "--db",
            db,
            "--port",
            str(port),
            "--rate-limit",
            str(rate_limit),
        ]
        if tls is not None:
            argv += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
        self.process = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # printed once the socket listens
        if "serving" not in line:
            self.process.kill()
            _, err = self.process.communicate(timeout=30)
            raise RuntimeError(f"kiosk-server did not start: {line}{err}")
        self.url = line.split()[2]
        self.port = int(self.url.rsplit(":", 1)[1])

    def kill(self) -> None:
        """SIGKILL: no shutdown, no goodbye, as when the power goes."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self._drain()

    def stop(self) -> str:
        """SIGTERM and wait; what it printed on stderr."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        return self._drain()

    def _drain(self) -> str:
        err = self.process.stderr.read() if self.process.stderr else ""
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        return err


def kiosk(*argv: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "kiosk"), *(str(a) for a in argv)],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def server_command(*argv: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "kiosk-server"), *(str(a) for a in argv)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
