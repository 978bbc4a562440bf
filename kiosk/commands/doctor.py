"""`kiosk doctor`: is the database file sound, the journal untouched, the loan table right?"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from kiosk.commands._output import print_json
from kiosk.core.journal import ChainBreak, verify_chain
from kiosk.core.policy_file import PolicyError
from kiosk.store import Store, StoreError


def _check(run: Callable[[], list[str]]) -> list[str]:
    """A check's problems; a check that cannot even run (a damaged page) is one problem."""
    try:
        return run()
    except (StoreError, PolicyError) as exc:
        return [str(exc)]


def _policy_problems(store: Store) -> list[str]:
    store.policy()
    return []


def _chain_breaks(store: Store) -> list[ChainBreak]:
    # After retention the kept journal links to the hash of the last event it retired.
    _, first_prev = store.sync.chain_start()
    return verify_chain(store.events(), first_prev)


def doctor(args: argparse.Namespace) -> int:
    with Store(args.db) as store:
        if args.rebuild_loans:
            changed = store.rebuild_loans()
            print(f"loan table rebuilt from the journal: {changed} loan(s) corrected")
        checks = [
            ("database file (PRAGMA integrity_check)", _check(store.integrity_problems)),
            (
                "journal hash chain",
                _check(lambda: [f"event {b.seq}: {b.problem}" for b in _chain_breaks(store)]),
            ),
            ("loan table matches the journal", _check(store.projection_differences)),
            ("policy", _check(lambda: _policy_problems(store))),
        ]
    failed = False
    for name, problems in checks:
        failed = failed or bool(problems)
        if args.json:
            print_json({"check": name, "ok": not problems, "problems": problems})
        else:
            print(f"{'ok  ' if not problems else 'FAIL'} {name}")
            for problem in problems:
                print(f"     {problem}")
    if failed and not args.json:
        print(
            "A loan table that does not match can be rebuilt with --rebuild-loans; a damaged "
            "file or journal needs the librarian and a backup."
        )
    return 1 if failed else 0
