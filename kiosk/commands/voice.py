"""``kiosk voice record-list``: the sentences a school may record for its voice pack.

One line per file: where it goes in the pack, and what to say into it. With ``--config`` the
pack named by voice.pack is looked at too, and each line says whether its file is there and
usable (``ok``), or ``missing``, ``unreadable`` or ``silent``: what is still to record.
"""

from __future__ import annotations

import argparse
import json

from kiosk.config import load
from kiosk.i18n import LANGUAGES
from kiosk.voice.lines import recordable
from kiosk.voice.pack import file_name, state_of


def record_list(args: argparse.Namespace) -> int:
    languages = (args.lang,) if args.lang else LANGUAGES
    pack = load(args.config).voice.pack if args.config is not None else None
    for language in languages:
        for key, sentence in recordable(language):
            name = file_name(language, key)
            state = state_of(pack / name).value if pack is not None else None
            if args.json:
                found = {"file": name, "language": language, "key": key, "sentence": sentence}
                print(json.dumps(found | ({"state": state} if state else {}), ensure_ascii=False))
            else:
                print("\t".join([name, sentence, *([state] if state else [])]))
    return 0
