"""`python -m tools.chaos.server`: the server's app, served as `kiosk-server serve` serves it, with
its clock set to the simulation's true time.

A school's server keeps NTP time: it is right. In the simulation the right time is the
simulated one (the week is compressed by jumps), so the server reads it from a simulated clock's
file (kiosk.clocks.SimulatedMachineClock, synchronised, written by the simulation at every jump)
instead of the machine's. With the machine's clock it would be days ahead of every kiosk: it
would place the events of a kiosk with an unsynchronised clock by their receipt days late, and
tell such a kiosk a time days off, which a school's server never does. Everything else is the
product's: the app (sync.server.app.create_app, whose clock is injected as the tests inject it),
the database checks, uvicorn with `serve`'s settings (sync.server.serving). It prints the line
`kiosk-server serve` prints once it listens.
"""

from __future__ import annotations

import argparse
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from kiosk.clocks import SimulatedMachineClock
from sync.server import db
from sync.server.app import create_app
from sync.server.ratelimit import RateLimit
from sync.server.serving import KEEP_ALIVE, ServeConfig

HEADER_TIMEOUT = 10.0  # `kiosk-server serve`'s default


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.chaos.server")
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--rate-limit", type=int, default=10_000)
    parser.add_argument("--clock", type=Path, required=True, help="the simulated clock's file")
    args = parser.parse_args(argv)
    clock = SimulatedMachineClock(args.clock)
    engine = db.engine_for(args.db)
    problem = db.schema_problem(engine)
    if problem is not None:
        print(f"kiosk-server: {problem}", file=sys.stderr)
        return 1
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(512)
    port = sock.getsockname()[1]
    print(f"kiosk-server: serving http://127.0.0.1:{port} with the simulated clock", flush=True)
    app = create_app(
        engine, rate_limit=RateLimit(limit=args.rate_limit), clock=lambda: clock.read().wall
    )
    config = ServeConfig(
        app,
        header_timeout=HEADER_TIMEOUT,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=KEEP_ALIVE,
    )
    uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
