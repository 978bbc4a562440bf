"""`kiosk run`: the touchscreen app, fullscreen with the configured scanners, or scripted/demo.

Everything is chosen here, before Kivy starts: the config (a bad key is one message, exit 1),
the clock (the system's, or a scripted one from --at in the scripted mode), the scanners (fakes
only in --script and --demo, never as a fallback), the window and Kivy's settings. On the kiosk,
a missing screen is a state, not a crash (kiosk/ui/no_screen.py): libexec/kiosk-session says
why in KIOSK_NO_SCREEN, and the app waits for one instead of starting Kivy.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hardware import MissingExtra, ScannerUrlError
from kiosk.clocks import TIMESYNC_FLAG, Clock, ScriptedClock, machine_clock
from kiosk.commands._output import error, parse_time
from kiosk.config import ConfigError, KioskConfig, hash_pin, load, parse_size
from kiosk.core.policy_file import parse_policy
from kiosk.store import Store, StoreError
from kiosk.ui.no_screen import NO_DISPLAY, NO_WINDOW, SHOWING, ScreenWait
from kiosk.ui.runtime import Runtime, StartedClock, open_scanners
from kiosk.ui.script_file import ScriptError, parse_script
from kiosk.ui.sd_notify import Notifier

SCRIPT_SCANNER = "script"
DEMO_SCANNER = "demo"
SAMPLE = Path(__file__).resolve().parent.parent / "sample"
# Set by libexec/kiosk-session (deploy/kiosk-session.sh) when it finds no display: why, and the
# script itself, to ask again (`kiosk-session --probe`).
NO_SCREEN_ENV = "KIOSK_NO_SCREEN"
SESSION_ENV = "KIOSK_SESSION"
# The on-screen demo cards and books (the sample school): label, code.
DEMO_CODES = (
    ("孟子乐", "202430101"),
    ("任妍宇", "202430102"),
    ("武老师", "T0001"),
    ("小王子", "0001002"),
    ("夏洛的网", "0001003"),
    ("草房子", "0001005"),
    ("新华字典", "0001031"),
    ("我借好了", "@done"),
)


# The demo's own settings (docs/ui.md): new books to show, a librarian card, a helper card and
# the PIN 2468, so every screen can be reached from the demo window.
DEMO_SETTINGS: dict[str, Any] = {
    "new_arrivals": ("0001016", "0001017", "0001019", "0001013"),
    "librarian_cards": frozenset({"T0002"}),
    "helper_cards": frozenset({"202430103"}),
}
DEMO_PIN = "2468"
DEMO_STRIP_PX = 56  # the row of sample cards and books under the demo's kiosk screen


def run(args: argparse.Namespace) -> int:
    if args.hash_pin:
        return _print_pin_hash()
    try:
        config = load(args.config)
    except ConfigError as exc:
        error(str(exc))
        return 1
    if args.demo and args.config is None:
        # The demo's librarian card, helper card and PIN, on the given database or a new copy
        # of the sample school.
        config = replace(
            config,
            database=args.db or sample_school(demo_database()),
            pin_hash=hash_pin(DEMO_PIN),
            **DEMO_SETTINGS,
        )
    if args.db is not None:
        config = replace(config, database=args.db)
    if args.lang is not None:
        config = replace(config, language=args.lang)
    scripted = args.script is not None
    kiosk_mode = not (args.demo or scripted)
    if kiosk_mode and os.environ.get(NO_SCREEN_ENV):
        return _wait_for_screen(config, os.environ[NO_SCREEN_ENV], NO_DISPLAY)
    if args.demo or scripted:
        # A laptop or a test run: a window, Kivy's files beside the database, not in /var/lib.
        config = replace(config, data_dir=Path(config.database).resolve().parent / ".kiosk-ui")
    try:
        size = parse_size(args.size) if args.size else config.display.size
    except ValueError as exc:
        error(str(exc))
        return 2
    if args.demo and not args.size:
        size = (
            size[0],
            size[1] + DEMO_STRIP_PX,
        )  # the kiosk screen, and the demo's buttons under it
    fullscreen = config.display.fullscreen and not (args.demo or scripted or args.size)
    clock: Clock
    advance = None
    if scripted:
        start = _start_time(args.at, config)
        scripted_clock = (
            ScriptedClock.given(start)  # the operator's time, as with `kiosk scan --at`
            if args.at is not None
            else ScriptedClock(start, synced=TIMESYNC_FLAG.exists())
        )
        clock, advance = scripted_clock, scripted_clock.advance
    elif args.at is not None:
        clock = StartedClock(_start_time(args.at, config))
    else:
        clock = machine_clock()
    # The script types into its own scanner; in the demo, the on-screen buttons and keyboard do.
    typed = SCRIPT_SCANNER if scripted else DEMO_SCANNER if args.demo else None
    names = tuple(r.name for r in config.scanners) + ((typed,) if typed else ())
    script = None
    if scripted:
        try:
            script = parse_script(args.script.read_text(encoding="utf-8"), names)
        except (OSError, UnicodeDecodeError) as exc:
            error(f"{args.script}: cannot read the script ({exc})")
            return 1
        except ScriptError as exc:
            error(f"{args.script}: {exc}")
            return 1
    try:
        scanners = open_scanners(config, fake=args.demo or scripted, typed=typed, clock=clock)
    except (ScannerUrlError, MissingExtra) as exc:
        error(f"scanners: {exc}")
        return 1
    from kiosk.ui import kivy_setup  # Kivy is imported only by the app, and only from here on

    try:
        fonts = kivy_setup.find_fonts(config.display.font, config.display.font_bold)
    except kivy_setup.FontMissingError as exc:
        error(str(exc))
        return 1
    level = logging.WARNING if scripted else logging.INFO  # a script's output: its problems
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    window = kivy_setup.WindowSettings(
        size, fullscreen, kiosk_mode, config.display.density, max_fps=max(0, args.max_fps)
    )
    if scripted:
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")  # no sound card on a test machine
    kivy_setup.prepare(config.data_dir, window, fonts, quiet=scripted)
    # systemctl stop and restart send SIGTERM. SDL would turn it into a close request, which
    # kiosk mode refuses like Alt+F4 (systemd would then wait and kill the app, and on_stop,
    # STOPPING=1 and the scanners' release would never run). SDL leaves alone a handler it
    # finds already set, so this one goes in before Kivy opens the window.
    stopping: list[Any] = []
    signal.signal(signal.SIGTERM, lambda *_: _terminate(stopping))
    if kiosk_mode:
        if not kivy_setup.open_window():
            why = "a display is connected, but no window opens on it (the lines above say why)"
            return _wait_for_screen(config, why, NO_WINDOW)
        _record_screen(config, SHOWING)
    runtime = Runtime(
        config=config,
        clock=clock,
        scanners=scanners,
        size=size,
        fullscreen=fullscreen,
        kiosk=not (args.demo or scripted),
        script=script,
        shots=args.shots,
        timings=args.timings,
        demo=args.demo,
        advance=advance,
        typed_scanner=typed,
        demo_codes=DEMO_CODES if args.demo else (),
    )
    from kiosk.ui.app import KioskApp

    app = KioskApp(runtime)
    if script is not None:
        from kiosk.ui.script import ScriptRunner

        runner = ScriptRunner(app)  # held here while the app runs
        app.on_started.append(runner.start)
    stopping.append(app)
    app.run()
    if scripted and args.shots is not None:
        print(f"screenshots: {args.shots}")
    return app.status


def _wait_for_screen(config: KioskConfig, why: str, state: str) -> int:
    """No screen to draw on: wait for one (kiosk/ui/no_screen.py), then exit for systemd to
    start the screen again."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # nothing to close: `systemctl stop` ends it
    session = os.environ.get(SESSION_ENV, "")
    wait = ScreenWait(
        why=why,
        probe=lambda: _probe(session),
        record=lambda found: _record_screen(config, found),
        notifier=Notifier(),
        sleep=time.sleep,
        say=lambda line: print(f"kiosk run: {line}", file=sys.stderr, flush=True),
        state=state,
    )
    return wait.run()


