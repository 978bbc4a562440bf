"""`kiosk sync once` and `kiosk sync run`: the sync worker, beside the touchscreen app.

It opens the same SQLite file as the app (WAL: both can), never the door. The sync code lives in
``sync/`` and needs the ``sync`` extra (pydantic); it is imported only here, when the
command runs, so a kiosk without it still runs everything else.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("once", "run"), help="once: one sync; run: keep syncing")
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="kiosk.toml with a [sync] table (see docs/protocol.md)",
    )
    parser.add_argument(
        "--db", type=Path, metavar="PATH", help="the kiosk's SQLite file (overrides the config)"
    )
    parser.add_argument("--server", metavar="URL", help="the central server, https://HOST:PORT")
    parser.add_argument(
        "--token-file", type=Path, metavar="FILE", help="file holding this kiosk's token"
    )
    parser.add_argument(
        "--ca-file", type=Path, metavar="FILE", help="the school's CA certificate (PEM)"
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="once: how long to wait for another sync of this kiosk to finish (default 300)",
    )


def sync(args: argparse.Namespace) -> int:
    try:
        from sync import settings as sync_settings
        from sync.worker import client as sync_client
        from sync.worker import cycle, loop, turn
    except ImportError as exc:
        print(
            f"kiosk: sync needs the `sync` extra ({exc.name} is missing): "
            "pip install 'school-library-kiosk[sync]'",
            file=sys.stderr,
        )
        return 1
    from kiosk.clocks import machine_clock
    from kiosk.config import ConfigError, load
    from kiosk.store import Store

    try:
        # The same file, read the same way, as `kiosk run --config` (with the shipped defaults
        # under it); without --config the command line says everything.
        base = load(args.config).sync if args.config is not None else sync_settings.Settings()
        settings = sync_settings.resolve(
            base,
            db=args.db,
            server=args.server,
            token_file=args.token_file,
            ca_file=args.ca_file,
        ).complete()
    except ConfigError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 1
    except sync_settings.SettingsError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2 if args.config is None else 1
    assert settings.db is not None and settings.server is not None
    with Store(settings.db) as store:
        if settings.kiosk_id is not None and settings.kiosk_id != store.kiosk_id:
            print(
                f"kiosk: [kiosk] id is {settings.kiosk_id!r} but {settings.db} belongs to kiosk "
                f"{store.kiosk_id!r}",
                file=sys.stderr,
            )
            return 1
        clock = machine_clock()
        client = sync_client.SyncClient(
            settings.server,
            settings.token(),
            ca_file=settings.ca_file,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            # A certificate's dates mean nothing to a clock that is not set (see the client).
            clock_synced=lambda: clock.read().synced,
        )
        try:
            if args.action == "once":
                try:
                    lock = turn.take_turn(
                        store, sleep=_pause, patience=max(0.0, args.wait), say=_say
                    )
                    assert lock is not None  # _pause never asks to stop
                    try:
                        report = cycle.sync_once(store, client, settings, clock)
                    finally:
                        lock.release()
                except sync_client.SyncError as exc:
                    waiting = store.sync.status().events_waiting
                    print(
                        f"kiosk: sync failed: {exc}; {waiting} event(s) wait for the next try",
                        file=sys.stderr,
                    )
                    return 1
                print(f"sync with {settings.server}: {report}")
                return 0
            logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
            stop = threading.Event()

            def _stop(_signum: int, _frame: FrameType | None) -> None:
                stop.set()

            signal.signal(signal.SIGTERM, _stop)
            signal.signal(signal.SIGINT, _stop)
            loop.run(store, client, settings, clock, sleep=lambda s: not stop.wait(s))
            return 0
        finally:
            client.close()


def _pause(seconds: float) -> bool:
    time.sleep(seconds)  # an admin's `kiosk sync once` waiting for the service's sync
    return True


def _say(message: str) -> None:
    print(f"kiosk: {message}", file=sys.stderr)
