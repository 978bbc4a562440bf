"""`kiosk doctor`: is each part of the database file sound, and if not, what to do about it.

It looks without changing anything (so it works on read-only media and next to a running
kiosk) and runs every check even when the first one fails: a school's IT teacher should learn
everything that is wrong in one go. ``--repair`` and ``--rebuild-loans`` change the file.
"""

from __future__ import annotations

import argparse

from kiosk.commands._output import print_json
from kiosk.store import Finding, Store, diagnose, repair


def doctor(args: argparse.Namespace) -> int:
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
    fix = None if finding.ok else finding.fix(args.db)
    if args.json:
        print_json(
            {
                "check": finding.part.id,
                "name": finding.part.name,
                "ok": finding.ok,
                "problems": list(finding.problems),
                "fix": fix,
            }
        )
        return
    print(f"{'ok  ' if finding.ok else 'FAIL'} {finding.part.name}")
    for problem in finding.problems:
        print(f"     {problem}")
    if fix is not None:
        print(f"     what to do: {fix}")
