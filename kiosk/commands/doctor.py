"""`kiosk doctor`: is each part of the database file sound, and if not, what to do about it.

It looks without changing anything (so it works on read-only media and next to a running
kiosk) and runs every check even when the first one fails: a school's IT teacher should learn
everything that is wrong in one go. ``--repair`` and ``--rebuild-loans`` change the file.
"""

from __future__ import annotations

import argparse

from kiosk.commands._output import print_json
from kiosk.i18n import DEFAULT_LANGUAGE, catalogue
from kiosk.store import Finding, Store, diagnose, repair


def doctor(args: argparse.Namespace) -> int:
    if getattr(args, "config", None) is not None or args.db is None:
        # Issue 10: with --config, the whole appliance (kiosk/health); it calls this function
        # again, on the configured database, for the file checks below.
        from kiosk.health.command import appliance_doctor

        return appliance_doctor(args, doctor)
    findings = diagnose(args.db)
    if args.repair:
        for done in repair(args.db, findings):
            print(f"repaired: {done}")
        findings = diagnose(args.db)
    elif args.rebuild_loans:
        with Store(args.db) as store:
            changed = store.rebuild_loans()
        print(f"loan table rebuilt from the journal: {changed} loan(s) corrected")
        findings = diagnose(args.db)
    for finding in findings:
        _show(args, finding)
    return 0 if all(f.ok for f in findings) else 1


def _show(args: argparse.Namespace, finding: Finding) -> None:
    words = catalogue(getattr(args, "lang", None) or DEFAULT_LANGUAGE, "health")
    part = finding.part.id
    name = words.get(f"part.{part}", part)
    # Nothing damaged, only nothing there yet (a new kiosk) or rules that do not parse: the
    # fix is an import, not a repair.
    key = f"part.{part}.import.fix" if not finding.tables_damaged else f"part.{part}.fix"
    fix = (
        None if finding.ok else words.get(key, words.get(f"part.{part}.fix", "")).format(db=args.db)
    )
    if args.json:
        print_json(
            {
                "check": part,
                "name": name,
                "ok": finding.ok,
                "problems": list(finding.problems),
                "fix": fix,
                "notes": [_note(words, key, values) for key, values in finding.notes],
            }
        )
        return
    print(f"{'ok  ' if finding.ok else 'FAIL'} {name}")
    for problem in finding.problems:
        # The fixed sentences in the operator's language; those naming rows and pages stay as
        # SQLite and the journal put them.
        print(f"     {words.get(f'problem.{problem}', problem)}")
    if fix is not None:
        print(f"     → {fix}")
    for key, values in finding.notes:
        print(f"     ! {_note(words, key, values)}")


def _note(words: dict[str, str], key: str, values: dict[str, object]) -> str:
    return words.get(f"note.{key}", key).format(**values)
