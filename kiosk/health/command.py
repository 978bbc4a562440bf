"""``kiosk doctor --config FILE``: every appliance check, then the database file checks.

Kept apart from kiosk/commands/doctor.py, which owns the database file checks and calls this
when a config is given.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from kiosk.health.kiosk_checks import (
    check_config,
    check_database,
    check_scanners,
    check_server,
    check_sync,
    sync_health,
)
from kiosk.health.machine import Machine
from kiosk.health.probes import real_machine
from kiosk.health.report import json_line, text_line
from kiosk.health.results import Result, Status, skipped
from kiosk.health.screen_check import check_screen
from kiosk.health.system_checks import (
    check_clock,
    check_disk,
    check_sd_card,
    check_units,
    kiosk_running,
)
from kiosk.health.voice_checks import check_voice
from kiosk.i18n import DEFAULT_LANGUAGE

DEFAULT_DATA = PurePosixPath("/var/lib/library-kiosk")
EXIT_USAGE = 2


def appliance_doctor(
    args: argparse.Namespace, file_doctor: Callable[[argparse.Namespace], int]
) -> int:
    if args.config is None:
        print(
            "kiosk doctor: give --db PATH (the database file) or --config FILE "
            "(the whole appliance, e.g. /etc/library-kiosk/kiosk.toml)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    root = Path(args.root) if getattr(args, "root", None) else None
    machine = real_machine(root)
    return run_doctor(machine, Path(args.config), args, file_doctor)


def run_doctor(
    machine: Machine,
    config_path: Path,
    args: argparse.Namespace,
    file_doctor: Callable[[argparse.Namespace], int],
) -> int:
    """Print one line (or JSON object) per check; 1 if any failed, as the file doctor does."""
    language = getattr(args, "lang", None) or DEFAULT_LANGUAGE

    def emit(result: Result) -> None:
        print(json_line(result, language) if args.json else text_line(result, language), flush=True)

    units = check_units(machine)
    config_result, config = check_config(config_path)
    first: list[Result] = [config_result]
    rest: list[Result] = []
    file_status = 0
    health = None
    if config is None:
        first.append(skipped("database", "waits"))
        data_dir = DEFAULT_DATA
    else:
        first.append(check_database(machine, config))
        rest += check_scanners(machine, config, kiosk_running(units))
        rest += check_server(machine, config)
        if first[-1].status is Status.OK:
            rest.append(check_screen(machine, config))
        health = sync_health(machine, config) if first[-1].status is Status.OK else None
        rest.append(check_sync(config, health))
        rest += check_voice(machine, config_path)
        data_dir = config.database.parent
    server_clock = health.server_clock if health is not None else None
    rest += [check_clock(machine, server_clock), check_disk(machine, data_dir)]
    rest += [check_sd_card(machine), *units]
    for result in first:
        emit(result)
    if config is not None and first[-1].status is Status.OK:
        db = machine.path(config.database)
        file_args = argparse.Namespace(
            db=db,
            json=args.json,
            rebuild_loans=getattr(args, "rebuild_loans", False),
            repair=getattr(args, "repair", False),
            config=None,
            lang=language,  # the file checks speak the language the appliance checks speak
        )
        with machine.as_owner(db):
            file_status = file_doctor(file_args)
    for result in rest:
        emit(result)
    failed = any(r.status is Status.FAIL for r in first + rest)
    return 1 if failed or file_status else 0
