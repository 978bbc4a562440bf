"""The `kiosk` command: set a kiosk up, feed it scans, and look at what it recorded.

Each sub-command lives in :mod:`kiosk.commands`; this module only builds the parser and turns
the errors a person can fix into one clear line and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from kiosk import __version__
from kiosk.commands import demo, doctor, export, records, run, scan, setup, sync, voice
from kiosk.commands._output import BadTimeError
from kiosk.commands.scan import BadCodeError
from kiosk.core.policy_file import PolicyError
from kiosk.i18n import DEFAULT_LANGUAGE, LANGUAGES
from kiosk.imports import MarcUnavailableError
from kiosk.store import StoreError

EXIT_ERROR = 1
EXIT_USAGE = 2


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the examples in each command's epilog laid out as written."""


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", type=Path, required=True, metavar="PATH", help="the kiosk's SQLite file"
    )


def _json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="one JSON object per line")


def _lang_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=DEFAULT_LANGUAGE,
        help="language of messages (default: %(default)s)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk",
        description="Self-service library kiosk for primary schools.",
        formatter_class=_Formatter,
        epilog="example:\n  kiosk init --db kiosk.db --kiosk-id door-1\n"
        "  kiosk import policy policy.toml --db kiosk.db",
    )
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_: str, example: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name,
            help=help_,
            description=help_,
            epilog=f"example:\n  {example}",
            formatter_class=_Formatter,
        )

    p = command("init", "create a kiosk database", "kiosk init --db kiosk.db --kiosk-id door-1")
    _db_option(p)
    p.add_argument("--kiosk-id", required=True, help="this kiosk's name, unique in the school")
    p.set_defaults(run=setup.init)

    p = command(
        "import",
        "import the roster, the catalogue (CSV or MARC) or the policy",
        "kiosk import roster roster.csv --db kiosk.db",
    )
    p.add_argument("kind", choices=("roster", "catalog", "policy"), help="what the file holds")
    p.add_argument("file", type=Path, help="CSV (UTF-8 or GB18030), MARC (.mrc) or policy TOML")
    _db_option(p)
    _json_option(p)
    p.add_argument(
        "--add-only",
        action="store_true",
        help="add and update what the file lists; make nobody missing from it inactive",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="import even a file that looks like a mistake (codes that lost their leading "
        "zeros, a list that would make many readers or copies inactive)",
    )
    p.set_defaults(run=setup.import_file)

    p = command(
        "scan",
        "feed codes through the session engine, as at the door after a restart",
        "kiosk scan --db kiosk.db --at 2026-11-23T12:15 202430101 0001001 @done 0001001",
    )
    _db_option(p)
    p.add_argument(
        "--at",
        metavar="TIME",
        help="ISO-8601 time of the first scan (library time if no offset); one second "
        "passes between scans. Default: now",
    )
    _json_option(p)
    _lang_option(p)
    p.add_argument(
        "codes",
        nargs="+",
        metavar="CODE",
        help="card numbers and barcodes in the order read; @done and @damaged press those "
        "buttons, @wait=SECONDS lets time pass",
    )
    p.set_defaults(run=scan.scan)

    p = command(
        "loans",
        "list the books on loan",
        "kiosk loans --db kiosk.db --overdue --at 2026-12-10",
    )
    _db_option(p)
    p.add_argument("--reader", metavar="CARD", help="only this reader's loans")
    p.add_argument("--overdue", action="store_true", help="only loans past their due date")
    p.add_argument("--at", metavar="TIME", help="judge overdue as of this day (default: today)")
    _json_option(p)
    p.set_defaults(run=records.loans)

    p = command("events", "print the journal", "kiosk events --db kiosk.db --json")
    _db_option(p)
    _json_option(p)
    p.set_defaults(run=records.events)

    p = command(
        "export",
        "export what the kiosk did for another system",
        "kiosk export koc --db kiosk.db > lunchtime.koc",
    )
    p.add_argument("format", choices=("koc",), help="koc: Koha offline circulation file")
    _db_option(p)
    p.add_argument("--output", "-o", type=Path, help="write to this file instead of stdout")
    p.set_defaults(run=export.koc)

    p = command(
        "doctor",
        "check each part of the database file and say what to do about what is wrong; with "
        "--config, the whole appliance",
        "kiosk doctor --db kiosk.db\n  kiosk doctor --config /etc/library-kiosk/kiosk.toml",
    )
    p.add_argument("--db", type=Path, metavar="PATH", help="the kiosk's SQLite file")
    # Issue 10: the appliance checks (kiosk/health).
    p.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="check the whole appliance configured by FILE: config, database, scanners, server, "
        "TLS, clock, disk, SD card and services",
    )
    p.add_argument(
        "--root",
        type=Path,
        metavar="DIR",
        help="with --config: an appliance laid under DIR (install-kiosk.sh --root); the checks "
        "that need the running system are skipped",
    )
    _lang_option(p)
    _json_option(p)
    mend = p.add_mutually_exclusive_group()
    mend.add_argument(
        "--rebuild-loans",
        action="store_true",
        help="first make the loan table what the journal says (it is only a projection of it)",
    )
    mend.add_argument(
        "--repair",
        action="store_true",
        help="first rebuild the damaged parts that can be rebuilt (the kiosk must be stopped)",
    )
    p.set_defaults(run=doctor.doctor)

    p = command(
        "demo",
        "a scripted lunchtime at the sample school, printed as it happens",
        "kiosk demo --lang en",
    )
    p.add_argument("--db", type=Path, metavar="PATH", help="keep the database here")
    _lang_option(p)
    p.set_defaults(run=demo.demo)

    # The sync worker (issue 8): its options and its work live in kiosk/commands/sync.py.
    p = command(
        "sync",
        "send the journal to the school's server and fetch its roster, catalogue and rules",
        "kiosk sync once --config /etc/kiosk/kiosk.toml",
    )
    sync.add_arguments(p)
    p.set_defaults(run=sync.sync)

    p = command(
        "run",
        "the touchscreen app: fullscreen with the configured scanners, or a demo, or a script",
        "kiosk run --config /etc/library-kiosk/kiosk.toml",
    )
    p.add_argument("--config", type=Path, metavar="FILE", help="kiosk.toml (default: built-in)")
    p.add_argument("--db", type=Path, metavar="PATH", help="the SQLite file (overrides the config)")
    p.add_argument("--demo", action="store_true", help="a window with on-screen cards and books")
    p.add_argument("--script", type=Path, metavar="FILE", help="play SECONDS CODE lines, then exit")
    p.add_argument(
        "--shots", type=Path, metavar="DIR", help="save DIR/NNN.png and NNN.json per line"
    )
    p.add_argument("--timings", type=Path, metavar="FILE", help="per-line frame times (benchmarks)")
    p.add_argument("--at", metavar="TIME", help="start the app's clock here (--script, --demo)")
    p.add_argument("--lang", choices=LANGUAGES, help="the default screen language")
    p.add_argument("--size", metavar="WxH", help="a window of this size, e.g. 800x480")
    p.add_argument(
        "--max-fps", type=int, default=60, metavar="N", help="frame limit; 0: none (default 60)"
    )
    p.add_argument(
        "--hash-pin", action="store_true", help="print admin.pin_hash for a PIN read from stdin"
    )
    p.set_defaults(run=run.run)

    p = command(
        "voice",
        "spoken answers: print the sentences a school may record for its voice pack",
        "kiosk voice record-list --lang zh_CN --config /etc/library-kiosk/kiosk.toml",
    )
    p.add_argument("action", choices=("record-list",), help="record-list: FILE, tab, SENTENCE")
    p.add_argument("--lang", choices=LANGUAGES, help="one language only (default: both)")
    p.add_argument(
        "--config", type=Path, metavar="FILE", help="say which files voice.pack has and can use"
    )
    _json_option(p)
    p.set_defaults(run=voice.record_list)

    p = command(
        "scanners",
        "list and watch barcode and card scanners",
        "kiosk scanners watch 'serial:///dev/ttyUSB0?baudrate=9600&role=book'",
    )
    p.add_argument("args", nargs=argparse.REMAINDER, help="list | watch URL... (see --help)")
    p.set_defaults(run=_scanners)
    return parser


def _scanners(args: argparse.Namespace) -> int:
    from hardware import probe  # only this command needs the scanner drivers

    return probe.main(list(args.args))


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["scanners"]:
        # The probe has its own sub-commands and --help; hand everything after "scanners" over.
        from hardware import probe

        return probe.main(arguments[1:])
    args = build_parser().parse_args(arguments)
    try:
        status: int = args.run(args)
    except (StoreError, PolicyError, MarcUnavailableError) as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except (BadTimeError, BadCodeError) as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # `kiosk events | head`
        return 0
    except OSError as exc:  # a file that cannot be read or written: say which and why
        print(f"kiosk: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR
    return status


if __name__ == "__main__":
    raise SystemExit(main())
