"""What a roster or catalogue import would do, and when a school should be asked twice.

A spreadsheet re-saved in Excel can turn ``0001003`` into ``1003`` and a teacher can export one
class instead of the school: imported as they are, such files would add every copy again and make
every real one inactive. These pure checks look at what an import would change before it does.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

# An import that would make more than this share of the active readers or copies inactive is
# refused without --force. A new school year makes one grade of six inactive (about 17%).
MAX_INACTIVE_SHARE = 0.25
# Below this many, making readers or copies inactive is never refused (a small library's weeding).
MIN_INACTIVE_GUARDED = 10
# How many examples a refusal names.
EXAMPLES = 3


class ImportMode(enum.Enum):
    REPLACE = "replace"  # the file is the whole roster or catalogue: what is missing goes inactive
    ADD_ONLY = "add_only"  # add and update; nobody is made inactive (--add-only)


def without_leading_zeros(code: str) -> str:
    return code.lstrip("0") or "0"


def leading_zero_twins(incoming: Iterable[str], existing: Iterable[str]) -> list[tuple[str, str]]:
    """(code in the file, code on the kiosk) pairs equal but for leading zeros."""
    known = set(existing)
    by_digits: dict[str, str] = {}
    for code in known:
        if code.isdigit():
            by_digits.setdefault(without_leading_zeros(code), code)
    twins = []
    for code in incoming:
        if code in known or not code.isdigit():
            continue
        twin = by_digits.get(without_leading_zeros(code))
        if twin is not None:
            twins.append((code, twin))
    return sorted(twins)
