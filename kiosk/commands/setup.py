"""`kiosk init` and `kiosk import`: a new kiosk, and the roster, catalogue and policy it uses."""

from __future__ import annotations

import argparse
import functools
import re
import sys
from pathlib import Path

from kiosk.commands._output import error, print_json
from kiosk.core.import_plan import ImportMode, Kind
from kiosk.core.import_words import Place, command_line_refusal
from kiosk.core.models import Copy, Reader
from kiosk.imports import ImportResult, read_catalog, read_policy_source, read_roster, report
from kiosk.store import ImportCounts, ImportRefusedError, Store

KIOSK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def init(args: argparse.Namespace) -> int:
    if not KIOSK_ID.fullmatch(args.kiosk_id):
        error(
            f"--kiosk-id: expected letters, digits, '.', '_' or '-' (at most 64), "
            f"found {args.kiosk_id!r}"
        )
        return 2
    path: Path = args.db
    if path.exists():
        existing = Store(path)
        kiosk_id = existing.kiosk_id
        existing.close()
        if kiosk_id != args.kiosk_id:
            error(f"{path}: already the database of kiosk {kiosk_id!r}; not changed")
            return 1
        print(f"{path}: already set up for kiosk {kiosk_id!r}")
        return 0
    Store.create(path, args.kiosk_id).close()
    print(f"{path}: created for kiosk {args.kiosk_id!r}")
    return 0


def import_file(args: argparse.Namespace) -> int:
    path: Path = args.file
    if not path.is_file():
        error(f"{path}: no such file")
        return 1
    store = Store(args.db)
    try:
        if args.kind == "policy":
            return _import_policy(store, path, args.json)
        return _import_school_data(args, store, path)
    except ImportRefusedError as refused:
        for line in command_line_refusal(refused.plan, Place.KIOSK):
            error(f"{path}: {line}")
        return 1
    finally:
        store.close()


def _import_school_data(args: argparse.Namespace, store: Store, path: Path) -> int:
    result: ImportResult[Reader] | ImportResult[Copy]
    if args.kind == "roster":
        result = roster = read_roster(path)
        importing = functools.partial(store.import_readers, roster.items)
    else:
        result = catalog = read_catalog(path)
        importing = functools.partial(store.import_copies, catalog.items)
    # A rejected row may be someone still at school: while any row is rejected, nobody missing
    # from the file is marked inactive. Fix the rows and import again.
    mode = ImportMode.ADD_ONLY if args.add_only else ImportMode.REPLACE
    counts = importing(deactivate_missing=not result.errors, force=args.force, mode=mode)
    kind = Kind.READERS if args.kind == "roster" else Kind.COPIES
    errors = report.rows_left_out(result, counts.clashes, kind)
    for line in report.shown(path, errors):
        print(line, file=sys.stderr)
    _report(args, path, counts, len(errors))
    return 1 if errors else 0


def _import_policy(store: Store, path: Path, as_json: bool) -> int:
    text = read_policy_source(path)  # UTF-8 or GB18030 (Notepad on a Chinese Windows)
    policy = store.save_policy(text)  # PolicyError names every bad key; nothing is saved then
    if as_json:
        print_json({"file": str(path), "kind": "policy", "library": policy.library_name})
    else:
        print(f"{path}: policy of {policy.library_name}, {policy.term.name}, saved")
    return 0


def _report(args: argparse.Namespace, path: Path, counts: ImportCounts, rejected: int) -> None:
    what = "readers" if args.kind == "roster" else "copies"
    if args.json:
        print_json(
            {
                "file": str(path),
                "kind": args.kind,
                "added": counts.added,
                "updated": counts.updated,
                "unchanged": counts.unchanged,
                "deactivated": counts.deactivated,
                "rejected": rejected,
            }
        )
        return
    print(
        f"{path}: {counts.added} {what} added, {counts.updated} updated, "
        f"{counts.unchanged} unchanged, {counts.deactivated} no longer listed (kept, inactive), "
        f"{rejected} row(s) rejected"
    )
    if rejected:
        print(
            f"{path}: because rows were rejected, {what} missing from the file were left as they "
            "were; fix the rows above and import the file again"
        )
