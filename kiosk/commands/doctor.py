"""`kiosk doctor`: is the database file sound, the journal untouched, the loan table right?"""

from __future__ import annotations

import argparse

from kiosk.commands._output import print_json
from kiosk.core.journal import verify_chain
from kiosk.core.policy_file import PolicyError
from kiosk.door import NoPolicyError, load_policy
from kiosk.store import Store


def doctor(args: argparse.Namespace) -> int:
    store = Store(args.db)
    checks: list[tuple[str, list[str]]] = [
        ("database file (PRAGMA integrity_check)", store.integrity_problems()),
        (
            "journal hash chain",
            [f"event {b.seq}: {b.problem}" for b in verify_chain(store.events())],
        ),
        ("loan table matches the journal", store.projection_differences()),
    ]
    try:
        load_policy(store)
        checks.append(("policy", []))
    except (NoPolicyError, PolicyError) as exc:
        checks.append(("policy", [str(exc)]))
    store.close()
    failed = False
    for name, problems in checks:
        failed = failed or bool(problems)
        if args.json:
            print_json({"check": name, "ok": not problems, "problems": problems})
        else:
            print(f"{'ok  ' if not problems else 'FAIL'} {name}")
            for problem in problems:
                print(f"     {problem}")
    return 1 if failed else 0
