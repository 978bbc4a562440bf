"""`kiosk export koc`: the journal as a Koha offline circulation file."""

from __future__ import annotations

import argparse
import sys

from kiosk.koc import koc_lines
from kiosk.store import Store


def koc(args: argparse.Namespace) -> int:
    with Store(args.db, read_only=True) as store:
        policy = store.policy()

        def label(barcode: str) -> str:
            copy = store.library.copy(barcode)
            return copy.label if copy else barcode

        lines = koc_lines(store.events(), policy.timezone, label)
        if args.output is None:
            for line in lines:
                sys.stdout.write(line + "\n")
        else:
            # Koha reads the upload as UTF-8 text; write it whole, then move it into place.
            tmp = args.output.with_name(args.output.name + ".part")
            tmp.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
            tmp.replace(args.output)
        return 0
