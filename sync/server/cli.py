"""The `kiosk-server` command: serve kiosks, manage their tokens, import and export data.

Every sub-command takes ``--db URL`` (``sqlite:///PATH`` or ``postgresql://...``). Exit status:
0 done, 1 something a person must fix (the message says what), 2 a usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from kiosk import __version__
from kiosk.core.import_plan import ImportMode, Kind
from kiosk.core.import_words import Place, command_line_refusal
from kiosk.core.policy_file import PolicyError
from kiosk.imports import (
    MarcUnavailableError,
    read_catalog,
    read_policy_source,
    read_roster,
    report,
)
from sync.server import accounts, db, export, reservation_cli, review, school_data, stocktake_cli


class _Formatter(argparse.RawDescriptionHelpFormatter):
    pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk-server",
        description="The school's central server for its library kiosks.",
        formatter_class=_Formatter,
        epilog="example:\n  kiosk-server migrate --db sqlite:///server.db\n"
        "  kiosk-server serve --db sqlite:///server.db --port 8443",
    )
    parser.add_argument("--version", action="version", version=f"kiosk-server {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_: str, example: str) -> argparse.ArgumentParser:
        p = commands.add_parser(
            name,
            help=help_,
            description=help_,
            formatter_class=_Formatter,
            epilog=f"example:\n  {example}",
        )
        p.add_argument(
            "--db",
            required=True,
            metavar="URL",
            help="sqlite:///PATH or postgresql://USER@HOST:PORT/NAME",
        )
        return p

    p = command(
        "migrate",
        "create or update the database schema",
        "kiosk-server migrate --db sqlite:///server.db",
    )
    p.set_defaults(run=_migrate)

    p = command(
        "serve",
        "answer the kiosks' push, pull and heartbeat requests",
        "kiosk-server serve --db sqlite:///server.db --host 0.0.0.0 --port 8443 "
        "--tls-cert server.pem --tls-key server.key",
    )
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    p.add_argument(
        "--port",
        type=int,
        default=8080,
        help="port (default: %(default)s; 0 picks a free one and prints it)",
    )
    p.add_argument(
        "--tls-cert", type=Path, metavar="FILE", help="PEM certificate (chain) for HTTPS"
    )
    p.add_argument("--tls-key", type=Path, metavar="FILE", help="PEM private key for HTTPS")
    p.add_argument(
        "--rate-limit",
        type=int,
        default=120,
        metavar="N",
        help="requests per kiosk per minute before 429 (default: %(default)s)",
    )
    p.add_argument(
        "--header-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="close a connection whose request headers have not all arrived this long after it "
        "opened or the request began (default: %(default)g; a request's headers are a few "
        "hundred bytes)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="server processes answering on the one port (default: %(default)s; more than one "
        "needs PostgreSQL: on SQLite one process writes at a time)",
    )
    p.set_defaults(run=_serve)

    p = command(
        "add-kiosk",
        "register a kiosk and print its token (shown only this once)",
        "kiosk-server add-kiosk door-1 --db sqlite:///server.db > door-1.token",
    )
    p.add_argument("name", metavar="NAME", help="the kiosk's id, as given to `kiosk init`")
    p.set_defaults(run=_add_kiosk)

    p = command(
        "revoke-kiosk",
        "refuse a kiosk's token from now on",
        "kiosk-server revoke-kiosk door-1 --db sqlite:///server.db",
    )
    p.add_argument("name", metavar="NAME")
    p.set_defaults(run=_revoke_kiosk)

    p = command(
        "import",
        "import the roster, the catalogue or the policy for every kiosk",
        "kiosk-server import roster roster.csv --db sqlite:///server.db",
    )
    p.add_argument("kind", choices=("roster", "catalog", "policy"))
    p.add_argument("file", type=Path, help="CSV (UTF-8 or GB18030), MARC (.mrc) or policy TOML")
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
    p.set_defaults(run=_import)

    p = command(
        "export",
        "export every kiosk's events",
        "kiosk-server export events --db sqlite:///server.db --format csv > events.csv",
    )
    p.add_argument("what", choices=("events",))
    p.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    p.set_defaults(run=_export)

    p = command(
        "review",
        "list the review inbox: what the librarian must look at",
        "kiosk-server review --db sqlite:///server.db --json",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(run=_review)
    _web_commands(command)
    reservation_cli.add_commands(command, _engine)
    stocktake_cli.add_commands(command, _engine)
    return parser


def _now() -> datetime:
    return datetime.now(UTC)


_opened: list[Engine] = []  # disposed when the command ends, so no connection is left open


def _engine(args: argparse.Namespace, *, migrated: bool = True) -> Engine:
    url = make_url(args.db) if "://" in args.db else None
    sqlite_file = url.database if url is not None and url.get_backend_name() == "sqlite" else None
    if migrated and sqlite_file and not Path(sqlite_file).is_file():  # leave no empty file
        raise db.DatabaseError(
            f"{sqlite_file}: no server database here; run `kiosk-server migrate --db URL`"
        )
    engine = db.engine_for(args.db)
    _opened.append(engine)
    if migrated:
        problem = db.schema_problem(engine)
        if problem is not None:
            engine.dispose()
            raise db.DatabaseError(problem)
    return engine


def _migrate(args: argparse.Namespace) -> int:
    engine = _engine(args, migrated=False)
    db.migrate(engine)
    print(f"{_shown(args.db)}: schema up to date")
    return 0


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


MAX_WORKERS = 64


def _serve(args: argparse.Namespace) -> int:
    import uvicorn  # only `serve` needs the HTTP server

    import sync.server.app  # noqa: F401 (a broken install fails here, before "serving")
    from sync.server.serving import KEEP_ALIVE, ServeConfig

    if (args.tls_cert is None) != (args.tls_key is None):
        print("kiosk-server: --tls-cert and --tls-key go together", file=sys.stderr)
        return 2
    if not 0 < args.header_timeout <= 3600:
        print("kiosk-server: --header-timeout: expected seconds above 0, at most 3600, "
              f"found {args.header_timeout:g}", file=sys.stderr)  # fmt: skip
        return 2
    if not 1 <= args.workers <= MAX_WORKERS:
        print(f"kiosk-server: --workers: expected a number of processes from 1 to {MAX_WORKERS}, "
              f"found {args.workers}", file=sys.stderr)  # fmt: skip
        return 2
    if args.workers > 1 and _is_sqlite(args.db):
        print(f"kiosk-server: --workers {args.workers} needs a postgresql:// database: SQLite lets "
              "one process write at a time, so more processes would only queue for its lock "
              "(use --workers 1 with SQLite)", file=sys.stderr)  # fmt: skip
        return 2
    for path in (args.tls_cert, args.tls_key):
        if path is not None and not path.is_file():
            print(f"kiosk-server: {path}: no such file", file=sys.stderr)
            return 1
    engine = _engine(args)
    # Bind first so that the address printed is one that already accepts connections.
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: an answer's last segment is not held back waiting for
    # the kiosk's delayed ACK (40 ms on every request of a kept-alive connection otherwise).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        print(
            f"kiosk-server: cannot listen on {args.host}:{args.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return 1
    sock.listen(512)
    port = sock.getsockname()[1]
    scheme = "https" if args.tls_cert else "http"
    shown_host = f"[{args.host}]" if family == socket.AF_INET6 else args.host
    processes = f" in {args.workers} processes" if args.workers > 1 else ""
    print(
        f"kiosk-server: serving {scheme}://{shown_host}:{port} with {_shown(args.db)}{processes}",
        flush=True,
    )
    app = AppFactory(args.db, args.rate_limit)
    options = {
        "header_timeout": args.header_timeout,
        "log_level": "warning",
        "access_log": False,
        # Absolute, so that a worker process finds them whatever it takes for its folder.
        "ssl_certfile": str(args.tls_cert.resolve()) if args.tls_cert else None,
        "ssl_keyfile": str(args.tls_key.resolve()) if args.tls_key else None,
        "timeout_keep_alive": KEEP_ALIVE,
    }
    if args.workers == 1:
        uvicorn.Server(ServeConfig(app.build(engine), **options)).run(sockets=[sock])
        return 0
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    # Each worker is a fresh interpreter (uvicorn spawns them): it gets this configuration
    # pickled, header timeout and TLS included, and builds its own app and database pool from
    # the factory. The rate limits and sign-in counts live in the database, so every process
    # counts against the same numbers.
    engine.dispose()
    config = ServeConfig(app, factory=True, workers=args.workers, **options)
    supervisor = Multiprocess(config, sockets=[sock])
    supervisor.run()
    if any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes):
        print("kiosk-server: a worker process could not start (its error is above)",
              file=sys.stderr)  # fmt: skip
        return 1
    return 0


def _is_sqlite(url: str) -> bool:
    return "://" in url and make_url(url).get_backend_name() == "sqlite"


class AppFactory:
    """Builds the server's app in a worker process: picklable, as uvicorn's workers need."""

    def __init__(self, db_url: str, rate_limit: int) -> None:
        self.db_url = db_url
        self.rate_limit = rate_limit
        self.parent = os.getpid()

    def build(self, engine: Engine) -> Any:
        from sync.server.app import create_app
        from sync.server.ratelimit import RateLimit

        return create_app(engine, rate_limit=RateLimit(limit=self.rate_limit))

    def __call__(self) -> Any:
        _end_with(self.parent)
        return self.build(db.engine_for(self.db_url))


def _end_with(parent: int) -> None:
    """This worker ends when the serving process does, even one killed with SIGKILL (a worker
    left behind would go on answering on the port, with nobody to stop it)."""
    if sys.platform == "linux":
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() != parent:  # it ended before the line above
        raise SystemExit(1)


def _add_kiosk(args: argparse.Namespace) -> int:
    engine = _engine(args)
    with db.writing(engine) as conn:
        token = accounts.add_kiosk(conn, args.name, _now())
    print(token)
    print(
        f"kiosk-server: token of kiosk {args.name!r} printed above; it is shown only once "
        "(save it as the kiosk's token_file)",
        file=sys.stderr,
    )
    return 0


def _revoke_kiosk(args: argparse.Namespace) -> int:
    engine = _engine(args)
    with db.writing(engine) as conn:
        accounts.revoke_kiosk(conn, args.name, _now())
    print(f"kiosk {args.name!r}: token revoked")
    return 0


def _import(args: argparse.Namespace) -> int:
    path: Path = args.file
    if not path.is_file():
        print(f"kiosk-server: {path}: no such file", file=sys.stderr)
        return 1
    engine = _engine(args)
    if args.kind == "policy":
        text = read_policy_source(path)
        with db.writing(engine) as conn:
            policy = school_data.save_policy(conn, text, _now())
        print(f"{path}: policy of {policy.library_name}, {policy.term.name}, saved")
        return 0
    result = read_roster(path) if args.kind == "roster" else read_catalog(path)
    mode = ImportMode.ADD_ONLY if args.add_only else ImportMode.REPLACE
    try:
        with db.writing(engine) as conn:
            importer = (
                school_data.import_readers if args.kind == "roster" else school_data.import_copies
            )
            items = result.items
            if args.kind == "catalog":  # copies the librarian marked lost or withdrawn stay so
                from sync.server.web.registers import held_back

                items = tuple(held_back(conn, result.items))  # type: ignore[arg-type]
            counts = importer(conn, items, _now(), deactivate_missing=not result.errors,  # type: ignore[arg-type]
                              force=args.force, mode=mode)  # fmt: skip
    except school_data.ImportRefusedError as refused:  # as `kiosk import` says it: nothing written
        for line in command_line_refusal(refused.plan, Place.SERVER):
            print(f"kiosk-server: {path}: {line}", file=sys.stderr)
        return 1
    kind = Kind.READERS if args.kind == "roster" else Kind.COPIES
    errors = report.rows_left_out(result, counts.clashes, kind)  # as `kiosk import` says them
    for line in report.shown(path, errors):
        print(line, file=sys.stderr)
    what = "readers" if args.kind == "roster" else "copies"
    print(
        f"{path}: {counts.added} {what} added, {counts.updated} updated, "
        f"{counts.unchanged} unchanged, {counts.deactivated} no longer listed (kept, inactive), "
        f"{len(errors)} row(s) rejected"
    )
    if errors:
        print(
            f"{path}: because rows were rejected, {what} missing from the file were left as "
            "they were; fix the rows above and import the file again"
        )
    return 1 if errors else 0


def _export(args: argparse.Namespace) -> int:
    engine = _engine(args)
    writer = export.write_csv if args.format == "csv" else export.write_jsonl
    writer(engine, sys.stdout)
    return 0


def _review(args: argparse.Namespace) -> int:
    engine = _engine(args)
    with db.reading(engine) as conn:
        items = review.open_items(conn)
    for item in items:
        if args.json:
            print(json.dumps(item, ensure_ascii=False, default=str))
        else:
            where = " ".join(str(item[k]) for k in ("kiosk", "seq", "barcode", "card") if item[k])
            print(f"{item['id']:>6} {item['kind']:<20} {where}")
    if not args.json:
        print(f"— {len(items)} open item(s)")
    return 0


# --- The librarian's pages (issue 9): staff accounts, made by sync.server.web.commands -------


def _web_commands(command: Callable[[str, str, str], argparse.ArgumentParser]) -> None:
    p = command(
        "add-librarian",
        "create a librarian's account for the web pages (the password is asked twice)",
        "kiosk-server add-librarian wang --db sqlite:///server.db",
    )
    p.add_argument("name", metavar="NAME", help="the name she signs in with")
    p.add_argument("--replace", action="store_true", help="set a new password for NAME")
    p.set_defaults(run=_add_staff, role="librarian", class_name=None, card=None)
    p = command(
        "add-teacher",
        "create a class teacher's read-only account that sees only one class",
        "kiosk-server add-teacher li --class 3-1 --db sqlite:///server.db",
    )
    p.add_argument("name", metavar="NAME", help="the name the teacher signs in with")
    p.add_argument("--class", dest="class_name", required=True, metavar="CLASS",
                   help="the teacher's class, e.g. 3-1 or 三年级(1)班")  # fmt: skip
    p.add_argument("--card", metavar="CARD",
                   help="her own library card: she may then place and cancel her own "
                   "reservations on the pages")  # fmt: skip
    p.add_argument("--replace", action="store_true", help="set a new password for NAME")
    p.set_defaults(run=_add_staff, role="teacher")


def _add_staff(args: argparse.Namespace) -> int:
    import getpass

    from sync.server.web.commands import add_account
    from sync.server.web.staff import Role

    return add_account(_engine(args), args.name, Role(args.role), _now(), getpass.getpass,
                       class_name=args.class_name, card=args.card,
                       replace=args.replace)  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        return _run(args)
    finally:
        while _opened:
            _opened.pop().dispose()


def _run(args: argparse.Namespace) -> int:
    try:
        status: int = args.run(args)
    except OperationalError as exc:
        print(f"kiosk-server: cannot use the database: {exc.orig}", file=sys.stderr)
        return 1
    except (db.DatabaseError, accounts.AccountError, PolicyError, MarcUnavailableError) as exc:
        print(f"kiosk-server: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except OSError as exc:
        print(f"kiosk-server: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