def _probe(session: str) -> str | None:
    """Where `kiosk-session --probe` finds a display, or None. Without the script to ask (the
    app started by hand, not by the unit) nothing is found: it waits until it is stopped."""
    if not session:
        return None
    try:
        done = subprocess.run(
            [session, "--probe"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (done.stdout.strip() or "found") if done.returncode == 0 else None


def _record_screen(config: KioskConfig, state: str) -> None:
    """The screen's state in the kiosk's file, for `kiosk doctor` and the heartbeat. A file that
    cannot be opened is the door's fault screen to show, not a reason to stop here."""
    try:
        with Store(Path(config.database)) as store:
            store.sync.set_screen_state(state)
    except (StoreError, OSError) as exc:
        print(f"kiosk run: the screen's state is not recorded: {exc}", file=sys.stderr)


def _terminate(app: list[Any]) -> None:
    if not app:
        raise SystemExit(128 + signal.SIGTERM)  # still starting: nothing to close yet
    app[0].terminate()


def _start_time(at: str | None, config: KioskConfig) -> datetime:
    timezone = "UTC"
    try:
        from kiosk.store import Store

        with Store(Path(config.database), read_only=True) as store:
            source = store.policy_source()
        if source:
            timezone = parse_policy(source).timezone
    except Exception:  # the app shows why the database cannot be used; here only the zone
        timezone = "UTC"
    return parse_time(at, timezone) if at else datetime.now(UTC)


def _print_pin_hash() -> int:
    pin = getpass.getpass("PIN (4 to 12 digits): ") if sys.stdin.isatty() else sys.stdin.readline()
    try:
        print(hash_pin(pin.strip()))
    except ValueError as exc:
        error(str(exc))
        return 2
    return 0


def demo_database() -> Path:
    return Path(tempfile.mkdtemp(prefix="kiosk-run-")) / "kiosk.db"


def sample_school(path: Path) -> Path:
    """The sample school (kiosk/sample) in a new database, as `kiosk demo` builds it."""
    from kiosk.imports import read_catalog, read_roster
    from kiosk.store import Store

    with Store.create(path, "demo-door") as store:
        store.save_policy((SAMPLE / "policy.toml").read_text(encoding="utf-8"))
        store.import_readers(read_roster(SAMPLE / "roster.csv").items)
        store.import_copies(read_catalog(SAMPLE / "catalog.csv").items)
    return path
